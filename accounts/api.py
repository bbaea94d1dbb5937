"""API v1 of accounts: the signed-in user, users (memberships), the organisation, tokens.

Thin views on ``sfe.core.api``: the base enters the tenant (session or token) and
applies visibility; these say what to list and how to narrow it.
"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.contrib.auth import authenticate, user_logged_in
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions
from rest_framework.authtoken.models import Token
from rest_framework.response import Response
from rest_framework.views import APIView

from sfe.core.api import TenantAPIView, TenantReadOnlyViewSet

from .auth import user_tenant_id
from .models import Membership, OrgNode, Position, Role
from .serializers import (
    MembershipSerializer,
    MeSerializer,
    OrgNodeSerializer,
    OrgTreeNodeSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from .services.org import tree_as_of
from .visibility import sees_whole_tenant, visible_node_ids

# --------------------------------------------------------------------------- me


@extend_schema(tags=["me"], responses=MeSerializer)
class MeView(TenantAPIView):
    """The signed-in user, their roles and their tenant."""

    def get(self, request):
        return Response(MeSerializer(request.membership).data)


# --------------------------------------------------------------------------- users


class MembershipFilter(django_filters.FilterSet):
    role = django_filters.ChoiceFilter(choices=Role.choices, method="filter_role", label=_("role"))
    is_active = django_filters.BooleanFilter(method="filter_is_active", label=_("active"))

    class Meta:
        model = Membership
        fields: list[str] = []

    def filter_role(self, qs, name, value):
        return qs.with_role(value)

    def filter_is_active(self, qs, name, value):
        return qs.active() if value else qs.exclude(is_active=True, user__is_active=True)


@extend_schema_view(list=extend_schema(tags=["users"]), retrieve=extend_schema(tags=["users"]))
class UserViewSet(TenantReadOnlyViewSet):
    """Users of the tenant (their memberships), as far as the caller may see them.

    Analysts, admins (and the other tenant-wide roles) see every member; a manager sees
    themselves and the members holding a position today on a node under their nodes;
    anyone else sees only themselves.
    """

    model = Membership
    serializer_class = MembershipSerializer
    filterset_class = MembershipFilter

    def restrict_queryset(self, qs):
        user, membership = self.request.user, self.request.membership
        if sees_whole_tenant(user):
            return qs
        if membership.has_role(Role.MANAGER):
            today = self.request.tenant.today()
            held_under = Position.objects.active_on(today).filter(
                holder_id=OuterRef("pk"), node_id__in=visible_node_ids(user, on=today)
            )
            return qs.filter(Q(pk=membership.pk) | Exists(held_under))
        return qs.filter(pk=membership.pk)

    def scope_queryset(self, qs):
        return qs.select_related("user").order_by("user__full_name", "pk")


# --------------------------------------------------------------------------- organisation


class OrgNodeFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=OrgNode.Kind.choices, label=_("level"))
    retired = django_filters.BooleanFilter(field_name="retired_on", lookup_expr="isnull", exclude=True,
                                           label=_("retired"))

    class Meta:
        model = OrgNode
        fields: list[str] = []


@extend_schema_view(list=extend_schema(tags=["org"]), retrieve=extend_schema(tags=["org"]))
class OrgNodeViewSet(TenantReadOnlyViewSet):
    """Nodes of the organisation the caller sees (``OrgNode.objects.visible_to``)."""

    model = OrgNode
    serializer_class = OrgNodeSerializer
    filterset_class = OrgNodeFilter

    def scope_queryset(self, qs):
        today = self.request.tenant.today()
        current = Position.objects.active_on(today).select_related("holder__user").order_by("start_date", "pk")
        return qs.select_related("parent").prefetch_related(
            Prefetch("positions", queryset=current, to_attr="current_positions")
        ).order_by("path")


@extend_schema(
    tags=["org"],
    parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, description="The day (default: today).")],
    responses=OrgTreeNodeSerializer(many=True),
)
class OrgTreeView(TenantAPIView):
    """The organisation as it was on ``as_of``, nested, cut to the nodes the caller sees today.

    A node the caller does not see is left out and its visible descendants move up to
    its place (a rep gets their territory as a root).
    """

    def get(self, request):
        raw = request.query_params.get("as_of")
        if raw:
            try:
                day = dt.date.fromisoformat(raw)
            except ValueError:
                raise exceptions.ValidationError({"as_of": [_("Give the date as YYYY-MM-DD.")]}) from None
        else:
            day = request.tenant.today()
        rows = tree_as_of(day)
        visible = None
        if not sees_whole_tenant(request.user):
            visible = set(OrgNode.objects.visible_to(request.user).values_list("pk", flat=True))
        return Response(_tree(rows, visible))


def _tree(rows: list[dict], visible: set[int] | None) -> list[dict]:
    out: list[dict] = []
    for r in rows:
        children = _tree(r["children"], visible)
        if visible is None or r["node_id"] in visible:
            out.append({"code": str(r["node__code"]), "name": r["name"], "kind": r["kind"],
                        "retired": r["retired"], "children": children})
        else:
            out.extend(children)
    return out


# --------------------------------------------------------------------------- tokens


@extend_schema(tags=["auth"], request=TokenRequestSerializer, responses=TokenSerializer, auth=[])
class ObtainTokenView(APIView):
    """Exchange an email and password for the user's API token (``Authorization: Token …``).

    The same sign-in rules as the pages: the lockout after repeated failures (django-axes,
    answered 429), and only members of a tenant with an active membership get a token.
    """

    authentication_classes: list = []
    permission_classes = [permissions.AllowAny]
    serializer_class = TokenRequestSerializer

    def post(self, request):
        form = TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        django_request = request._request
        user = authenticate(request=django_request, username=form.validated_data["email"],
                            password=form.validated_data["password"])
        if user is None or user_tenant_id(user.pk) is None:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("The email or password is not right.")]}, code="authorization"
            )
        token, _created = Token.objects.get_or_create(user=user)
        # A token is a sign-in: last_login, and django-axes resets the failure count.
        user_logged_in.send(sender=user.__class__, request=django_request, user=user)
        return Response({"token": token.key})
