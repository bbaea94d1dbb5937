"""Configuring approval chains: create, change (the steps are replaced), (de)activate.

Each function is one transaction; the audit trigger records every row it writes, with
the admin's reason for the change (``audit_reason``). Everything is checked here, at
configuration time, so a chain that no request could get through is never saved:

* a chain with no steps;
* a step no one can approve (a vacant position or an empty role with no fallback, a
  named user who is missing or deactivated);
* amounts that are not numbers, negative, or an "amount below" not above "amount at least";
* a request type that is not registered.

Errors are ``ValidationError``s keyed by field name. Step errors are keyed ``steps``;
each carries ``params={"step": n, "field": name}`` so a form can show it beside the
step's field, and its message names the step ("Step 2: …").

Requests already under way never change: the engine copies a chain's steps into the
request when it is submitted (``engine.approval_submit``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership, OrgNode, Position, Role
from sfe.core.tenancy import audit_reason, current_tenant

from .. import registry
from ..models import ApprovalChain, ApprovalChainStep, ApproverKind
from .resolution import role_has_members

MAX_TIME_LIMIT_HOURS = 24 * 90
CHAIN_FIELDS = ("request_type", "name", "priority", "min_amount", "max_amount", "node", "category")
STEP_KEYS = ("name", "kind", "role", "node", "user", "fallback", "time_limit_hours")


def _today() -> dt.date:
    return current_tenant().today()


def _amount(value, label: str, field: str, errors: dict) -> Decimal | None:
    """A condition amount as a Decimal (None when empty), or an error naming the field."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        errors[field].append(_("“%(label)s” must be a number, such as 5000 or 5000.50.") % {"label": label})
        return None
    if not amount.is_finite():
        errors[field].append(_("“%(label)s” must be a number, such as 5000 or 5000.50.") % {"label": label})
        return None
    if amount < 0:
        errors[field].append(_("“%(label)s” cannot be negative.") % {"label": label})
        return None
    if amount != amount.quantize(Decimal("0.01")):
        errors[field].append(_("“%(label)s” has at most two decimal places.") % {"label": label})
        return None
    if amount >= Decimal("1e12"):
        errors[field].append(_("“%(label)s” is too large.") % {"label": label})
        return None
    return amount


def _step_error(n: int, field: str, message: str) -> ValidationError:
    return ValidationError(_("Step %(step)s: %(problem)s") % {"step": n, "problem": message},
                           code="step", params={"step": n, "field": field})


def _member_name(m: Membership) -> str:
    return m.user.full_name or m.user.email


def _usable(m: Membership | None) -> bool:
    return m is not None and m.is_active and m.user.is_active


def _has_holder(node: OrgNode, day: dt.date) -> bool:
    return Position.objects.active_on(day).filter(
        node=node, holder__is_active=True, holder__user__is_active=True
    ).exists()


def _clean_steps(steps: list[dict], day: dt.date) -> tuple[list[dict], list[ValidationError]]:
    """Each step checked and reduced to the fields its kind uses."""
    cleaned: list[dict] = []
    errors: list[ValidationError] = []
    for n, raw in enumerate(steps, start=1):
        unknown = set(raw) - set(STEP_KEYS)
        if unknown:
            raise TypeError(f"unknown step keys: {sorted(unknown)}")
        kind = raw.get("kind") or ""
        role = raw.get("role") or ""
        node: OrgNode | None = raw.get("node")
        user: Membership | None = raw.get("user")
        fallback: Membership | None = raw.get("fallback")
        hours = raw.get("time_limit_hours")
        step = {"name": (raw.get("name") or "").strip(), "kind": kind, "role": "", "node": None,
                "user": None, "fallback": fallback, "time_limit_hours": hours}
        before = len(errors)
        if fallback is not None and not _usable(fallback):
            errors.append(_step_error(n, "fallback", _("the fallback approver %(name)s is deactivated.")
                                      % {"name": _member_name(fallback)}))
            fallback = None
        if kind not in ApproverKind.values:
            errors.append(_step_error(n, "kind", _("choose who approves it.")))
        elif kind == ApproverKind.POSITION:
            step["node"] = node
            if node is None:
                errors.append(_step_error(n, "node", _("choose the position whose holder approves it.")))
            elif node.retired_on is not None:
                errors.append(_step_error(n, "node", _("%(node)s is retired.") % {"node": node.name}))
            elif fallback is None and not _has_holder(node, day):
                errors.append(_step_error(n, "node", _("no one holds %(node)s and there is no fallback approver.")
                                          % {"node": node.name}))
        elif kind == ApproverKind.ROLE:
            step["role"] = role
            if role not in Role.values:
                errors.append(_step_error(n, "role", _("choose the role whose members approve it.")))
            elif fallback is None and not role_has_members(role):
                errors.append(_step_error(n, "role", _("no one has the role %(role)s and there is no fallback "
                                                       "approver.") % {"role": Role(role).label}))
        elif kind == ApproverKind.USER:
            step["user"] = user
            if user is None:
                errors.append(_step_error(n, "user", _("choose the user who approves it.")))
            elif not _usable(user):
                errors.append(_step_error(n, "user", _("%(name)s is deactivated and cannot approve.")
                                          % {"name": _member_name(user)}))
        try:
            hours_ok = hours is not None and 1 <= int(hours) <= MAX_TIME_LIMIT_HOURS
        except (TypeError, ValueError):
            hours_ok = False
        if not hours_ok:
            errors.append(_step_error(n, "time_limit_hours", _("the time limit must be a whole number of hours "
                                                               "from 1 to %(max)s.") % {"max": MAX_TIME_LIMIT_HOURS}))
        if len(errors) == before:
            step["time_limit_hours"] = int(hours)
            cleaned.append(step)
    return cleaned, errors


def _check(*, request_type, name, priority, min_amount, max_amount, node, category, steps) -> tuple[dict, list[dict]]:
    """Every configuration-time check; returns the cleaned chain fields and steps or raises."""
    errors: dict[str, list] = defaultdict(list)
    try:
        registry.get(request_type or "")
    except LookupError:
        errors["request_type"].append(
            _("“%(type)s” is not a registered request type.") % {"type": request_type or ""})
    name = (name or "").strip()
    if not name:
        errors["name"].append(_("Give the chain a name."))
    elif len(name) > 120:
        errors["name"].append(_("The name is at most 120 characters."))
    try:
        priority = int(priority)
        if not 0 <= priority <= 32767:
            raise ValueError
    except (TypeError, ValueError):
        errors["priority"].append(_("The priority must be a whole number from 0 to 32767."))
    low = _amount(min_amount, _("Amount at least"), "min_amount", errors)
    high = _amount(max_amount, _("Amount below"), "max_amount", errors)
    if low is not None and high is not None and high <= low:
        errors["max_amount"].append(_("“Amount below” must be more than “amount at least”."))
    if node is not None and node.retired_on is not None:
        errors["node"].append(_("%(node)s is retired: choose a live part of the organisation.") % {"node": node.name})
    category = (category or "").strip()
    if len(category) > 60:
        errors["category"].append(_("The category is at most 60 characters."))
    if not steps:
        errors["steps"].append(ValidationError(_("A chain needs at least one step."), code="no_steps"))
        cleaned_steps: list[dict] = []
    else:
        cleaned_steps, step_errors = _clean_steps(list(steps), _today())
        errors["steps"].extend(step_errors)
    errors = {k: v for k, v in errors.items() if v}
    if errors:
        raise ValidationError(errors)
    fields = {"request_type": request_type, "name": name, "priority": priority, "min_amount": low,
              "max_amount": high, "node": node, "category": category}
    return fields, cleaned_steps


def _write_steps(chain: ApprovalChain, steps: list[dict]) -> None:
    ApprovalChainStep.objects.bulk_create([
        ApprovalChainStep(chain=chain, order=i, **step) for i, step in enumerate(steps, start=1)
    ])


@transaction.atomic
def chain_create(*, request_type: str, name: str, priority: int = 100, min_amount=None, max_amount=None,
                 node: OrgNode | None = None, category: str = "", steps: list[dict],
                 reason: str = "") -> ApprovalChain:
    """A new active chain with ``steps`` (dicts of ``STEP_KEYS``) in the order given."""
    fields, cleaned = _check(request_type=request_type, name=name, priority=priority, min_amount=min_amount,
                             max_amount=max_amount, node=node, category=category, steps=steps)
    with audit_reason(reason):
        chain = ApprovalChain.objects.create(**fields)
        _write_steps(chain, cleaned)
    return chain


@transaction.atomic
def chain_update(*, chain: ApprovalChain, request_type: str, name: str, priority: int = 100, min_amount=None,
                 max_amount=None, node: OrgNode | None = None, category: str = "", steps: list[dict],
                 reason: str = "") -> ApprovalChain:
    """Change the chain and replace its steps. Requests under way keep their own copies."""
    chain = ApprovalChain.objects.select_for_update().get(pk=chain.pk)
    fields, cleaned = _check(request_type=request_type, name=name, priority=priority, min_amount=min_amount,
                             max_amount=max_amount, node=node, category=category, steps=steps)
    with audit_reason(reason):
        for key, value in fields.items():
            setattr(chain, key, value)
        chain.save(update_fields=[*CHAIN_FIELDS, "updated_at"])
        chain.steps.all().delete()
        _write_steps(chain, cleaned)
    return chain


@transaction.atomic
def chain_set_active(*, chain: ApprovalChain, active: bool, reason: str = "") -> ApprovalChain:
    """Switch a chain on or off. Switching on checks again that every step can be approved
    today (people and positions may have changed since it was saved)."""
    chain = ApprovalChain.objects.select_for_update().get(pk=chain.pk)
    if active and not chain.is_active:
        steps = [
            {k: getattr(s, k) for k in STEP_KEYS}
            for s in chain.steps.select_related("node", "user__user", "fallback__user").order_by("order")
        ]
        _check(request_type=chain.request_type, name=chain.name, priority=chain.priority,
               min_amount=chain.min_amount, max_amount=chain.max_amount, node=chain.node,
               category=chain.category, steps=steps)
    if chain.is_active != active:
        with audit_reason(reason):
            chain.is_active = active
            chain.save(update_fields=["is_active", "updated_at"])
    return chain
