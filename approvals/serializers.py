"""API representations of approval requests and waiting steps.

Read-only, and no integer ids: requests are named by their UUID ``code``, people by
their membership ``code`` and name; a step by its ``order`` within the request.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from accounts.models import Membership, Role

from . import registry
from .models import ApprovalEvent, ApprovalRequest, ApprovalStep, StepState


def type_label(key: str) -> str:
    try:
        return str(registry.get(key).label)
    except LookupError:
        return key


def holder(step: ApprovalStep) -> dict | None:
    """Who holds a step: a person, or a role pool."""
    if step.approver_id:
        return {"code": str(step.approver.code), "name": step.approver.user.full_name, "role": ""}
    if step.approver_role:
        label = str(Role(step.approver_role).label) if step.approver_role in Role.values else step.approver_role
        return {"code": None, "name": _("anyone with the role %(role)s") % {"role": label}, "role": step.approver_role}
    return None


def person(m: Membership | None) -> dict | None:
    return {"code": str(m.code), "name": m.user.full_name} if m is not None else None


class PersonSerializer(serializers.Serializer):
    code = serializers.UUIDField()
    name = serializers.CharField()


class ApprovalPersonSerializer(serializers.Serializer):
    code = serializers.UUIDField(allow_null=True)
    name = serializers.CharField()
    role = serializers.CharField(help_text="The role of a pool; empty for a person.")


class InboxStepSerializer(serializers.ModelSerializer):
    """A step waiting for the caller (or for someone they stand in for)."""

    request_code = serializers.UUIDField(source="request.code")
    title = serializers.CharField(source="request.title")
    request_type = serializers.CharField(source="request.request_type")
    request_type_label = serializers.SerializerMethodField()
    requester_name = serializers.CharField(source="request.requester.user.full_name")
    step = serializers.SerializerMethodField()
    approver = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalStep
        fields = ["request_code", "title", "request_type", "request_type_label", "requester_name", "order", "step",
                  "approver", "activated_at", "due_at", "overdue"]
        read_only_fields = fields

    def get_request_type_label(self, obj) -> str:
        return type_label(obj.request.request_type)

    def get_step(self, obj) -> str:
        return obj.name or obj.get_kind_display()

    @extend_schema_field(ApprovalPersonSerializer(allow_null=True))
    def get_approver(self, obj) -> dict | None:
        return holder(obj)

    def get_overdue(self, obj) -> bool:
        return bool(obj.due_at and obj.due_at < self.context.setdefault("now", timezone.now()))


class CurrentStepSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    name = serializers.SerializerMethodField()
    holder = serializers.SerializerMethodField()
    activated_at = serializers.DateTimeField()
    due_at = serializers.DateTimeField()

    def get_name(self, obj) -> str:
        return obj.name or obj.get_kind_display()

    @extend_schema_field(ApprovalPersonSerializer(allow_null=True))
    def get_holder(self, obj) -> dict | None:
        return holder(obj)


class ApprovalRequestSerializer(serializers.ModelSerializer):
    """A request in a list: where it stands, who has it, since when."""

    request_type_label = serializers.SerializerMethodField()
    state_label = serializers.CharField(source="get_state_display")
    requester = serializers.SerializerMethodField()
    current_step = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalRequest
        fields = ["code", "title", "request_type", "request_type_label", "state", "state_label", "requester",
                  "amount", "category", "submitted_at", "decided_at", "current_step"]
        read_only_fields = fields

    def get_request_type_label(self, obj) -> str:
        return type_label(obj.request_type)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_requester(self, obj) -> dict | None:
        return person(obj.requester)

    @extend_schema_field(CurrentStepSerializer(allow_null=True))
    def get_current_step(self, obj) -> dict | None:
        pending = getattr(obj, "pending_steps", None)
        if pending is None:
            pending = list(obj.steps.filter(state=StepState.PENDING).select_related("approver__user"))
        return CurrentStepSerializer(pending[0]).data if pending else None


class StepSerializer(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()
    state_label = serializers.CharField(source="get_state_display")
    holder = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    on_behalf_of = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalStep
        fields = ["order", "name", "state", "state_label", "holder", "activated_at", "due_at", "escalations",
                  "decided_at", "decided_by", "on_behalf_of", "comment"]
        read_only_fields = fields

    def get_name(self, obj) -> str:
        return obj.name or obj.get_kind_display()

    @extend_schema_field(ApprovalPersonSerializer(allow_null=True))
    def get_holder(self, obj) -> dict | None:
        return holder(obj) if obj.state == StepState.PENDING else None

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_decided_by(self, obj) -> dict | None:
        return person(obj.decided_by)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_on_behalf_of(self, obj) -> dict | None:
        return person(obj.on_behalf_of)


class EventSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display")
    actor = serializers.SerializerMethodField()
    on_behalf_of = serializers.SerializerMethodField()
    assignee = serializers.SerializerMethodField()

    class Meta:
        model = ApprovalEvent
        fields = ["kind", "kind_label", "at", "actor", "on_behalf_of", "assignee", "comment"]
        read_only_fields = fields

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_actor(self, obj) -> dict | None:
        return person(obj.actor)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_on_behalf_of(self, obj) -> dict | None:
        return person(obj.on_behalf_of)

    @extend_schema_field(PersonSerializer(allow_null=True))
    def get_assignee(self, obj) -> dict | None:
        return person(obj.assignee)


class ApprovalRequestDetailSerializer(ApprovalRequestSerializer):
    """One request with its details, steps and history."""

    details = serializers.SerializerMethodField(help_text="Lines the request type shows: label and value.")
    steps = StepSerializer(many=True, read_only=True)
    history = EventSerializer(many=True, read_only=True, source="events")

    class Meta(ApprovalRequestSerializer.Meta):
        fields = [*ApprovalRequestSerializer.Meta.fields, "chain_name", "details", "steps", "history"]
        read_only_fields = fields

    def get_details(self, obj) -> list[dict]:
        try:
            describe = registry.get(obj.request_type).describe
        except LookupError:
            describe = None
        return [{"label": str(k), "value": str(v)} for k, v in (describe(obj) if describe else [])]


class DecisionSerializer(serializers.Serializer):
    """Input of a decision. Parsing only: the engine checks the rules (reason required…)."""

    decision = serializers.ChoiceField(choices=[StepState.APPROVED, StepState.REJECTED, StepState.RETURNED])
    comment = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")
    order = serializers.IntegerField(
        required=False, min_value=1,
        help_text="The step the decision is for (``order`` from the inbox): if the request has moved on "
                  "meanwhile, the answer is 409 instead of deciding the next step.",
    )
