"""Operations on users and memberships. Each is one transaction; the audit trigger
records every row it changes, with the actor and reason from the audit context.

Emails (invitations, password resets) are built inside the operation, in the
recipient's language, and sent only once the transaction commits
(``transaction.on_commit``): a rolled-back change never mails a link.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django.utils.translation import gettext as _

from sfe.core.tenancy import current_tenant

from ..models import Language, Membership, Role, User

log = logging.getLogger("sfe.accounts.users")


def _clean_roles(roles: Iterable[str]) -> list[str]:
    roles = list(dict.fromkeys(roles))
    unknown = [r for r in roles if r not in Role.values]
    if unknown:
        raise ValidationError({"roles": _("Unknown role: %(roles)s") % {"roles": ", ".join(unknown)}})
    return roles


@transaction.atomic
def user_create(*, email: str, full_name: str, roles: Iterable[str], password: str | None = None,
                language: str = "", employee_no: str = "", phone: str = "") -> Membership:
    """Create a user in the current tenant with the given roles."""
    email = (email or "").strip().lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("A user with the email %(email)s already exists.") % {"email": email}})
    user = User(email=email, full_name=full_name.strip(), language=language)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    membership = Membership(user=user, roles=_clean_roles(roles), employee_no=employee_no, phone=phone)
    membership.save()
    return membership


@transaction.atomic
def user_set_language(*, user: User, language: str) -> None:
    if language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])


# --------------------------------------------------------------------------- admin operations


def _require_roles(roles: Iterable[str]) -> list[str]:
    roles = _clean_roles(roles)
    if not roles:
        raise ValidationError({"roles": _("Choose at least one role.")})
    return roles


def _other_active_admins_exist(membership: Membership) -> bool:
    """Whether an active admin other than ``membership`` exists, with the admins locked.

    Locking every active admin membership makes two admins who demote or deactivate each
    other at the same moment wait for one another, so one of them always remains.
    """
    admins = list(
        Membership.objects.active().with_role(Role.ADMIN).select_for_update(of=("self",))
        .values_list("pk", flat=True)
    )
    return any(pk != membership.pk for pk in admins)


def _is_active_admin(membership: Membership) -> bool:
    return membership.is_active and membership.user.is_active and membership.has_role(Role.ADMIN)


@transaction.atomic
def user_add(*, email: str, full_name: str, roles: Iterable[str], language: str = "",
             employee_no: str = "", phone: str = "", invite: bool = True, invited_by: User | None = None,
             base_url: str = "") -> Membership:
    """An admin adds a user to the tenant; with ``invite`` the user gets a set-password email."""
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("The name is required.")})
    if language and language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    try:
        with transaction.atomic():
            membership = user_create(
                email=email, full_name=full_name, roles=_require_roles(roles), language=language,
                employee_no=(employee_no or "").strip(), phone=(phone or "").strip(),
            )
    except IntegrityError:  # the same email created concurrently, after user_create's check
        raise ValidationError({"email": _("A user with the email %(email)s already exists.") % {
            "email": (email or "").strip().lower()}}) from None
    if invite:
        membership = user_send_invitation(membership=membership, invited_by=invited_by, base_url=base_url)
    return membership


@transaction.atomic
def user_update(*, membership: Membership, full_name: str, roles: Iterable[str], language: str = "",
                employee_no: str = "", phone: str = "") -> Membership:
    """Change a user's name, roles, language, employee number and phone.

    The last active administrator cannot lose the admin role: the tenant would have
    nobody left to manage it.
    """
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    user = membership.user
    full_name = (full_name or "").strip()
    if not full_name:
        raise ValidationError({"full_name": _("The name is required.")})
    if language and language not in Language.values:
        raise ValidationError({"language": _("Unknown language.")})
    roles = _require_roles(roles)
    if (_is_active_admin(membership) and Role.ADMIN not in roles
            and not _other_active_admins_exist(membership)):
        raise ValidationError({"roles": _(
            "%(name)s is the last active administrator: the admin role cannot be removed. "
            "Give another active user the admin role first."
        ) % {"name": user.full_name}})
    user_fields = []
    if user.full_name != full_name:
        user.full_name = full_name
        user_fields.append("full_name")
    if user.language != language:
        user.language = language
        user_fields.append("language")
    if user_fields:
        user.full_clean(exclude=["password", "email"])
        user.save(update_fields=user_fields)
    membership.roles = roles
    membership.employee_no = (employee_no or "").strip()
    membership.phone = (phone or "").strip()
    membership.full_clean(exclude=["user", "tenant"])
    membership.save(update_fields=["roles", "employee_no", "phone"])
    return membership


@transaction.atomic
def user_deactivate(*, membership: Membership, actor: User) -> Membership:
    """Deactivate a user (never delete): the membership and the sign-in both end.

    Their sessions end at their next request (the tenant middleware finds no active
    membership); their records and positions stay.
    """
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    user = membership.user
    if user.pk == actor.pk:
        raise ValidationError({"membership": _("You cannot deactivate your own account.")})
    if _is_active_admin(membership) and not _other_active_admins_exist(membership):
        raise ValidationError({"membership": _(
            "%(name)s is the last active administrator and cannot be deactivated."
        ) % {"name": user.full_name}})
    if membership.is_active:
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])
    return membership


@transaction.atomic
def user_activate(*, membership: Membership) -> Membership:
    """Reactivate a deactivated user: they can sign in again with their password."""
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    user = membership.user
    if not membership.is_active:
        membership.is_active = True
        membership.save(update_fields=["is_active"])
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
    return membership


# --------------------------------------------------------------------------- emails


def _recipient_language(user: User) -> str:
    tenant = current_tenant()
    return user.language or (tenant.default_language if tenant else settings.LANGUAGE_CODE)


def set_password_link(user: User, base_url: str) -> str:
    """An absolute link to Django's ``password_reset_confirm`` for ``user``.

    The token (``default_token_generator``) stops working once the password changes,
    after a sign-in, or after ``PASSWORD_RESET_TIMEOUT``.
    """
    path = reverse("password_reset_confirm", kwargs={
        "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
    })
    return f"{base_url.rstrip('/')}{path}"


def _split_base_url(base_url: str) -> tuple[str, str]:
    protocol, _sep, rest = base_url.partition("://")
    return (protocol or "https"), rest.strip("/")


def build_invitation_email(*, user: User, invited_by: User | None, base_url: str) -> EmailMessage:
    tenant = current_tenant()
    with translation.override(_recipient_language(user)):
        context = {
            "user": user, "email": user.email, "tenant_name": tenant.name if tenant else "",
            "inviter": invited_by.full_name if invited_by else "",
            "link": set_password_link(user, base_url),
            "days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
            "login_url": f"{base_url.rstrip('/')}{reverse('login')}",
        }
        subject = _("You are invited to SFE Cloud · %(tenant)s") % {"tenant": context["tenant_name"]}
        body = render_to_string("accounts/users/invitation_email.html", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


def build_password_reset_email(*, user: User, base_url: str) -> EmailMessage:
    protocol, domain = _split_base_url(base_url)
    with translation.override(_recipient_language(user)):
        context = {
            "email": user.email, "user": user, "protocol": protocol, "domain": domain,
            "uid": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        }
        subject = "".join(render_to_string("registration/password_reset_subject.txt", context).splitlines())
        body = render_to_string("registration/password_reset_email.html", context)
    return EmailMessage(subject=subject, body=body, to=[user.email])


def send_after_commit(messages: list[EmailMessage]) -> None:
    """Send ``messages`` over one connection once the current transaction commits."""
    if not messages:
        return

    def _send() -> None:
        try:
            get_connection().send_messages(messages)
        except Exception:  # noqa: BLE001 - the users exist; a mail failure must not undo that
            log.exception("sending %d email(s) failed", len(messages))

    transaction.on_commit(_send)


def _require_active(membership: Membership) -> None:
    if not (membership.is_active and membership.user.is_active):
        raise ValidationError({"membership": _(
            "%(name)s is deactivated: reactivate the user first."
        ) % {"name": membership.user.full_name}})


@transaction.atomic
def user_send_invitation(*, membership: Membership, invited_by: User | None = None,
                         base_url: str) -> Membership:
    """Email the user a link to choose their password; records when it was sent.

    Only for users who have not chosen a password yet: the others get a password reset.
    """
    membership = Membership.objects.select_for_update().select_related("user").get(pk=membership.pk)
    user = membership.user
    _require_active(membership)
    if user.has_usable_password():
        raise ValidationError({"membership": _(
            "%(name)s has already chosen a password. Send a password reset instead."
        ) % {"name": user.full_name}})
    membership.invited_at = timezone.now()
    membership.save(update_fields=["invited_at"])
    send_after_commit([build_invitation_email(user=user, invited_by=invited_by, base_url=base_url)])
    return membership


@transaction.atomic
def user_send_password_reset(*, membership: Membership, base_url: str) -> Membership:
    """Email the user a link to choose a new password. The current password keeps
    working until they do."""
    membership = Membership.objects.select_related("user").get(pk=membership.pk)
    _require_active(membership)
    send_after_commit([build_password_reset_email(user=membership.user, base_url=base_url)])
    return membership
