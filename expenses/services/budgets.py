"""Budgets: create, change, delete, and allocate down the organisation (admins and finance).

Rules (each refusal a ``ValidationError`` naming the field; nothing is half-saved):

* a name; an organisation node that is not retired; an optional active category; an
  optional campaign; a period with the end not before the start; an amount ≥ 0 with no
  more decimals than the tenant's currency has (two at most);
* **allocation**: a budget carved from a ``parent`` is for the parent's node or a node below
  it, inside the parent's period, for the parent's category (any category when the parent
  has none) and campaign (any when the parent has none), and all the children's amounts
  together never exceed the parent's amount. The parent row is locked (``FOR NO KEY
  UPDATE``, the lock claim submission takes too) while the children are summed, so two
  allocations from the same budget at the same moment run one after the other and the
  second sees the first;
* a budget's own children must still fit it after a change (node, period, category,
  campaign, amount);
* a **hard** budget is never lowered below what is committed plus spent; a budget already in
  use keeps its node, category and campaign (its commitments were counted against them) and
  its period may only grow;
* only an unused budget (nothing committed or spent, no budget allocated from it) is deleted;
* raising an amount re-arms the 80 % / 100 % alerts the budget is now below.

The audit trail is the database trigger's (``sfe/core/schema.py``).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from accounts.models import Role
from customers.validation import text
from sfe.core.tenancy import current_tenant

from ..models import Budget
from .money import minor_units, parse_decimal

#: Who may change budgets, caps, categories and rates.
CONFIGURERS = (Role.ADMIN, Role.FINANCE)
#: Below the column's 14 digits (12 before the decimal point).
MAX_BUDGET = Decimal("999999999999.99")


def require_configurer(by, field: str = "budget") -> None:
    if by is None or not by.is_active or not by.has_role(*CONFIGURERS):
        raise ValidationError({field: _("Only an administrator or finance can change spend control.")})


def budget_places() -> int:
    tenant = current_tenant()
    return min(2, minor_units(tenant.currency if tenant else "CNY"))


def clean_budget_amount(value, field: str = "amount") -> Decimal:
    """An amount ≥ 0 with at most the tenant currency's decimals (two at most)."""
    return parse_decimal(field, value, places=budget_places(), maximum=MAX_BUDGET, allow_zero=True,
                         not_positive=_("A budget cannot be negative."))


def _name(value) -> str:
    value = text(value)
    if not value:
        raise ValidationError({"name": _("Give the budget a name.")})
    if len(value) > 120:
        raise ValidationError({"name": _("Use at most %(n)s characters.") % {"n": 120}})
    return value


def _campaign(value) -> str:
    value = text(value)
    if len(value) > 120:
        raise ValidationError({"campaign": _("Use at most %(n)s characters.") % {"n": 120}})
    return value


def _date(field: str, value) -> dt.date:
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            value = dt.date.fromisoformat(value.strip())
        except ValueError:
            value = None
    if not isinstance(value, dt.date):
        raise ValidationError({field: _("Enter a valid date.")})
    return value


def _node(node):
    if node is None:
        raise ValidationError({"node": _("Choose the part of the organisation the budget is for.")})
    if node.retired_on is not None:
        raise ValidationError({"node": _("%(node)s is retired.") % {"node": node.name}})
    return node


def _category(category, *, was=None):
    if category is not None and not category.is_active and (was is None or category.pk != was):
        raise ValidationError({"category": _("%(name)s is no longer in use.") % {"name": category.name}})
    return category


def _is_under(node, ancestor) -> bool:
    """``node`` is ``ancestor`` or lies below it (materialised paths)."""
    return node.path.startswith(ancestor.path)


def _fits_parent(*, parent: Budget, node, category, campaign: str, start: dt.date, end: dt.date) -> None:
    """The allocation rules that do not depend on amounts."""
    if not _is_under(node, parent.node):
        raise ValidationError({"node": _("A budget allocated from %(parent)s must be for %(node)s or a part of it.")
                               % {"parent": parent.name, "node": parent.node.name}})
    if start < parent.start_date or end > parent.end_date:
        raise ValidationError({"start_date": _("A budget allocated from %(parent)s must lie within %(start)s – %(end)s.")
                               % {"parent": parent.name, "start": parent.start_date, "end": parent.end_date}})
    if parent.category_id is not None and (category is None or category.pk != parent.category_id):
        raise ValidationError({"category": _("A budget allocated from %(parent)s must be for its category, %(category)s.")
                               % {"parent": parent.name, "category": parent.category.name}})
    if parent.campaign and campaign != parent.campaign:
        raise ValidationError({"campaign": _("A budget allocated from %(parent)s must be for its campaign, %(campaign)s.")
                               % {"parent": parent.name, "campaign": parent.campaign}})


def _children_fit(budget: Budget, *, node, category, campaign: str, start: dt.date, end: dt.date,
                  amount: Decimal) -> None:
    """After a change, the budgets allocated from ``budget`` still fit it."""
    children = list(Budget.objects.filter(parent_id=budget.pk).select_related("node"))
    if not children:
        return
    for child in children:
        if not _is_under(child.node, node):
            raise ValidationError({"node": _("%(child)s, allocated from this budget, is for %(node)s: keep the "
                                             "budget over it.") % {"child": child.name, "node": child.node.name}})
        if child.start_date < start or child.end_date > end:
            raise ValidationError({"start_date": _("%(child)s, allocated from this budget, runs %(start)s – %(end)s: "
                                                   "keep the period around it.")
                                   % {"child": child.name, "start": child.start_date, "end": child.end_date}})
        if category is not None and child.category_id != category.pk:
            raise ValidationError({"category": _("%(child)s, allocated from this budget, is for another category.")
                                   % {"child": child.name}})
        if campaign and child.campaign != campaign:
            raise ValidationError({"campaign": _("%(child)s, allocated from this budget, is for another campaign.")
                                   % {"child": child.name}})
    allocated = sum((c.amount for c in children), Decimal(0))
    if amount < allocated:
        raise ValidationError({"amount": _("%(allocated)s of this budget is allocated further down: it cannot be "
                                           "less.") % {"allocated": f"{allocated:,}"}})


def _lock(pk: int) -> Budget:
    return Budget.objects.select_for_update(no_key=True, of=("self",)).select_related("node", "category").get(pk=pk)


def _check_allocation(parent: Budget, amount: Decimal, *, without: int | None = None) -> None:
    """``parent`` is locked: the other children's amounts plus ``amount`` fit it."""
    others = Budget.objects.filter(parent_id=parent.pk)
    if without is not None:
        others = others.exclude(pk=without)
    taken = others.aggregate(s=Sum("amount"))["s"] or Decimal(0)
    free = parent.amount - taken
    if amount > free:
        raise ValidationError({"amount": _("Only %(free)s of %(parent)s is left to allocate (%(amount)s, %(taken)s "
                                           "allocated already).")
                               % {"free": f"{max(free, Decimal(0)):,}", "parent": parent.name,
                                  "amount": f"{parent.amount:,}", "taken": f"{taken:,}"}})


def _hard(is_hard: bool, amount: Decimal, used: Decimal) -> None:
    if is_hard and amount < used:
        raise ValidationError({"amount": _("A hard budget cannot be less than what is committed and spent "
                                           "(%(used)s).") % {"used": f"{used:,}"}})


def _level(used: Decimal, amount: Decimal) -> int:
    """The alert level ``used`` of ``amount`` has reached: 0, 80 or 100 (as claim submission sets it)."""
    if amount > 0 and used >= amount:
        return 100
    if amount > 0 and used * 100 >= amount * 80:
        return 80
    return 0


def _save(budget: Budget, fields: list[str] | None = None) -> Budget:
    try:
        with transaction.atomic():
            budget.save(update_fields=fields) if fields else budget.save()
    except IntegrityError:  # the check constraints back the rules above up
        raise ValidationError({"amount": _("This budget could not be saved: check its amount and dates.")}) from None
    return budget


@transaction.atomic
def budget_create(*, by, name, node, start_date, end_date, amount, category=None, campaign="",
                  is_hard: bool = False, parent: Budget | None = None) -> Budget:
    """A new budget; with ``parent``, allocated from it (the parent row locked while checked)."""
    require_configurer(by)
    budget = Budget(name=_name(name), node=_node(node), category=_category(category), campaign=_campaign(campaign),
                    start_date=_date("start_date", start_date), end_date=_date("end_date", end_date),
                    amount=clean_budget_amount(amount), is_hard=bool(is_hard))
    if budget.end_date < budget.start_date:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    if parent is not None:
        parent = _lock(parent.pk)
        _fits_parent(parent=parent, node=budget.node, category=budget.category, campaign=budget.campaign,
                     start=budget.start_date, end=budget.end_date)
        _check_allocation(parent, budget.amount)
        budget.parent = parent
    return _save(budget)


@transaction.atomic
def budget_update(*, budget: Budget, by, name=..., node=..., start_date=..., end_date=..., amount=...,
                  category=..., campaign=..., is_hard=...) -> Budget:
    """Change what is given (``...`` = leave as is). The parent stays the same."""
    require_configurer(by)
    # Lock the parent first, then the budget: the order a child's allocation takes them in.
    parent_id = Budget.objects.filter(pk=budget.pk).values_list("parent_id", flat=True).first()
    parent = _lock(parent_id) if parent_id else None
    budget = _lock(budget.pk)
    used = budget.committed + budget.spent
    new = {
        "name": budget.name if name is ... else _name(name),
        "node": budget.node if node is ... else _node(node),
        "category": budget.category if category is ... else _category(category, was=budget.category_id),
        "campaign": budget.campaign if campaign is ... else _campaign(campaign),
        "start_date": budget.start_date if start_date is ... else _date("start_date", start_date),
        "end_date": budget.end_date if end_date is ... else _date("end_date", end_date),
        "amount": budget.amount if amount is ... else clean_budget_amount(amount),
        "is_hard": budget.is_hard if is_hard is ... else bool(is_hard),
    }
    if new["end_date"] < new["start_date"]:
        raise ValidationError({"end_date": _("The end date must not be before the start date.")})
    new_category_id = new["category"].pk if new["category"] is not None else None
    if used:
        if new["node"].pk != budget.node_id:
            raise ValidationError({"node": _("Claims are counted against this budget already: its part of the "
                                             "organisation stays.")})
        if new_category_id != budget.category_id:
            raise ValidationError({"category": _("Claims are counted against this budget already: its category "
                                                 "stays.")})
        if new["campaign"] != budget.campaign:
            raise ValidationError({"campaign": _("Claims are counted against this budget already: its campaign "
                                                 "stays.")})
        if new["start_date"] > budget.start_date or new["end_date"] < budget.end_date:
            raise ValidationError({"start_date": _("Claims are counted against this budget already: its period may "
                                                   "grow, not shrink.")})
    _hard(new["is_hard"], new["amount"], used)
    if parent is not None:
        _fits_parent(parent=parent, node=new["node"], category=new["category"], campaign=new["campaign"],
                     start=new["start_date"], end=new["end_date"])
        if new["amount"] > budget.amount:
            _check_allocation(parent, new["amount"], without=budget.pk)
    _children_fit(budget, node=new["node"], category=new["category"], campaign=new["campaign"],
                  start=new["start_date"], end=new["end_date"], amount=new["amount"])
    for key, value in new.items():
        setattr(budget, key, value)
    # A raised amount re-arms the 80 % and 100 % alerts the budget is now below.
    budget.alerted_percent = min(budget.alerted_percent, _level(used, budget.amount))
    return _save(budget, ["name", "node", "category", "campaign", "start_date", "end_date", "amount", "is_hard",
                          "alerted_percent", "updated_at"])


@transaction.atomic
def budget_delete(*, budget: Budget, by) -> None:
    """Only an unused budget goes: nothing committed or spent, nothing allocated from it."""
    require_configurer(by)
    budget = _lock(budget.pk)
    if budget.committed or budget.spent:
        raise ValidationError({"budget": _("Claims are counted against %(name)s: it cannot be deleted.")
                               % {"name": budget.name}})
    if Budget.objects.filter(parent_id=budget.pk).exists():
        raise ValidationError({"budget": _("Budgets are allocated from %(name)s: delete them first.")
                               % {"name": budget.name}})
    budget.delete()
