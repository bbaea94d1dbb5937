"""What submitting a claim as typed would do to the caps and budgets: the live warning of the
claim form. Read-only; nothing is committed.

Per active cap, HCP and fiscal year touched by the claim: the tally's committed + spent (one
row per cap, HCP and year, whatever the history) plus this claim's shares (each line split
evenly over its HCPs, as ``money.split`` does on save), and what that means — a warning at the
cap's ``warn_percent``, "will be refused" over a hard cap, "needs an extra approval step" over
a soft one. Per budget covering the lines (the rep's territory or above, the day in its period,
its category or all): the use after the claim, and whether a hard one would be exceeded.

Lines that cannot be read yet (no category, no amount, a bad date) are left out rather than
refused: the form says what is wrong when it is saved. A fixed number of queries: categories,
rates, HCPs, caps, tallies, territory, budgets (seven at most).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db.models import Q

from accounts.models import Membership
from sfe.core.tenancy import current_tenant

from ..models import Budget, CapTally, ExchangeRate, ExpenseCategory, SpendCap
from .money import clean_amount, clean_currency, fiscal_year, split, to_base

OK, WARN, SOFT, HARD = "ok", "warn", "soft", "hard"


@dataclass
class CapRow:
    hcp: object
    cap: SpendCap
    year: int
    used: Decimal  # committed + spent before this claim
    adds: Decimal  # this claim's shares
    limit: Decimal

    @property
    def projected(self) -> Decimal:
        return self.used + self.adds

    @property
    def percent(self) -> int:
        return int(self.projected * 100 / self.limit) if self.limit else 100

    @property
    def status(self) -> str:
        if self.projected > self.limit:
            return HARD if self.cap.is_hard else SOFT
        if self.projected * 100 >= self.limit * self.cap.warn_percent:
            return WARN
        return OK


@dataclass
class BudgetRow:
    budget: Budget
    adds: Decimal

    @property
    def projected(self) -> Decimal:
        return self.budget.committed + self.budget.spent + self.adds

    @property
    def percent(self) -> int:
        return int(self.projected * 100 / self.budget.amount) if self.budget.amount else 100

    @property
    def status(self) -> str:
        if self.projected > self.budget.amount:
            return HARD if self.budget.is_hard else SOFT
        if self.percent >= 80:
            return WARN
        return OK


@dataclass
class Preview:
    caps: list[CapRow] = field(default_factory=list)
    budgets: list[BudgetRow] = field(default_factory=list)
    currency: str = ""

    @property
    def refused(self) -> bool:
        return any(r.status == HARD for r in self.caps) or any(r.status == HARD for r in self.budgets)

    @property
    def extra_step(self) -> bool:
        return any(r.status == SOFT for r in self.caps)

    @property
    def warnings(self) -> list:
        return [r for r in [*self.caps, *self.budgets] if r.status != OK]


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _day(value):
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value or "").strip())
    except ValueError:
        return None


def claim_preview(*, rep: Membership, lines: list[dict]) -> Preview:
    """``lines``: dicts with ``category`` (code), ``day``, ``amount``, ``currency`` and ``hcps``
    (codes), as typed."""
    from calls.visibility import territory_of
    from customers.models import Hcp

    tenant = current_tenant()
    base = tenant.currency
    preview = Preview(currency=base)
    parsed = []
    for line in lines:
        category, day = _uuid(line.get("category")), _day(line.get("day"))
        if category is None or day is None or day > tenant.today():
            continue
        try:
            currency = clean_currency("currency", line.get("currency") or base)
            amount = clean_amount("amount", line.get("amount"), currency)
        except ValidationError:
            continue
        hcps = [c for c in (_uuid(h) for h in line.get("hcps") or []) if c]
        parsed.append({"category": category, "day": day, "currency": currency, "amount": amount,
                       "hcps": list(dict.fromkeys(hcps))})
    if not parsed:
        return preview
    cats = {c.code: c for c in ExpenseCategory.objects.filter(code__in={p["category"] for p in parsed})}
    foreign = {p["currency"] for p in parsed if p["currency"] != base}
    rates: dict[str, list] = {}
    if foreign:
        for r in ExchangeRate.objects.filter(currency__in=foreign).order_by("currency", "-valid_from"):
            rates.setdefault(r.currency, []).append((r.valid_from, r.rate))
    lines_in = []
    for p in parsed:
        category = cats.get(p["category"])
        if category is None:
            continue
        if p["currency"] == base:
            rate = Decimal(1)
        else:
            rate = next((r for since, r in rates.get(p["currency"], []) if since <= p["day"]), None)
            if rate is None:
                continue
        base_amount = to_base(p["amount"], rate)
        if base_amount > 0:
            lines_in.append({**p, "category_id": category.pk, "base_amount": base_amount})
    if not lines_in:
        return preview
    fy_month = tenant.fiscal_year_start_month

    # --- caps: per cap, HCP and fiscal year
    hcp_codes = {c for p in lines_in for c in p["hcps"]}
    hcps = ({h.code: h for h in Hcp.objects.live().visible_to(rep.user).filter(code__in=hcp_codes)}
            if hcp_codes else {})
    adds: dict[tuple[int, int, int], Decimal] = {}
    caps: dict[int, SpendCap] = {}
    if hcps:
        caps = {c.pk: c for c in SpendCap.objects.filter(is_active=True).select_related("category")}
    for p in lines_in:
        chosen = [hcps[c] for c in p["hcps"] if c in hcps]
        if not chosen or not caps:
            continue
        year = fiscal_year(p["day"], fy_month)
        for hcp, share in zip(chosen, split(p["base_amount"], len(chosen)), strict=True):
            for cap in caps.values():
                if cap.category_id is None or cap.category_id == p["category_id"]:
                    key = (cap.pk, hcp.pk, year)
                    adds[key] = adds.get(key, Decimal(0)) + share
    if adds:
        tallies = {(t.cap_id, t.hcp_id, t.year): t.committed + t.spent for t in CapTally.objects.filter(
            cap_id__in={k[0] for k in adds}, hcp_id__in={k[1] for k in adds}, year__in={k[2] for k in adds})}
        by_pk = {h.pk: h for h in hcps.values()}
        for (cap_id, hcp_id, year), amount in adds.items():
            cap = caps[cap_id]
            preview.caps.append(CapRow(hcp=by_pk[hcp_id], cap=cap, year=year,
                                       used=tallies.get((cap_id, hcp_id, year), Decimal(0)), adds=amount,
                                       limit=cap.annual_limit))
        order = {OK: 3, WARN: 2, SOFT: 1, HARD: 0}
        preview.caps.sort(key=lambda r: (order[r.status], r.hcp.name, r.cap.pk, r.year))

    # --- budgets covering the rep's territory (or above) on the lines' days
    territory = territory_of(rep, tenant.today())
    if territory is not None:
        node_ids = [int(p) for p in territory.path.strip("/").split("/") if p]
        first, last = min(p["day"] for p in lines_in), max(p["day"] for p in lines_in)
        budgets = list(Budget.objects.filter(node_id__in=node_ids, campaign="", start_date__lte=last,
                                             end_date__gte=first)
                       .filter(Q(category__isnull=True) | Q(category_id__in={p["category_id"] for p in lines_in}))
                       .order_by("start_date", "name", "id"))
        for b in budgets:
            need = sum((p["base_amount"] for p in lines_in
                        if b.start_date <= p["day"] <= b.end_date
                        and (b.category_id is None or b.category_id == p["category_id"])), Decimal(0))
            if need:
                preview.budgets.append(BudgetRow(budget=b, adds=need))
    return preview
