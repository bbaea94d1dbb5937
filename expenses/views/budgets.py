"""Budget pages: the list with each budget's bar, grouped under the budget it was allocated
from; new, edit, allocate and delete (admins and finance).

Who sees which budgets on the list:

* finance, admins and analysts: every budget of the tenant;
* a manager: the budgets whose node is one they see through their positions today (their
  node and everything below it). Budgets of the nodes **above** theirs (the region's, the
  nation's) are not listed even though a claim of their team counts against them too: their
  committed and spent amounts include other districts' claims, which a manager does not
  see. A listed budget allocated from a budget the manager does not see names it ("from …"),
  nothing more.

The list is two queries whatever the number of budgets: the budgets (with their node,
category and parent joined, and what is allocated from each summed in a subquery) and the
nodes for the filter.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from accounts.models import OrgNode, Role
from accounts.permissions import role_required
from accounts.visibility import visible_nodes_q

from ..forms_control import BudgetFilterForm, BudgetForm, add_service_errors
from ..models import Budget, ExpenseCategory
from ..services.budgets import CONFIGURERS, budget_create, budget_delete, budget_update
from ..services.money import fiscal_year, fiscal_year_bounds, money
from ..visibility import WHOLE_TENANT

READERS = (Role.MANAGER, *WHOLE_TENANT)
WARN_PERCENT = 80


@dataclass(frozen=True)
class Bar:
    """What ``_bar.html`` draws: spent and committed stacked, coloured at 80 % and 100 %."""

    amount: Decimal
    spent: Decimal
    committed: Decimal
    currency: str

    @property
    def used(self) -> Decimal:
        return self.spent + self.committed

    @property
    def percent(self) -> int:
        if self.amount > 0:
            return int(self.used * 100 / self.amount)
        return 100 if self.used else 0

    @property
    def spent_width(self) -> int:
        if self.amount <= 0:
            return 100 if self.spent else 0
        return min(100, int(self.spent * 100 / self.amount))

    @property
    def committed_width(self) -> int:
        if self.amount <= 0:
            return 0 if self.spent else (100 if self.committed else 0)
        return max(0, min(100 - self.spent_width, int(self.committed * 100 / self.amount)))

    @property
    def level(self) -> str:
        """Bootstrap colour: danger at 100 %, warning from 80 %, success below."""
        if self.percent >= 100:
            return "danger"
        return "warning" if self.percent >= WARN_PERCENT else "success"

    @property
    def used_text(self) -> str:
        return money(self.used, self.currency)

    @property
    def amount_text(self) -> str:
        return money(self.amount, self.currency)

    @property
    def spent_text(self) -> str:
        return money(self.spent, self.currency)

    @property
    def committed_text(self) -> str:
        return money(self.committed, self.currency)


@dataclass(frozen=True)
class BudgetRow:
    budget: Budget
    depth: int
    bar: Bar
    parent_hidden: bool  # allocated from a budget that is not on the list

    @property
    def indent(self) -> str:
        return f"{min(self.depth, 6) * 1.25}rem"

    @property
    def allocated_text(self) -> str:
        return money(self.budget.allocated, self.bar.currency)

    @property
    def can_delete(self) -> bool:
        return not self.budget.committed and not self.budget.spent and not self.budget.n_children


def _visible_budgets(request):
    qs = Budget.objects.all()
    if not request.membership.has_role(*WHOLE_TENANT):
        qs = qs.filter(node__in=OrgNode.objects.filter(visible_nodes_q(request.user, positions_only=True)))
    return qs


def _visible_nodes(request):
    qs = OrgNode.objects.live()
    if not request.membership.has_role(*WHOLE_TENANT):
        qs = qs.filter(visible_nodes_q(request.user, positions_only=True))
    return qs.order_by("path")


def _tree(budgets: list[Budget], currency: str) -> list[BudgetRow]:
    """Depth-first: each budget followed by those allocated from it (when they are listed)."""
    ids = {b.pk for b in budgets}
    children: dict[int | None, list[Budget]] = {}
    for b in budgets:
        children.setdefault(b.parent_id if b.parent_id in ids else None, []).append(b)
    rows: list[BudgetRow] = []
    stack = [(b, 0) for b in reversed(children.get(None, []))]
    while stack:
        b, depth = stack.pop()
        rows.append(BudgetRow(b, depth, Bar(b.amount, b.spent, b.committed, currency),
                              parent_hidden=b.parent_id is not None and b.parent_id not in ids))
        stack += [(c, depth + 1) for c in reversed(children.get(b.pk, []))]
    return rows


@role_required(*READERS)
def budget_list(request):
    tenant = request.membership.tenant
    today = tenant.today()
    this_year = fiscal_year(today, tenant.fiscal_year_start_month)
    nodes = list(_visible_nodes(request))
    filters = BudgetFilterForm(request.GET or None, years=range(this_year + 1, this_year - 4, -1), nodes=nodes)
    budgets = _visible_budgets(request)
    year, node = filters.value("year"), filters.value("node")
    if year:
        start, end = fiscal_year_bounds(year, tenant.fiscal_year_start_month)
        budgets = budgets.filter(start_date__lte=end, end_date__gte=start)
    if node is not None:
        budgets = budgets.filter(node__path__startswith=node.path)
    below = Budget.objects.filter(parent_id=OuterRef("pk")).order_by().values("parent_id")
    budgets = (budgets.select_related("node", "category", "parent")
               .annotate(allocated=Coalesce(Subquery(below.annotate(s=Sum("amount")).values("s")),
                                            Value(Decimal(0)), output_field=DecimalField()),
                         n_children=Coalesce(Subquery(below.annotate(n=Count("id")).values("n")), Value(0),
                                             output_field=IntegerField()))
               .order_by("node__path", "start_date", "name", "id"))
    rows = _tree(list(budgets), tenant.currency)
    return render(request, "expenses/budget_list.html", {
        "rows": rows, "filters": filters, "can_change": request.membership.has_role(*CONFIGURERS),
        "currency": tenant.currency,
    })


# --------------------------------------------------------------------------- changes


def _budget_for(code) -> Budget:
    return get_object_or_404(Budget.objects.select_related("node", "category", "parent__node"), code=code)


def _form(request, data=None, *, initial=None, nodes=None, categories=None):
    if nodes is None:
        nodes = OrgNode.objects.live().order_by("path")
    if categories is None:
        categories = ExpenseCategory.objects.filter(is_active=True)
    return BudgetForm(data, initial=initial, nodes=list(nodes), categories=list(categories))


def _render_form(request, form, *, budget=None, parent=None, status=200):
    return render(request, "expenses/budget_form.html",
                  {"form": form, "budget": budget, "parent": parent,
                   "currency": request.membership.tenant.currency}, status=status)


def _saved(request, budget, message):
    messages.success(request, message % {"name": budget.name})
    return redirect("expenses:budget_list")


@role_required(*CONFIGURERS)
def budget_new(request):
    if request.method == "POST":
        form = _form(request, request.POST)
        if form.is_valid():
            try:
                budget = budget_create(by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, budget, _("The budget %(name)s is added."))
        return _render_form(request, form, status=400)
    today = request.membership.tenant.today()
    return _render_form(request, _form(request, initial={"start_date": today}))


def _allocation_choices(parent: Budget):
    nodes = OrgNode.objects.live().filter(path__startswith=parent.node.path).order_by("path")
    categories = ExpenseCategory.objects.filter(pk=parent.category_id) if parent.category_id else None
    return nodes, categories


@role_required(*CONFIGURERS)
def budget_allocate(request, code):
    parent = _budget_for(code)
    nodes, categories = _allocation_choices(parent)
    if request.method == "POST":
        form = _form(request, request.POST, nodes=nodes, categories=categories)
        if form.is_valid():
            try:
                budget = budget_create(by=request.membership, parent=parent, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, budget, _("The budget %(name)s is allocated."))
        return _render_form(request, form, parent=parent, status=400)
    free = parent.amount - (Budget.objects.filter(parent=parent).aggregate(s=Sum("amount"))["s"] or 0)
    initial = {"name": parent.name, "node": str(parent.node.code),
               "category": str(parent.category.code) if parent.category_id else "", "campaign": parent.campaign,
               "start_date": parent.start_date, "end_date": parent.end_date, "amount": f"{max(free, 0)}",
               "is_hard": parent.is_hard}
    return _render_form(request, _form(request, initial=initial, nodes=nodes, categories=categories), parent=parent)


@role_required(*CONFIGURERS)
def budget_edit(request, code):
    budget = _budget_for(code)
    nodes = OrgNode.objects.filter(retired_on__isnull=True)
    if budget.parent_id:
        nodes = nodes.filter(path__startswith=budget.parent.node.path)
    nodes = nodes | OrgNode.objects.filter(pk=budget.node_id)
    categories = ExpenseCategory.objects.filter(is_active=True) | ExpenseCategory.objects.filter(
        pk=budget.category_id)
    if budget.parent_id and budget.parent.category_id:
        categories = ExpenseCategory.objects.filter(pk=budget.parent.category_id)
    nodes = nodes.order_by("path")
    if request.method == "POST":
        form = _form(request, request.POST, nodes=nodes, categories=categories)
        if form.is_valid():
            try:
                budget = budget_update(budget=budget, by=request.membership, **form.cleaned_data)
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                return _saved(request, budget, _("The budget %(name)s is saved."))
        return _render_form(request, form, budget=budget, parent=budget.parent, status=400)
    return _render_form(request, _form(request, initial=BudgetForm.initial_from(budget), nodes=nodes,
                                       categories=categories), budget=budget, parent=budget.parent)


@role_required(*CONFIGURERS)
def budget_delete_view(request, code):
    budget = _budget_for(code)
    error = None
    if request.method == "POST":
        try:
            budget_delete(budget=budget, by=request.membership)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, _("The budget %(name)s is deleted.") % {"name": budget.name})
            return redirect("expenses:budget_list")
    return render(request, "expenses/budget_delete.html",
                  {"budget": budget, "error": error,
                   "bar": Bar(budget.amount, budget.spent, budget.committed, request.membership.tenant.currency)},
                  status=400 if error else 200)
