"""Expense claims: save a draft, submit it through the approval engine, correct an approved one.

Rules checked here; each refusal names its field (``purpose``, ``lines``, or
``line-<i>-<field>`` for line ``i``, the names of the claim form's line formset) and saves
nothing:

* a line: an active category; a date not in the future; an amount above zero with no more
  decimals than its currency has; a foreign currency needs an exchange rate on that day
  (recorded with the line); the HCPs who benefited are ones the rep sees (a category that
  ``needs_hcp`` names one at least); the call is the rep's own, made (not planned);
* only the rep changes a claim, and only as a draft or when sent back; an approved claim
  never changes: ``claim_correct`` opens a new draft that replaces it once approved;
* submitting commits the amounts to budgets and caps (``control``); over a hard budget or
  a hard cap it is refused with the numbers; over a soft cap it takes an extra approval step
  (the manager's manager).
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Membership, Role
from accounts.services.notifications import notify
from calls.models import Call
from calls.models.calls import CallStatus
from calls.visibility import territory_of
from customers.models import Hcp
from customers.validation import text
from sfe.core.tenancy import current_tenant

from ..models import ClaimState, ExchangeRate, ExpenseCategory, ExpenseClaim, ExpenseLine, LineHcp
from ..models.claims import EDITABLE_STATES
from . import control
from .money import clean_amount, clean_currency, split, to_base

KEY = "expense_claim"
MAX_LINES = 100
MAX_HCPS_PER_LINE = 50


@dataclass
class LineIn:
    """One line as given; ``category``, ``hcps`` and ``call`` are objects or their codes."""

    category: object
    day: object
    amount: object
    currency: str = ""
    description: str = ""
    hcps: list = field(default_factory=list)
    call: object = None
    code: object = None


def _today() -> dt.date:
    return current_tenant().today()


def _uuid(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def _code_of(value):
    return value.code if hasattr(value, "code") else _uuid(value)


def _clean_lines(rep: Membership, lines) -> list[dict]:
    """Check every line with a fixed number of queries (categories, rates, HCPs, calls)."""
    tenant = current_tenant()
    items = [line if isinstance(line, LineIn) else LineIn(**line) for line in (lines or [])]
    if not items:
        raise ValidationError({"lines": _("Add at least one expense line.")})
    if len(items) > MAX_LINES:
        raise ValidationError({"lines": _("A claim has at most %(n)s lines.") % {"n": MAX_LINES}})
    categories = {c.code: c for c in ExpenseCategory.objects.filter(
        code__in=[c for c in (_code_of(i.category) for i in items) if c])}
    hcp_codes = {c for i in items for c in (_code_of(h) for h in (i.hcps or [])) if c}
    hcps = {h.code: h for h in Hcp.objects.live().visible_to(rep.user).filter(code__in=hcp_codes)} if hcp_codes else {}
    call_codes = {c for c in (_code_of(i.call) for i in items if i.call) if c}
    calls = {c.code: c for c in Call.objects.filter(code__in=call_codes, rep_id=rep.pk)} if call_codes else {}
    today = _today()
    out = []
    for n, item in enumerate(items):
        def err(name, message, n=n):
            return ValidationError({f"line-{n}-{name}": message})

        category = categories.get(_code_of(item.category))
        if category is None:
            raise err("category", _("Choose a category."))
        if not category.is_active:
            raise err("category", _("%(category)s is no longer in use: choose another category.") % {
                "category": category.name})
        day = item.day
        if isinstance(day, str):
            try:
                day = dt.date.fromisoformat(day.strip())
            except ValueError:
                day = None
        if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
            raise err("day", _("Give the date of the expense (YYYY-MM-DD)."))
        if day > today:
            raise err("day", _("The date cannot be in the future."))
        try:
            currency = clean_currency("currency", item.currency or tenant.currency)
            amount = clean_amount("amount", item.amount, currency)
        except ValidationError as exc:
            raise ValidationError({f"line-{n}-{k}": v for k, v in exc.message_dict.items()}) from None
        description = text(item.description)
        if len(description) > 300:
            raise err("description", _("Use at most %(n)s characters.") % {"n": 300})
        chosen = []
        for h in item.hcps or []:
            hcp = hcps.get(_code_of(h))
            if hcp is None:
                raise err("hcps", _("Choose HCPs you look after: one of them is not among your customers."))
            if hcp not in chosen:
                chosen.append(hcp)
        if len(chosen) > MAX_HCPS_PER_LINE:
            raise err("hcps", _("A line names at most %(n)s HCPs.") % {"n": MAX_HCPS_PER_LINE})
        if category.needs_hcp and not chosen:
            raise err("hcps", _("%(category)s names the HCPs who benefited: add one at least.") % {
                "category": category.name})
        call = None
        if item.call:
            call = calls.get(_code_of(item.call))
            if call is None:
                raise err("call", _("Link one of your own calls."))
            if call.status == CallStatus.PLANNED:
                raise err("call", _("This call is only planned: link a call that was made."))
        out.append({"category": category, "day": day, "currency": currency, "amount": amount,
                    "description": description, "hcps": chosen, "call": call, "code": _uuid(item.code)})
    _apply_rates(out, tenant.currency)
    return out


def _apply_rates(lines: list[dict], base: str) -> None:
    """The rate of each foreign line on its day (one query for all of them)."""
    foreign = {line["currency"] for line in lines if line["currency"] != base}
    rates: dict[str, list[tuple[dt.date, Decimal]]] = {}
    if foreign:
        for r in ExchangeRate.objects.filter(currency__in=foreign).order_by("currency", "-valid_from"):
            rates.setdefault(r.currency, []).append((r.valid_from, r.rate))
    for n, line in enumerate(lines):
        if line["currency"] == base:
            line["rate"] = Decimal(1)
        else:
            rate = next((rate for since, rate in rates.get(line["currency"], []) if since <= line["day"]), None)
            if rate is None:
                raise ValidationError({f"line-{n}-currency": _(
                    "There is no exchange rate for %(currency)s on %(day)s: ask finance to add one, "
                    "or enter the amount in %(base)s.") % {"currency": line["currency"],
                                                            "day": line["day"].isoformat(), "base": base}})
            line["rate"] = rate
        line["base_amount"] = to_base(line["amount"], line["rate"])
        if line["base_amount"] <= 0:
            raise ValidationError({f"line-{n}-amount": _("The amount is too small to count in %(base)s.") % {
                "base": base}})


def _write_lines(claim: ExpenseClaim, lines: list[dict]) -> None:
    ExpenseLine.objects.filter(claim=claim).delete()
    rows = []
    for position, line in enumerate(lines):
        row = ExpenseLine(claim=claim, category=line["category"], day=line["day"], amount=line["amount"],
                          currency=line["currency"], rate=line["rate"], base_amount=line["base_amount"],
                          description=line["description"], call=line["call"], position=position)
        if line["code"] is not None:
            row.code = line["code"]
        rows.append(row)
    ExpenseLine.objects.bulk_create(rows)
    LineHcp.objects.bulk_create([
        LineHcp(line=row, hcp=hcp, amount=share)
        for row, line in zip(rows, lines, strict=True)
        for hcp, share in zip(line["hcps"], split(line["base_amount"], len(line["hcps"])), strict=True)
    ])


def _purpose(value) -> str:
    purpose = text(value)
    if not purpose:
        raise ValidationError({"purpose": _("Say what the claim is for.")})
    if len(purpose) > 200:
        raise ValidationError({"purpose": _("Use at most %(n)s characters.") % {"n": 200}})
    return purpose


@transaction.atomic
def claim_save(*, rep: Membership, purpose, lines, claim: ExpenseClaim | None = None, code=None,
               corrects: ExpenseClaim | None = None) -> tuple[ExpenseClaim, bool]:
    """Create a draft, or change a draft (or a claim sent back); ``(claim, created)``.

    A ``code`` already used by this rep returns that claim unchanged (a retried create)."""
    if not rep.has_role(Role.REP, Role.MANAGER):
        raise ValidationError({"rep": _("Only reps and managers file expense claims.")})
    if claim is None and code is not None:
        code = _uuid(code)
        if code is None:
            raise ValidationError({"code": _("Give the code as a UUID.")})
        existing = ExpenseClaim.objects.filter(code=code).first()
        if existing is not None:
            if existing.rep_id != rep.pk:
                raise ValidationError({"code": _("This code was used for another claim.")})
            return existing, False
    purpose = _purpose(purpose)
    cleaned = _clean_lines(rep, lines)
    total = sum((line["base_amount"] for line in cleaned), Decimal(0))
    tenant = current_tenant()
    if claim is None:
        claim = ExpenseClaim(rep=rep, purpose=purpose, currency=tenant.currency, total=total,
                             territory=territory_of(rep, _today()), corrects=corrects)
        if code is not None:
            claim.code = code
        claim.save()
        created = True
    else:
        claim = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
        _check_editable(claim, rep)
        claim.purpose, claim.total = purpose, total
        claim.save(update_fields=["purpose", "total", "updated_at"])
        created = False
    _write_lines(claim, cleaned)
    return claim, created


def _check_editable(claim: ExpenseClaim, by: Membership) -> None:
    if claim.rep_id != by.pk:
        raise ValidationError({"claim": _("Only the rep who made the claim can change it.")})
    if claim.state not in EDITABLE_STATES:
        if claim.state == ClaimState.APPROVED:
            raise ValidationError({"claim": _("An approved claim cannot change: file a correction instead.")})
        raise ValidationError({"claim": _("A claim %(state)s cannot change.") % {"state": claim.get_state_display()}})


@transaction.atomic
def claim_delete(*, claim: ExpenseClaim, by: Membership) -> None:
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.rep_id != by.pk or claim.state != ClaimState.DRAFT or claim.approval_id:
        raise ValidationError({"claim": _("Only a draft that was never submitted can be deleted, by its rep.")})
    claim.delete()


# --------------------------------------------------------------------------- submit


def _budget_refusal(uses) -> ValidationError:
    from ..models import Budget

    refused = [u for u in uses if not u.taken]
    budgets = {b.pk: b for b in Budget.objects.filter(pk__in=[u.budget_id for u in refused])}
    use = refused[0]
    b = budgets[use.budget_id]
    return ValidationError({"lines": _(
        "The hard budget “%(name)s” has %(left)s left (%(used)s used of %(amount)s); this claim needs %(need)s."
    ) % {"name": b.name, "left": f"{max(b.amount - b.used, Decimal(0)):,.2f}", "used": f"{b.used:,.2f}",
         "amount": f"{b.amount:,.2f}", "need": f"{use.amount:,.2f}"}})


def _cap_refusal(uses, fy_month: int) -> ValidationError:
    from ..models import CapTally, SpendCap

    refused = [u for u in uses if not u.taken]
    use = refused[0]
    cap = SpendCap.objects.select_related("category").get(pk=use.cap_id)
    hcp = Hcp.objects.get(pk=use.hcp_id)
    tally = CapTally.objects.filter(cap_id=use.cap_id, hcp_id=use.hcp_id, year=use.year).first()
    used = (tally.committed + tally.spent) if tally else Decimal(0)
    return ValidationError({"lines": _(
        "Over the hard cap: %(category)s for %(hcp)s in %(year)s is limited to %(limit)s; %(used)s is used "
        "already and this claim adds %(need)s."
    ) % {"category": cap.category.name if cap.category_id else _("all spend"), "hcp": hcp.name,
         "year": _fiscal_label(use.year, fy_month), "limit": f"{cap.annual_limit:,.2f}", "used": f"{used:,.2f}",
         "need": f"{use.amount:,.2f}"}})


def _fiscal_label(year: int, fy_month: int) -> str:
    return str(year) if fy_month == 1 else f"{year}/{str(year + 1)[-2:]}"


def _main_category(claim: ExpenseClaim) -> str:
    totals: dict[str, Decimal] = {}
    for line in claim.lines.select_related("category"):
        totals[line.category.key] = totals.get(line.category.key, Decimal(0)) + line.base_amount
    return max(totals, key=totals.get) if totals else ""


@transaction.atomic
def claim_submit(*, claim: ExpenseClaim, by: Membership, checks: bool = True) -> ExpenseClaim:
    """Commit the amounts to budgets and caps and open (or resume) the approval; all or nothing.

    ``checks=False`` leaves budgets and caps out: only the benchmark's baseline ("the same
    submit with no checks") uses it."""
    from approvals.models import ApproverKind, RequestState
    from approvals.services import approval_resubmit, approval_submit

    claim = ExpenseClaim.objects.select_for_update(of=("self",)).select_related("territory").get(pk=claim.pk)
    _check_editable(claim, by)
    if not claim.lines.exists():
        raise ValidationError({"lines": _("Add at least one expense line.")})
    tenant = current_tenant()
    budgets, caps = [], []
    if checks:
        budgets = control.commit_budgets(claim_id=claim.pk,
                                         territory_path=claim.territory.path if claim.territory else "")
    if any(not u.taken for u in budgets):
        raise _budget_refusal(budgets)
    if checks:
        caps = control.commit_caps(claim_id=claim.pk, fiscal_start_month=tenant.fiscal_year_start_month)
    if any(not u.taken for u in caps):
        raise _cap_refusal(caps, tenant.fiscal_year_start_month)
    over_soft = any(u.over and not u.is_hard for u in caps)
    title = _("Expense claim of %(name)s: %(total)s %(currency)s — %(purpose)s") % {
        "name": by.user.full_name, "total": f"{claim.total:,.2f}", "currency": claim.currency,
        "purpose": claim.purpose}
    if claim.approval_id and claim.state == ClaimState.RETURNED and claim.approval.state == RequestState.RETURNED:
        request = approval_resubmit(request=claim.approval, actor=by, payload={"claim": str(claim.code)})
    else:
        extra = [{"kind": ApproverKind.MANAGERS_MANAGER, "name": _("Over a soft spend cap")}] if over_soft else None
        request = approval_submit(request_type=KEY, requester=by, title=title, amount=claim.total,
                                  category=_main_category(claim), object_code=claim.code,
                                  payload={"claim": str(claim.code)}, extra_steps=extra)
    now = timezone.now()
    ExpenseClaim.objects.filter(pk=claim.pk).update(state=ClaimState.SUBMITTED, submitted_at=now, approval=request,
                                                    over_soft_cap=over_soft, updated_at=now)
    claim.refresh_from_db()
    _alerts(claim, budgets, caps)
    return claim


def _alerts(claim: ExpenseClaim, budgets, caps) -> None:
    """Budgets that reached 80 % or 100 % (once each), caps nearly reached: in the app and by email."""
    from accounts.models import Position

    from ..models import Budget

    crossed = [u for u in budgets if u.alerted > u.alerted_before]
    if crossed:
        url = reverse("expenses:budget_list")
        finance = list(Membership.objects.active().with_role(Role.FINANCE).select_related("user"))
        budgets = list(Budget.objects.filter(pk__in=[u.budget_id for u in crossed]))
        holders: dict[int, list] = {}  # node → its holders today, for every crossed budget in one query
        for p in (Position.objects.active_on(_today()).filter(node_id__in={b.node_id for b in budgets})
                  .select_related("holder__user")):
            holders.setdefault(p.node_id, []).append(p.holder)
        for budget in budgets:
            level = next(u.alerted for u in crossed if u.budget_id == budget.pk)
            recipients = {m.pk: m for m in [*holders.get(budget.node_id, []), *finance]}.values()
            notify(recipients=list(recipients), kind="expenses.budget",
                   title=_("Budget “%(name)s” is %(level)s%% used") % {"name": budget.name, "level": level}, url=url)
    warned = [u for u in caps if u.warned]
    if warned:
        names = dict(Hcp.objects.filter(pk__in=[u.hcp_id for u in warned]).values_list("pk", "name"))
        title = _("Spend cap nearly reached for %(names)s") % {"names": "、".join(sorted(set(names.values())))}
        notify(recipients=[claim.rep], kind="expenses.cap", title=title,
               url=reverse("expenses:claim_detail", kwargs={"code": claim.code}))


# --------------------------------------------------------------------------- the engine's hooks


def on_approved(request) -> None:
    settled = control.settle(request_id=request.pk, from_states=[ClaimState.SUBMITTED], state=ClaimState.APPROVED,
                             spend=True, decided=True)
    if settled is None or settled[1] is None:
        return
    original = ExpenseClaim.objects.select_for_update().get(pk=settled[1])  # a correction replaces it
    if original.state == ClaimState.APPROVED:
        control.unspend(claim_id=original.pk)
        ExpenseClaim.objects.filter(pk=original.pk).update(state=ClaimState.SUPERSEDED)


def on_rejected(request) -> None:
    control.settle(request_id=request.pk, from_states=[ClaimState.SUBMITTED], state=ClaimState.REJECTED,
                   spend=False, decided=True)


def on_returned(request) -> None:
    control.settle(request_id=request.pk, from_states=[ClaimState.SUBMITTED], state=ClaimState.RETURNED,
                   spend=False, decided=False)


def on_withdrawn(request) -> None:
    control.settle(request_id=request.pk, from_states=[ClaimState.SUBMITTED, ClaimState.RETURNED],
                   state=ClaimState.WITHDRAWN, spend=False, decided=True)


def describe(request) -> list[tuple[str, str]]:
    claim = ExpenseClaim.objects.filter(approval_id=request.pk).first()
    if claim is None:
        return []
    out = [(_("Purpose"), claim.purpose)]
    lines = claim.lines.select_related("category").prefetch_related("hcps__hcp").order_by("position", "id")
    for line in lines:
        hcps = "、".join(h.hcp.name for h in line.hcps.all())
        value = f"{line.amount:,} {line.currency}" + (f" ({line.base_amount:,} {claim.currency})"
                                                       if line.currency != claim.currency else "")
        out.append((f"{line.day} · {line.category.name}", value + (f" — {hcps}" if hcps else "")))
    if claim.over_soft_cap:
        out.append((_("Spend cap"), _("Over a soft cap: an extra approval step was added.")))
    return out


def object_url(request) -> str:
    return reverse("expenses:claim_detail", kwargs={"code": request.object_code}) if request.object_code else ""


# --------------------------------------------------------------------------- corrections


@transaction.atomic
def claim_correct(*, claim: ExpenseClaim, by: Membership) -> ExpenseClaim:
    """A new draft copying an approved claim; once approved it replaces it (the original's
    spend is given back). One open correction per claim."""
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.rep_id != by.pk:
        raise ValidationError({"claim": _("Only the rep who made the claim can correct it.")})
    if claim.state != ClaimState.APPROVED:
        raise ValidationError({"claim": _("Only an approved claim is corrected; change a draft directly.")})
    open_one = claim.corrections.filter(~Q(state__in=[ClaimState.REJECTED, ClaimState.WITHDRAWN])).first()
    if open_one is not None:
        raise ValidationError({"claim": _("This claim has a correction already.")})
    lines = []
    for line in claim.lines.select_related("category", "call").prefetch_related("hcps__hcp").order_by("position", "id"):
        lines.append(LineIn(category=line.category.code, day=line.day, amount=line.amount,
                            currency=line.currency, description=line.description,
                            hcps=[h.hcp.code for h in line.hcps.all()], call=line.call.code if line.call_id else None))
    purpose = (_("Correction: %(purpose)s") % {"purpose": claim.purpose})[:200]
    correction, _created = claim_save(rep=by, purpose=purpose, lines=lines, corrects=claim)
    return correction
