"""Request id and tenant entry for pages and the API."""

from __future__ import annotations

import logging
import re
import uuid

from django.db import transaction

from accounts.principal import membership_of_request_user

from .tenancy import audit_context, tenant_scope

_request_id_ok = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_current_request_id: dict[int, str] = {}


class RequestIdMiddleware:
    """Takes ``X-Request-ID`` from a trusted proxy or makes one; echoes it back."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID", "")
        request.request_id = rid if _request_id_ok.match(rid) else uuid.uuid4().hex
        with audit_context(request_id=request.request_id):
            response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record):
        from .tenancy import current_audit

        record.request_id = current_audit().request_id or "-"
        return True


class TenantMiddleware:
    """Enters the signed-in user's tenant for the whole request, rendering included.

    The tenant comes from the user's active membership, read with the user and the tenant
    in one query (``accounts.principal``: the user row joined to the ``sfe_user_membership``
    database function; the membership table is itself under row-level security). The view runs in one transaction
    whose settings are made transaction-local by the database wrapper, so nothing outlives
    the request. The scope holds the tenant row itself, so ``current_tenant()`` costs no
    query later in the request.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        request.tenant = None
        request.membership = None
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        membership = membership_of_request_user(user)
        if membership is None:
            if not user.is_staff:
                # A deactivated membership ends every session at once.
                from django.contrib.auth import logout
                from django.shortcuts import redirect

                logout(request)
                return redirect("login")
            # Platform operators (no membership) reach only platform pages.
            with audit_context(actor_id=user.pk):
                return self.get_response(request)
        with tenant_scope(membership.tenant), audit_context(actor_id=user.pk), transaction.atomic():
            request.membership = membership
            request.tenant = membership.tenant
            user.membership = membership
            activate_user_language(request, user, membership.tenant)
            try:
                response = self.get_response(request)
                if hasattr(response, "render") and callable(response.render) and not response.is_rendered:
                    response.render()
            finally:
                from django.utils import timezone

                timezone.deactivate()
        return response


def activate_user_language(request, user, tenant) -> None:
    """The user's saved language, else the tenant's default, else the cookie / browser;
    and the tenant's time zone for every date and time shown."""
    import zoneinfo

    from django.utils import timezone, translation

    if tenant is not None:
        timezone.activate(zoneinfo.ZoneInfo(tenant.time_zone))

    lang = user.language or (tenant.default_language if tenant else None)
    if request.COOKIES.get("sfe_language") and not user.language:
        lang = request.COOKIES["sfe_language"]
    if lang:
        translation.activate(lang)
        request.LANGUAGE_CODE = translation.get_language()
