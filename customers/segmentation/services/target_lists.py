"""Target lists (R8): create, change, freeze (snapshot), unfreeze, delete.

Who may manage lists is the views' call (analysts, admins and managers; a manager their own
lists); these services check the input. Freezing copies the members the freezing member
sees *now* into ``TargetListMember`` with one ``INSERT … SELECT`` (the list's own query, not
a loop); the list's filters are locked while it is frozen. Unfreezing drops the snapshot.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import CustomerKind
from customers.validation import text
from sfe.core.tenancy import require_tenant_id

from ..list_filters import clean_filters
from ..models import TargetList, TargetListMember


def _name(name: str) -> str:
    name = text(name)
    if not name:
        raise ValidationError({"name": _("Give the list a name.")})
    if len(name) > 120:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": 120}})
    return name


def _description(value: str) -> str:
    value = text(value)
    if len(value) > 500:
        raise ValidationError({"description": _("Use at most %(n)s characters.") % {"n": 500}})
    return value


def _save(tl: TargetList, fields: list[str] | None = None) -> TargetList:
    try:
        with transaction.atomic():
            tl.save(update_fields=fields) if fields else tl.save()
    except IntegrityError:
        raise ValidationError({"name": _("A target list with this name exists already.")}) from None
    return tl


@transaction.atomic
def target_list_create(*, name: str, kind: str, filters, by, description: str = "") -> TargetList:
    if kind not in CustomerKind.values:
        raise ValidationError({"kind": _("Choose HCPs or institutions.")})
    tl = TargetList(name=_name(name), kind=kind, filters=clean_filters(filters, kind=kind), owner=by,
                    description=_description(description))
    return _save(tl)


@transaction.atomic
def target_list_update(*, target_list: TargetList, by, name=..., description=..., filters=...) -> TargetList:
    """Change what is given (``...`` = leave as is). A frozen list's filters cannot change."""
    tl = TargetList.objects.select_for_update().get(pk=target_list.pk)
    fields = ["updated_at"]
    if name is not ...:
        tl.name = _name(name)
        fields.append("name")
    if description is not ...:
        tl.description = _description(description)
        fields.append("description")
    if filters is not ...:
        clean = clean_filters(filters, kind=tl.kind)
        if clean != tl.filters:
            if tl.is_frozen:
                raise ValidationError({"filters": _("The list is frozen: unfreeze it to change its filters.")})
            tl.filters = clean
            fields.append("filters")
    return _save(tl, fields)


@transaction.atomic
def target_list_freeze(*, target_list: TargetList, by) -> TargetList:
    """Snapshot the members ``by`` sees now (replacing an earlier snapshot)."""
    from ..selectors import target_list_live_members

    tl = TargetList.objects.select_for_update().get(pk=target_list.pk)
    TargetListMember.objects.filter(target_list=tl).delete()
    column = "hcp_id" if tl.kind == CustomerKind.HCP else "institution_id"
    members = target_list_live_members(tl, by.user).order_by().values("id")
    sql, params = members.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO segmentation_targetlistmember (tenant_id, target_list_id, {column}) "
                    f"SELECT %s, %s, q.id FROM ({sql}) q", [require_tenant_id(), tl.pk, *params])
        count = cur.rowcount
    tl.is_frozen, tl.frozen_at, tl.frozen_by, tl.member_count = True, timezone.now(), by, count
    tl.save(update_fields=["is_frozen", "frozen_at", "frozen_by", "member_count", "updated_at"])
    return tl


@transaction.atomic
def target_list_unfreeze(*, target_list: TargetList, by) -> TargetList:
    tl = TargetList.objects.select_for_update().get(pk=target_list.pk)
    TargetListMember.objects.filter(target_list=tl).delete()
    tl.is_frozen, tl.frozen_at, tl.frozen_by, tl.member_count = False, None, None, None
    tl.save(update_fields=["is_frozen", "frozen_at", "frozen_by", "member_count", "updated_at"])
    return tl


@transaction.atomic
def target_list_delete(*, target_list: TargetList, by) -> None:
    TargetList.objects.filter(pk=target_list.pk).delete()
