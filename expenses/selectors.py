"""Reads of the claim pages: the list, one claim with everything its page shows, the reps a
reader may filter by, the calls and HCPs a rep may link, and the finance export.

Every read of claims goes through ``ExpenseClaim.objects.visible_to(user)``; a code the reader
may not see is the same 404 as a missing one (receipts follow their claim).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef, Prefetch, Q
from django.http import Http404

from accounts.models import Membership, Role
from accounts.visibility import membership_of

from .models import ExpenseCategory, ExpenseClaim, ExpenseLine, LineHcp, Receipt
from .models.claims import ClaimState
from .visibility import WHOLE_TENANT

CALL_DAYS = 120
CALL_LIMIT = 60


def claims_for(user, *, state: str = "", rep: Membership | None = None, day_from: dt.date | None = None,
               day_to: dt.date | None = None):
    """The claims ``user`` sees, newest first, with the rep's name, the territory and the number of
    lines (one query for a page). ``day_from``/``day_to``: claims with an expense on those days."""
    qs = (ExpenseClaim.objects.visible_to(user)
          .select_related("rep__user", "territory")
          .annotate(line_count=Count("lines"))
          .order_by("-created_at", "-id"))
    if state:
        qs = qs.filter(state=state)
    if rep is not None:
        qs = qs.filter(rep=rep)
    if day_from or day_to:
        lines = ExpenseLine.objects.filter(claim_id=OuterRef("pk"))
        if day_from:
            lines = lines.filter(day__gte=day_from)
        if day_to:
            lines = lines.filter(day__lte=day_to)
        qs = qs.filter(Exists(lines))
    return qs


def _lines_prefetch():
    return Prefetch("lines", queryset=ExpenseLine.objects.select_related("category", "call__hcp", "call__institution")
                    .prefetch_related(Prefetch("hcps", queryset=LineHcp.objects.select_related("hcp")
                                               .order_by("id")))
                    .order_by("position", "id"))


def claim_for(user, code, *, full: bool = False) -> ExpenseClaim:
    """One claim ``user`` sees (404 otherwise); ``full``: its lines, HCPs, receipts and approval
    steps too (a fixed number of queries whatever their number)."""
    qs = ExpenseClaim.objects.visible_to(user).select_related("rep__user", "territory", "approval", "corrects")
    if full:
        from approvals.models import ApprovalStep

        qs = qs.prefetch_related(
            _lines_prefetch(),
            Prefetch("receipts", queryset=Receipt.objects.order_by("uploaded_at", "id")),
            Prefetch("approval__steps", queryset=ApprovalStep.objects.select_related(
                "approver__user", "decided_by__user").order_by("order", "id")),
        )
    try:
        return qs.get(code=code)
    except (ExpenseClaim.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def corrections_of(user, claim: ExpenseClaim) -> list[ExpenseClaim]:
    """The corrections of ``claim`` that ``user`` sees (one query)."""
    return list(ExpenseClaim.objects.visible_to(user).filter(corrects_id=claim.pk).order_by("created_at", "id"))


def receipt_for(user, code) -> Receipt:
    """A receipt of a claim ``user`` sees (404 otherwise, also for another tenant's)."""
    try:
        return (Receipt.objects.select_related("claim")
                .filter(claim__in=ExpenseClaim.objects.visible_to(user).values("pk")).get(code=code))
    except (Receipt.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def pickable_reps(user):
    """The claimants ``user`` may filter by: everyone for finance, analysts and admins, the team
    (and themself) for a manager, nobody for a rep (who sees their own only)."""
    from calls.visibility import team_q

    membership = membership_of(user)
    if membership is None:
        return Membership.objects.none()
    if membership.has_role(*WHOLE_TENANT):
        qs = Membership.objects.filter(Q(roles__contains=[Role.REP]) | Q(roles__contains=[Role.MANAGER]),
                                       is_active=True)
    elif membership.has_role(Role.MANAGER):
        qs = Membership.objects.filter(team_q(user), is_active=True)
    else:
        return Membership.objects.none()
    return qs.select_related("user").order_by("user__full_name", "id")


def categories(*, include=()) -> list[ExpenseCategory]:
    """The active categories in the admin's order, plus ``include`` (ids of retired ones a line uses)."""
    return list(ExpenseCategory.objects.filter(Q(is_active=True) | Q(pk__in=list(include)))
                .order_by("position", "name", "id"))


def calls_for(membership: Membership, *, today: dt.date, include=()):
    """The rep's own made calls of the last ``CALL_DAYS`` days (newest first), plus ``include``
    (ids of calls a line links already); one query."""
    from calls.models import Call

    since = today - dt.timedelta(days=CALL_DAYS)
    recent = Q(day__gte=since)
    qs = (Call.objects.done().filter(rep_id=membership.pk).filter(recent | Q(pk__in=list(include)))
          .select_related("hcp", "institution").order_by("-at", "-id"))
    return list(qs[:CALL_LIMIT])


def hcps_by_code(user, codes) -> dict[str, object]:
    """The live HCPs ``user`` sees among ``codes`` (str(code) → Hcp), one query."""
    import uuid

    from customers.models import Hcp

    valid = []
    for c in codes:
        try:
            valid.append(uuid.UUID(str(c)))
        except (ValueError, TypeError, AttributeError):
            continue
    if not valid:
        return {}
    return {str(h.code): h for h in Hcp.objects.live().visible_to(user).filter(code__in=valid)
            .select_related("institution")}


# --------------------------------------------------------------------------- finance export


def exportable_claims():
    """Approved claims not yet exported for payment, oldest decision first."""
    return (ExpenseClaim.objects.filter(state=ClaimState.APPROVED, exported_at__isnull=True)
            .select_related("rep__user", "territory").annotate(line_count=Count("lines"))
            .order_by("decided_at", "id"))


def past_exports(limit: int = 20) -> list[dict]:
    """The latest exports: their time and how many claims each had (one grouped query)."""
    return list(ExpenseClaim.objects.filter(exported_at__isnull=False).values("exported_at")
                .annotate(claims=Count("id")).order_by("-exported_at")[:limit])


def export_lines(claims_qs):
    """The lines of ``claims_qs`` with all an export row needs (three queries in all)."""
    return (ExpenseLine.objects.filter(claim__in=claims_qs.values("pk"))
            .select_related("claim__rep__user", "claim__territory", "category")
            .prefetch_related(Prefetch("hcps", queryset=LineHcp.objects.select_related("hcp").order_by("id")))
            .order_by("claim__decided_at", "claim_id", "position", "id"))
