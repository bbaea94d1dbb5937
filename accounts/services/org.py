"""Operations on the organisation tree and positions.

Every change of a node closes its current ``OrgNodeVersion`` and opens a new one on the
effective date (two changes on one day fold into that day's version), so
``tree_as_of(day)`` can rebuild the tree as it was. Each operation is one transaction
and the audit trigger records the rows it changes.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Func, Q, Value
from django.utils.translation import gettext as _

from sfe.core.tenancy import current_audit, current_tenant

from ..models import Membership, OrgNode, OrgNodeVersion, Position


def _today() -> dt.date:
    return current_tenant().today()


def _open_version(node: OrgNode, *, day: dt.date, change: str, reason: str = "") -> None:
    current = (
        OrgNodeVersion.objects.select_for_update().filter(node=node, valid_to__isnull=True).first()
    )
    fields = {"name": node.name, "kind": node.kind, "parent_id": node.parent_id,
              "retired": node.retired_on is not None}
    if current is not None:
        if day < current.valid_from:
            raise ValidationError({"effective_date": _(
                "The change cannot take effect before the node's last change (%(day)s)."
            ) % {"day": current.valid_from}})
        if current.valid_from == day:
            for k, v in fields.items():
                setattr(current, k, v)
            current.change = change if current.change == "created" and change != "created" else change
            current.reason = reason
            current.save()
            return
        current.valid_to = day
        current.save(update_fields=["valid_to"])
    OrgNodeVersion.objects.create(
        node=node, valid_from=day, change=change, reason=reason,
        changed_by_id=current_audit().actor_id, **fields,
    )


@transaction.atomic
def node_create(*, name: str, kind: str, parent: OrgNode | None, external_code: str = "",
                effective_date: dt.date | None = None) -> OrgNode:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    if parent is not None:
        parent = OrgNode.objects.select_for_update().get(pk=parent.pk)
        if parent.is_retired:
            raise ValidationError({"parent": _("%(name)s is retired: nothing can be added under it.") % {"name": parent.name}})
    node = OrgNode(name=name, kind=kind, parent=parent, external_code=external_code, path="/", depth=0)
    node.full_clean(exclude=["path", "tenant"])
    node.save()
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    node.depth = parent.depth + 1 if parent else 0
    node.save(update_fields=["path", "depth"])
    _open_version(node, day=effective_date or _today(), change="created")
    return node


@transaction.atomic
def node_rename(*, node: OrgNode, name: str, reason: str = "", effective_date: dt.date | None = None) -> OrgNode:
    node = OrgNode.objects.select_for_update().get(pk=node.pk)
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    if node.is_retired:
        raise ValidationError({"name": _("A retired node cannot be renamed.")})
    if name == node.name:
        return node
    node.name = name
    node.save(update_fields=["name"])
    _open_version(node, day=effective_date or _today(), change="renamed", reason=reason)
    return node


@transaction.atomic
def node_move(*, node: OrgNode, new_parent: OrgNode | None, reason: str = "",
              effective_date: dt.date | None = None) -> OrgNode:
    """Move a node (and its whole subtree) under ``new_parent``."""
    node = OrgNode.objects.select_for_update().get(pk=node.pk)
    if node.is_retired:
        raise ValidationError({"parent": _("A retired node cannot be moved.")})
    if new_parent is not None:
        new_parent = OrgNode.objects.select_for_update().get(pk=new_parent.pk)
        if new_parent.pk == node.pk or new_parent.path.startswith(node.path):
            raise ValidationError({"parent": _(
                "%(node)s cannot move under %(parent)s: that is the node itself or one of its descendants."
            ) % {"node": node.name, "parent": new_parent.name}})
        if new_parent.is_retired:
            raise ValidationError({"parent": _("%(name)s is retired: nothing can be moved under it.") % {"name": new_parent.name}})
    if node.parent_id == (new_parent.pk if new_parent else None):
        return node
    old_path = node.path
    new_path = f"{new_parent.path if new_parent else '/'}{node.pk}/"
    depth_shift = (new_parent.depth + 1 if new_parent else 0) - node.depth
    # One set-based UPDATE re-roots the whole subtree.
    OrgNode.objects.filter(path__startswith=old_path).update(
        path=Func(F("path"), Value(old_path), Value(new_path), function="replace"),
        depth=F("depth") + depth_shift,
    )
    node.refresh_from_db()
    node.parent = new_parent
    node.save(update_fields=["parent"])
    _open_version(node, day=effective_date or _today(), change="moved", reason=reason)
    return node


@transaction.atomic
def node_retire(*, node: OrgNode, reason: str = "", effective_date: dt.date | None = None) -> OrgNode:
    """Retire a node. It must have no live children and no position open after the date."""
    day = effective_date or _today()
    node = OrgNode.objects.select_for_update().get(pk=node.pk)
    if node.is_retired:
        return node
    if OrgNode.objects.live().filter(parent=node).exists():
        raise ValidationError({"node": _("%(name)s still has active nodes under it: move or retire them first.") % {"name": node.name}})
    if Position.objects.filter(node=node).filter(Q(end_date__isnull=True) | Q(end_date__gte=day)).exists():
        raise ValidationError({"node": _("%(name)s still has a holder on or after %(day)s: end the position first.") % {"name": node.name, "day": day}})
    node.retired_on = day
    node.save(update_fields=["retired_on"])
    _open_version(node, day=day, change="retired", reason=reason)
    return node


@transaction.atomic
def position_assign(*, node: OrgNode, holder: Membership, start_date: dt.date,
                    end_date: dt.date | None = None, title: str = "") -> Position:
    """Assign ``holder`` to ``node`` from ``start_date`` to ``end_date`` (inclusive)."""
    # Both are re-read in the current tenant: a node or member of another tenant is "not found".
    try:
        node = OrgNode.objects.select_for_update().get(pk=node.pk)
    except OrgNode.DoesNotExist:
        raise ValidationError({"node": _("This node does not exist.")}) from None
    try:
        holder = Membership.objects.get(pk=holder.pk)
    except Membership.DoesNotExist:
        raise ValidationError({"holder": _("This user is not a member of this company.")}) from None
    if not holder.is_active:
        raise ValidationError({"holder": _("%(name)s is deactivated.") % {"name": holder.user.full_name}})
    if node.is_retired:
        raise ValidationError({"node": _("%(name)s is retired: no one can be assigned to it.") % {"name": node.name}})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    if not current_tenant().allow_overlapping_positions:
        overlapping = Position.objects.filter(node=node, start_date__lte=end_date or dt.date.max).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=start_date)
        ).select_related("holder__user").first()
        if overlapping is not None:
            raise ValidationError({"start_date": _(
                "%(node)s already has a holder in that period (%(holder)s from %(start)s): "
                "end that position first, or allow overlapping positions in the company settings."
            ) % {"node": node.name, "holder": overlapping.holder.user.full_name, "start": overlapping.start_date}})
    position = Position(node=node, holder=holder, start_date=start_date, end_date=end_date, title=title)
    position.full_clean(exclude=["tenant"])
    position.save()
    return position


@transaction.atomic
def position_end(*, position: Position, end_date: dt.date, reason: str = "") -> Position:
    position = Position.objects.select_for_update().get(pk=position.pk)
    if end_date < position.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    position.end_date = end_date
    position.save(update_fields=["end_date"])
    return position


def tree_as_of(day: dt.date) -> list[dict]:
    """The tree as it was at the end of ``day``: one query over the versions."""
    rows = list(
        OrgNodeVersion.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .select_related("node").order_by("name")
        .values("node_id", "node__code", "name", "kind", "parent_id", "retired")
    )
    by_parent: dict[int | None, list[dict]] = {}
    for r in rows:
        r["children"] = []
        by_parent.setdefault(r["parent_id"], []).append(r)
    ids = {r["node_id"] for r in rows}
    for r in rows:
        r["children"] = by_parent.get(r["node_id"], [])
    return [r for r in rows if r["parent_id"] is None or r["parent_id"] not in ids]
