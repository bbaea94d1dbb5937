"""Operations on the organisation tree, positions and the company settings.

Every change of a node closes its current ``OrgNodeVersion`` and opens a new one on the
effective date (two changes on one day fold into that day's version), so
``tree_as_of(day)`` can rebuild the tree as it was. A change takes effect today or on a
past date, never in the future: the node row itself changes at once, so a future
version would make today's tree and its history disagree. Each operation is one
transaction; the audit trigger records the rows it changes, with the reason given.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import DateField, Exists, F, OuterRef, Q, Value
from django.db.models.functions import Coalesce, Concat, Substr
from django.utils.translation import gettext as _

from sfe.core.tenancy import TenantScopeError, audit_reason, current_audit, current_tenant, require_tenant_id

from ..models import Language, Membership, OrgNode, OrgNodeVersion, Position, Tenant

# Active ISO 4217 currency codes (funds and precious metals left out).
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP
BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP
GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR
KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK
MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR
SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
""".split())

TENANT_SETTINGS_FIELDS = (
    "name", "default_language", "time_zone", "currency", "fiscal_year_start_month",
    "allow_overlapping_positions", "approval_escalate_after_hours",
)


def _today() -> dt.date:
    return current_tenant().today()


def _effective_day(effective_date: dt.date | None) -> dt.date:
    today = _today()
    day = effective_date or today
    if day > today:
        raise ValidationError({"effective_date": _(
            "A change to the organisation cannot take effect in the future (today is %(today)s)."
        ) % {"today": today}})
    return day


def _first_day(node: OrgNode) -> dt.date | None:
    """The day ``node`` came into existence (its first version)."""
    return (OrgNodeVersion.objects.filter(node=node).order_by("valid_from")
            .values_list("valid_from", flat=True).first())


def _check_parent_existed(parent: OrgNode, day: dt.date) -> None:
    first = _first_day(parent)
    if first is not None and day < first:
        raise ValidationError({"effective_date": _(
            "%(parent)s only exists from %(first)s: the change cannot take effect before that."
        ) % {"parent": parent.name, "first": first}})


def _reread_node(node: OrgNode, *, field: str) -> OrgNode:
    """Lock ``node`` again in the current tenant; a node of another tenant is "not found"."""
    try:
        return OrgNode.objects.select_for_update().get(pk=node.pk)
    except OrgNode.DoesNotExist:
        raise ValidationError({field: _("This node does not exist.")}) from None


def _open_version(node: OrgNode, *, day: dt.date, change: str, reason: str = "") -> None:
    current = (
        OrgNodeVersion.objects.select_for_update().filter(node=node, valid_to__isnull=True).first()
    )
    fields = {"name": node.name, "kind": node.kind, "parent_id": node.parent_id,
              "retired": node.retired_on is not None}
    actor_id = current_audit().actor_id
    if current is not None:
        if day < current.valid_from:
            raise ValidationError({"effective_date": _(
                "The change cannot take effect before the node's last change (%(day)s)."
            ) % {"day": current.valid_from}})
        if current.valid_from == day:
            # Two changes on one day fold into that day's version (a version cannot be
            # empty); it is labelled with the later change.
            for k, v in fields.items():
                setattr(current, k, v)
            current.change = change
            current.reason = reason
            current.changed_by_id = actor_id
            current.save(update_fields=[*fields, "change", "reason", "changed_by"])
            return
        current.valid_to = day
        current.save(update_fields=["valid_to"])
    OrgNodeVersion.objects.create(
        node=node, valid_from=day, change=change, reason=reason, changed_by_id=actor_id, **fields,
    )


@transaction.atomic
def node_create(*, name: str, kind: str, parent: OrgNode | None, external_code: str = "",
                effective_date: dt.date | None = None) -> OrgNode:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    day = _effective_day(effective_date)
    if parent is not None:
        parent = _reread_node(parent, field="parent")
        if parent.is_retired:
            raise ValidationError({"parent": _("%(name)s is retired: nothing can be added under it.") % {"name": parent.name}})
        _check_parent_existed(parent, day)
    node = OrgNode(name=name, kind=kind, parent=parent, external_code=(external_code or "").strip(),
                   path="/", depth=0)
    node.full_clean(exclude=["path", "tenant", "parent"])
    node.save()
    node.path = f"{parent.path if parent else '/'}{node.pk}/"
    node.depth = parent.depth + 1 if parent else 0
    node.save(update_fields=["path", "depth"])
    _open_version(node, day=day, change="created")
    return node


@transaction.atomic
def node_rename(*, node: OrgNode, name: str, reason: str = "", effective_date: dt.date | None = None) -> OrgNode:
    node = _reread_node(node, field="node")
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("The name is required.")})
    if len(name) > OrgNode._meta.get_field("name").max_length:
        raise ValidationError({"name": _("The name is too long.")})
    if node.is_retired:
        raise ValidationError({"name": _("A retired node cannot be renamed.")})
    day = _effective_day(effective_date)
    if name == node.name:
        return node
    with audit_reason(reason):
        node.name = name
        node.save(update_fields=["name"])
        _open_version(node, day=day, change="renamed", reason=reason)
    return node


@transaction.atomic
def node_move(*, node: OrgNode, new_parent: OrgNode | None, reason: str = "",
              effective_date: dt.date | None = None) -> OrgNode:
    """Move a node (and its whole subtree) under ``new_parent``."""
    node = _reread_node(node, field="node")
    if node.is_retired:
        raise ValidationError({"parent": _("A retired node cannot be moved.")})
    day = _effective_day(effective_date)
    if new_parent is not None:
        new_parent = _reread_node(new_parent, field="parent")
        if new_parent.pk == node.pk or new_parent.path.startswith(node.path):
            raise ValidationError({"parent": _(
                "%(node)s cannot move under %(parent)s: that is the node itself or one of its descendants."
            ) % {"node": node.name, "parent": new_parent.name}})
        if new_parent.is_retired:
            raise ValidationError({"parent": _("%(name)s is retired: nothing can be moved under it.") % {"name": new_parent.name}})
        _check_parent_existed(new_parent, day)
    if node.parent_id == (new_parent.pk if new_parent else None):
        return node
    old_path = node.path
    new_path = f"{new_parent.path if new_parent else '/'}{node.pk}/"
    depth_shift = (new_parent.depth + 1 if new_parent else 0) - node.depth
    with audit_reason(reason):
        # One set-based UPDATE re-roots the whole subtree: the old prefix is cut off and
        # the new one put in front (a prefix swap, not a search-and-replace).
        OrgNode.objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr(F("path"), len(old_path) + 1)),
            depth=F("depth") + depth_shift,
        )
        node.refresh_from_db()
        node.parent = new_parent
        node.save(update_fields=["parent"])
        _open_version(node, day=day, change="moved", reason=reason)
    return node


@transaction.atomic
def node_retire(*, node: OrgNode, reason: str = "", effective_date: dt.date | None = None) -> OrgNode:
    """Retire a node. It must have no live children and no position open after the date."""
    day = _effective_day(effective_date)
    node = _reread_node(node, field="node")
    if node.is_retired:
        return node
    if OrgNode.objects.live().filter(parent=node).exists():
        raise ValidationError({"node": _("%(name)s still has active nodes under it: move or retire them first.") % {"name": node.name}})
    if Position.objects.filter(node=node).filter(Q(end_date__isnull=True) | Q(end_date__gte=day)).exists():
        raise ValidationError({"node": _("%(name)s still has a holder on or after %(day)s: end the position first.")
                               % {"name": node.name, "day": day}})
    with audit_reason(reason):
        node.retired_on = day
        node.save(update_fields=["retired_on"])
        _open_version(node, day=day, change="retired", reason=reason)
    return node


def _overlapping(node: OrgNode, start: dt.date, end: dt.date | None, *, exclude_pk: int | None = None):
    qs = Position.objects.filter(node=node, start_date__lte=end or dt.date.max).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start)
    )
    if exclude_pk is not None:
        qs = qs.exclude(pk=exclude_pk)
    return qs.select_related("holder__user").order_by("start_date").first()


def _overlap_error(field: str, node: OrgNode, other: Position) -> ValidationError:
    return ValidationError({field: _(
        "%(node)s already has a holder in that period (%(holder)s from %(start)s): "
        "end that position first, or allow overlapping positions in the company settings."
    ) % {"node": node.name, "holder": other.holder.user.full_name, "start": other.start_date}})


@transaction.atomic
def position_assign(*, node: OrgNode, holder: Membership, start_date: dt.date,
                    end_date: dt.date | None = None, title: str = "") -> Position:
    """Assign ``holder`` to ``node`` from ``start_date`` to ``end_date`` (inclusive)."""
    # Both are re-read in the current tenant: a node or member of another tenant is "not found".
    node = _reread_node(node, field="node")
    try:
        holder = Membership.objects.select_related("user").get(pk=holder.pk)
    except Membership.DoesNotExist:
        raise ValidationError({"holder": _("This user is not a member of this company.")}) from None
    if not holder.is_active or not holder.user.is_active:
        raise ValidationError({"holder": _("%(name)s is deactivated.") % {"name": holder.user.full_name}})
    if node.is_retired:
        raise ValidationError({"node": _("%(name)s is retired: no one can be assigned to it.") % {"name": node.name}})
    if start_date is None:
        raise ValidationError({"start_date": _("The start date is required.")})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    if not current_tenant().allow_overlapping_positions:
        overlapping = _overlapping(node, start_date, end_date)
        if overlapping is not None:
            raise _overlap_error("start_date", node, overlapping)
    position = Position(node=node, holder=holder, start_date=start_date, end_date=end_date,
                        title=(title or "").strip())
    position.full_clean(exclude=["tenant"])
    position.save()
    return position


@transaction.atomic
def position_end(*, position: Position, end_date: dt.date, reason: str = "") -> Position:
    try:
        position = Position.objects.select_for_update().select_related("node").get(pk=position.pk)
    except Position.DoesNotExist:
        raise ValidationError({"position": _("This position does not exist.")}) from None
    if end_date is None:
        raise ValidationError({"end_date": _("The end date is required.")})
    if end_date < position.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    extends = position.end_date is not None and end_date > position.end_date
    if extends and not current_tenant().allow_overlapping_positions:
        # Moving the end later may run into the next holder's period.
        OrgNode.objects.select_for_update().filter(pk=position.node_id).first()
        overlapping = _overlapping(position.node, position.start_date, end_date, exclude_pk=position.pk)
        if overlapping is not None:
            raise _overlap_error("end_date", position.node, overlapping)
    with audit_reason(reason):
        position.end_date = end_date
        position.save(update_fields=["end_date"])
    return position


def tree_as_of(day: dt.date) -> list[dict]:
    """The tree as it was at the end of ``day``: one query over the versions.

    Returns the roots (nodes with no parent that day, or whose parent did not exist
    that day), each a dict with ``node_id``, ``node__code``, ``name``, ``kind``,
    ``parent_id``, ``retired`` and ``children`` (the same dicts), children by name.
    """
    rows = list(
        OrgNodeVersion.objects.filter(valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gt=day))
        .order_by("name", "node_id")
        .values("node_id", "node__code", "name", "kind", "parent_id", "retired")
    )
    by_parent: dict[int | None, list[dict]] = {}
    for r in rows:
        by_parent.setdefault(r["parent_id"], []).append(r)
    ids = {r["node_id"] for r in rows}
    for r in rows:
        r["children"] = by_parent.get(r["node_id"], [])
    return [r for r in rows if r["parent_id"] is None or r["parent_id"] not in ids]


# --------------------------------------------------------------------------- company settings


def validate_currency(value: str) -> str:
    code = (value or "").strip().upper()
    if code not in ISO_4217:
        raise ValidationError({"currency": _(
            "%(value)s is not an ISO 4217 currency code (for example CNY, USD, EUR)."
        ) % {"value": value}})
    return code


@transaction.atomic
def tenant_update_settings(*, tenant: Tenant, **fields) -> Tenant:
    """Change the current tenant's company settings (only ``TENANT_SETTINGS_FIELDS``)."""
    unknown = sorted(set(fields) - set(TENANT_SETTINGS_FIELDS))
    if unknown:
        raise TypeError(f"tenant_update_settings() got unknown settings: {', '.join(unknown)}")
    if tenant.pk != require_tenant_id():
        raise TenantScopeError("A tenant's settings can only be changed inside that tenant.")
    row = Tenant.objects.select_for_update().get(pk=tenant.pk)
    errors: dict[str, list[str]] = {}
    if "name" in fields:
        fields["name"] = (fields["name"] or "").strip()
        if not fields["name"]:
            errors.setdefault("name", []).append(_("The company name is required."))
    if "currency" in fields:
        try:
            fields["currency"] = validate_currency(fields["currency"])
        except ValidationError as exc:
            errors.setdefault("currency", []).extend(exc.message_dict["currency"])
    if "time_zone" in fields:
        fields["time_zone"] = (fields["time_zone"] or "").strip()
        if fields["time_zone"] not in zoneinfo.available_timezones():
            errors.setdefault("time_zone", []).append(_(
                "%(value)s is not a known time zone: use a name such as Asia/Shanghai."
            ) % {"value": fields["time_zone"] or "—"})
    if "default_language" in fields and fields["default_language"] not in Language.values:
        errors.setdefault("default_language", []).append(_("Unknown language."))
    if "fiscal_year_start_month" in fields:
        month = fields["fiscal_year_start_month"]
        if not isinstance(month, int) or not 1 <= month <= 12:
            errors.setdefault("fiscal_year_start_month", []).append(
                _("The fiscal year start month must be between 1 and 12."))
    if errors:
        raise ValidationError(errors)
    if fields.get("allow_overlapping_positions") is False and row.allow_overlapping_positions:
        clash = _first_overlap()
        if clash is not None:
            a, b = clash
            raise ValidationError({"allow_overlapping_positions": _(
                "%(node)s has two holders at once (%(a)s and %(b)s): end one of those positions "
                "before turning this off."
            ) % {"node": a.node.name, "a": a.holder.user.full_name, "b": b.holder.user.full_name}})
    changed = [k for k, v in fields.items() if getattr(row, k) != v]
    if not changed:
        return tenant
    for k in changed:
        setattr(row, k, fields[k])
    row.full_clean()
    row.save(update_fields=changed)
    for k in changed:  # keep the caller's (and the scope's) instance current
        setattr(tenant, k, getattr(row, k))
    return tenant


def _first_overlap() -> tuple[Position, Position] | None:
    """Two positions on one node whose periods overlap, if any (two queries at most)."""
    # [s1, e1] and [s2, e2] overlap when s2 <= e1 and e2 >= s1, an open end being "for ever".
    other = (
        Position.objects.filter(node_id=OuterRef("node_id")).exclude(pk=OuterRef("pk"))
        .filter(start_date__lte=Coalesce(OuterRef("end_date"), Value(dt.date.max, output_field=DateField())))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("start_date")))
    )
    first = (
        Position.objects.filter(Exists(other)).select_related("node")
        .order_by("node_id", "start_date", "pk").first()
    )
    if first is None:
        return None
    second = _overlapping(first.node, first.start_date, first.end_date, exclude_pk=first.pk)
    first = Position.objects.select_related("node", "holder__user").get(pk=first.pk)
    return (first, second) if second is not None else None
