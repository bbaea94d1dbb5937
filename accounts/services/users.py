"""Operations on users and memberships. Each is one transaction; the audit trigger
records every row it changes, with the actor and reason from the audit context."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from ..models import Language, Membership, Role, User


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
