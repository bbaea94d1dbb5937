"""API representations of users (memberships), the organisation and the signed-in user.

Read-only, and no integer ids: every object is named by its UUID ``code``. A user in a
tenant *is* their membership, so a user's ``code`` is the membership's code (the same
code names a position's holder).
"""

from __future__ import annotations

from django.db import models
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from .models import Membership, OrgNode, Role, Tenant


class MembershipSerializer(serializers.ModelSerializer):
    email = serializers.EmailField(source="user.email", read_only=True)
    full_name = serializers.CharField(source="user.full_name", read_only=True)
    language = serializers.CharField(source="user.language", read_only=True)
    roles = serializers.ListField(child=serializers.ChoiceField(choices=Role.choices), read_only=True)
    is_active = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["code", "email", "full_name", "roles", "is_active", "language", "employee_no"]
        read_only_fields = fields

    def get_is_active(self, obj: Membership) -> bool:
        return bool(obj.is_active and obj.user.is_active)


class HolderSerializer(serializers.Serializer):
    code = serializers.UUIDField(source="holder.code")
    name = serializers.CharField(source="holder.user.full_name")


class OrgNodeListSerializer(serializers.ListSerializer):
    """Loads the ancestor codes of a whole page in one query."""

    def to_representation(self, data):
        items = list(data.all() if isinstance(data, models.Manager) else data)
        self.context["ancestor_codes"] = _ancestor_codes(items)
        return super().to_representation(items)


def _ancestor_codes(nodes) -> dict[int, str]:
    ids = {i for n in nodes for i in n.ancestor_ids()}
    if not ids:
        return {}
    return {pk: str(code) for pk, code in OrgNode.objects.filter(pk__in=ids).values_list("pk", "code")}


class OrgNodeSerializer(serializers.ModelSerializer):
    parent = serializers.SerializerMethodField()
    path = serializers.SerializerMethodField(help_text="Codes of the ancestors, root first.")
    holders = serializers.SerializerMethodField(help_text="Holders of the node today.")

    class Meta:
        model = OrgNode
        fields = ["code", "name", "kind", "parent", "depth", "path", "external_code", "retired_on", "holders"]
        read_only_fields = fields
        list_serializer_class = OrgNodeListSerializer

    @extend_schema_field(OpenApiTypes.UUID)
    def get_parent(self, obj: OrgNode) -> str | None:
        return str(obj.parent.code) if obj.parent_id else None

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_path(self, obj: OrgNode) -> list[str]:
        codes = self.context.get("ancestor_codes")
        if codes is None:  # a single node: one query
            codes = _ancestor_codes([obj])
        return [codes[i] for i in obj.ancestor_ids() if i in codes]

    @extend_schema_field(HolderSerializer(many=True))
    def get_holders(self, obj: OrgNode) -> list[dict]:
        positions = getattr(obj, "current_positions", None)
        if positions is None:
            raise AssertionError("OrgNodeSerializer needs the current_positions prefetch")
        return HolderSerializer(positions, many=True).data


class OrgTreeNodeSerializer(serializers.Serializer):
    """One node of ``/api/v1/org/tree/`` (documentation only; the view builds dicts)."""

    code = serializers.UUIDField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrgNode.Kind.choices)
    retired = serializers.BooleanField()
    children = serializers.ListField(child=serializers.DictField(), help_text="Nodes of the same shape.")


class TenantSerializer(serializers.ModelSerializer):
    language = serializers.CharField(source="default_language")

    class Meta:
        model = Tenant
        fields = ["code", "name", "slug", "language", "time_zone", "currency"]
        read_only_fields = fields


class MeSerializer(MembershipSerializer):
    tenant = TenantSerializer(read_only=True)
    role_labels = serializers.ListField(child=serializers.CharField(), read_only=True)

    class Meta(MembershipSerializer.Meta):
        fields = [*MembershipSerializer.Meta.fields, "role_labels", "tenant"]
        read_only_fields = fields


class TokenRequestSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
