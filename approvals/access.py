"""The first request type: a member asks for an extra role; the chain's approvers decide.

Registered with the engine like any other type; approving adds the role.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import Membership, Role

from . import registry

KEY = "role_request"


def _grant(request) -> None:
    membership = Membership.objects.select_for_update().get(pk=request.requester_id)
    role = request.payload.get("role")
    if role in Role.values and role not in membership.roles:
        membership.roles = [*membership.roles, role]
        membership.save(update_fields=["roles"])


def _describe(request) -> list[tuple[str, str]]:
    role = request.payload.get("role", "")
    label = str(Role(role).label) if role in Role.values else role
    return [(_("Role asked for"), label), (_("Reason"), request.payload.get("reason", ""))]


registry.register(registry.RequestType(
    key=KEY, label=gettext_lazy("Access request (extra role)"), low_risk=True,
    on_approved=_grant, describe=_describe,
))


@transaction.atomic
def role_request_submit(*, requester: Membership, role: str, reason: str):
    from .services import approval_submit

    reason = (reason or "").strip()
    if role not in Role.values:
        raise ValidationError({"role": _("Choose a role.")})
    if role in requester.roles:
        raise ValidationError({"role": _("You already have this role.")})
    if not reason:
        raise ValidationError({"reason": _("Say why you need this role.")})
    title = _("%(name)s asks for the role %(role)s") % {"name": requester.user.full_name, "role": Role(role).label}
    return approval_submit(request_type=KEY, requester=requester, title=title, category=role,
                           payload={"role": role, "reason": reason})
