"""The DRF base of the product's API (design §4 "API", conventions 2, 4, 5, 7).

``TenantAPIView`` and ``TenantViewSet`` are the one place where an API request enters
its tenant. Session-authenticated requests already arrive inside the tenant (the
``TenantMiddleware``); token-authenticated ones cannot, because DRF authenticates
lazily inside the view. So ``dispatch`` authenticates first, looks the tenant up from
the user's *active* membership (``sfe_user_tenant``), and runs the whole DRF life cycle
— permissions, handler, rendering — inside::

    tenant_scope(tenant) + audit_context(actor_id=user.pk) + transaction.atomic()

The transaction is needed because the tenant setting the row-level security policies
read is transaction-local (``sfe.core.db``). When the middleware has already entered
the same tenant, the scopes nest (a savepoint); a different tenant is refused.

An error response rolls the view's work back (the atomic block is marked for
rollback), so a handler that wrote and then failed leaves nothing behind.

Subclasses say *what* to list through ``queryset`` or ``get_base_queryset()`` and may
narrow it in ``scope_queryset(qs)``; the base applies visibility
(``qs.visible_to(user)``) itself and owns ``get_queryset()`` — overriding it is refused
at class creation, so no endpoint can forget the visibility filter. Lookups are by the
UUID ``code`` (integer ids stay inside); another tenant's or an invisible object is the
same 404 as a missing one.
"""

from __future__ import annotations

from contextlib import ExitStack

from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.plumbing import get_view_model
from rest_framework import exceptions, generics, permissions, viewsets
from rest_framework.views import APIView

from .tenancy import audit_context, current_tenant_id, tenant_scope

UUID_LOOKUP_REGEX = r"[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}"


class NoMembership(exceptions.NotFound):
    """The user has no active membership: tenant endpoints do not exist for them."""

    default_detail = _("Not found.")


# --------------------------------------------------------------------------- permissions


class IsTenantMember(permissions.BasePermission):
    """Signed in *and* an active member of a tenant; anyone else gets 403 (anon) or 404."""

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False  # DRF turns this into "not authenticated"
        if getattr(request, "membership", None) is None:
            raise NoMembership
        return True


class HasRole(permissions.BasePermission):
    """``permission_classes = [HasRole("admin", "analyst")]``: one of the roles is needed.

    Members without the role get 403; users with no membership get 404 (as
    ``accounts.permissions.role_required`` does for pages). DRF instantiates each entry
    of ``permission_classes``, so an instance returns itself when called.
    """

    message = _("Your role does not allow this.")

    def __init__(self, *roles: str):
        if not roles:
            raise ImproperlyConfigured("HasRole needs at least one role")
        self.roles = tuple(str(r) for r in roles)

    def __call__(self) -> HasRole:
        return self

    def __repr__(self) -> str:
        return f"HasRole{self.roles!r}"

    def has_permission(self, request, view) -> bool:
        if not IsTenantMember().has_permission(request, view):
            return False
        return request.membership.has_role(*self.roles)


# --------------------------------------------------------------------------- tenant entry


class TenantAPIMixin:
    """Enters the authenticated user's tenant around DRF's whole request life cycle."""

    permission_classes = [IsTenantMember]

    def dispatch(self, request, *args, **kwargs):
        # DRF's APIView.dispatch, with authentication forced first and the rest of the
        # life cycle run inside the tenant (keep in step with rest_framework/views.py).
        self.args = args
        self.kwargs = kwargs
        request = self.initialize_request(request, *args, **kwargs)
        self.request = request
        self.headers = self.default_response_headers
        self._sfe_atomic = False
        with ExitStack() as stack:
            try:
                self.enter_tenant(request, stack)
            except Exception as exc:
                response = self.handle_exception(exc)
            else:
                response = self._run(request, *args, **kwargs)
            self.response = self.finalize_response(request, response, *args, **kwargs)
            # Render inside the tenant: serializers may be lazy, templates may query.
            if hasattr(self.response, "render") and not self.response.is_rendered:
                self.response.render()
            if self._sfe_atomic and getattr(self.response, "exception", False):
                transaction.set_rollback(True)  # only our own atomic block (a savepoint if nested)
        return self.response

    def _run(self, request, *args, **kwargs):
        try:
            self.initial(request, *args, **kwargs)
            if request.method.lower() in self.http_method_names:
                handler = getattr(self, request.method.lower(), self.http_method_not_allowed)
            else:
                handler = self.http_method_not_allowed
            return handler(request, *args, **kwargs)
        except Exception as exc:
            return self.handle_exception(exc)

    def enter_tenant(self, request, stack: ExitStack) -> None:
        """Authenticate, then enter the user's tenant (if any) on ``stack``.

        Sets ``request.membership`` and ``request.tenant`` (both ``None`` for users with
        no active membership: platform operators and deactivated members; the
        permission classes then answer 404).
        """
        from accounts.auth import user_tenant_id
        from accounts.models import Membership

        user = request.user  # forces authentication; a bad token raises here
        django_request = request._request
        request.membership = None
        request.tenant = None
        if not user.is_authenticated:
            return
        stack.enter_context(audit_context(actor_id=user.pk))
        membership = getattr(django_request, "membership", None)
        if membership is not None and membership.user_id == user.pk and current_tenant_id() == membership.tenant_id:
            # Session request: the middleware entered this tenant already. A savepoint
            # keeps the error rollback local to the view.
            stack.enter_context(tenant_scope(membership.tenant))
            stack.enter_context(transaction.atomic())
            self._sfe_atomic = True
        else:
            tenant_id = user_tenant_id(user.pk)
            if tenant_id is None:
                return
            outer = current_tenant_id()
            if outer is not None and outer != tenant_id:
                # A session of one tenant and a token of another on one request.
                raise exceptions.PermissionDenied(_("Conflicting credentials."))
            stack.enter_context(tenant_scope(tenant_id))
            stack.enter_context(transaction.atomic())
            self._sfe_atomic = True
            membership = Membership.objects.select_related("tenant").get(user_id=user.pk)
            stack.enter_context(tenant_scope(membership.tenant))  # same tenant, object cached
            from django.utils import timezone

            from .middleware import activate_user_language

            activate_user_language(django_request, user, membership.tenant)
            stack.callback(timezone.deactivate)  # the time zone is per request, like the tenant
        user.membership = membership  # read by accounts.visibility
        membership.user = user  # same row; saves a query for serializers that show the user
        request.membership = membership
        request.tenant = membership.tenant


class TenantAPIView(TenantAPIMixin, APIView):
    """A plain API view inside the tenant (no queryset)."""


class TenantFilterBackend(DjangoFilterBackend):
    """django-filter's backend; its schema extension below needs no active tenant."""


class TenantFilterSchemaExtension(DjangoFilterExtension):
    """drf-spectacular's django-filter extension, minus its ``Model.objects.none()``.

    The stock extension builds the filterset from ``Model.objects.none()``, which a
    tenant-owned manager refuses outside a tenant (``manage.py spectacular``, a
    token-authenticated schema request). An unscoped empty ``QuerySet`` reads nothing.
    """

    target_class = "sfe.core.api.TenantFilterBackend"
    match_subclasses = True
    priority = 1

    def get_schema_operation_parameters(self, auto_schema, *args, **kwargs):
        model = get_view_model(auto_schema.view)
        if not model:
            return []
        filterset_class = self.target.get_filterset_class(auto_schema.view, QuerySet(model=model).none())
        if not filterset_class:
            return []
        result = []
        for field_name, filter_field in filterset_class.base_filters.items():
            result += self.resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        return result


class ScopedQuerysetMixin:
    """The base owns ``get_queryset()``: base queryset → visibility → subclass narrowing.

    Set ``model`` (a class attribute ``queryset = Model.objects...`` cannot work: the
    tenant-owned managers raise when no tenant is active, as at import time) or override
    ``get_base_queryset()``; when needed override ``restrict_queryset(qs)`` (a
    visibility rule other than ``visible_to``) or ``scope_queryset(qs)`` (joins,
    prefetches, annotations, extra filters).
    """

    model = None
    filter_backends = [TenantFilterBackend]
    lookup_field = "code"
    lookup_value_regex = UUID_LOOKUP_REGEX

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "get_queryset" in cls.__dict__:
            raise ImproperlyConfigured(
                f"{cls.__name__} overrides get_queryset(); override get_base_queryset(), "
                "restrict_queryset() or scope_queryset() instead (the base applies visibility)."
            )

    def get_base_queryset(self):
        if self.model is None:
            raise ImproperlyConfigured(f"{type(self).__name__} needs model or get_base_queryset()")
        return self.model._default_manager.all()

    def restrict_queryset(self, qs):
        """Visibility: ``qs.visible_to(user)``. Fails closed if the queryset has none."""
        if not hasattr(qs, "visible_to"):
            raise ImproperlyConfigured(
                f"{qs.model.__name__} has no visible_to(); override restrict_queryset() in "
                f"{type(self).__name__} to say who sees what."
            )
        return qs.visible_to(self.request.user)

    def scope_queryset(self, qs):
        return qs

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            # Schema generation (no tenant, no user): only the model is needed.
            return QuerySet(model=self.model).none()
        if getattr(self.request, "membership", None) is None:
            raise NoMembership
        return self.scope_queryset(self.restrict_queryset(self.get_base_queryset()))


class TenantGenericAPIView(ScopedQuerysetMixin, TenantAPIMixin, generics.GenericAPIView):
    """A generic view (one queryset) inside the tenant, visibility applied."""


class TenantViewSet(ScopedQuerysetMixin, TenantAPIMixin, viewsets.GenericViewSet):
    """Base of the product's viewsets; add DRF's mixins for the actions wanted."""


class TenantReadOnlyViewSet(ScopedQuerysetMixin, TenantAPIMixin, viewsets.ReadOnlyModelViewSet):
    """List and retrieve by ``code`` inside the tenant, visibility applied."""
