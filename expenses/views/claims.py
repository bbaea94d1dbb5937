"""Claim pages: the list and one claim, and the claim's actions (submit, delete a draft,
correct an approved one). The form is in ``form.py``, receipts in ``receipts.py``.

* list — a rep sees their own claims, a manager the team's, finance, analysts and admins
  every submitted one (``visibility``); filters by state, rep and expense dates; one query for
  the page of rows and one count;
* detail — whoever sees the claim (another tenant's or an invisible code is 404): lines with
  categories, HCPs and converted amounts, receipts, the approval's steps, the corrections;
  the actions are shown only to whom they apply (and refused to anyone else: 403).
"""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required

from .. import selectors
from ..forms import ReceiptForm
from ..models import ClaimState
from ..services import claim_correct, claim_delete, claim_submit
from ..visibility import READERS
from .form import FILERS

PAGE_SIZE = 25


def _date(value):
    try:
        return dt.date.fromisoformat((value or "").strip()) if value else None
    except ValueError:
        return None


@role_required(*READERS)
def claim_list(request):
    reps = list(selectors.pickable_reps(request.user))
    rep_code = request.GET.get("rep", "")
    rep = next((r for r in reps if str(r.code) == rep_code), None)
    state = request.GET.get("state", "")
    if state not in ClaimState.values:
        state = ""
    day_from, day_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    qs = selectors.claims_for(request.user, state=state, rep=rep, day_from=day_from, day_to=day_to)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in (("state", state), ("rep", str(rep.code) if rep else ""),
                                         ("from", day_from.isoformat() if day_from else ""),
                                         ("to", day_to.isoformat() if day_to else "")) if v})
    return render(request, "expenses/claim_list.html", {
        "page": page, "claims": page.object_list, "reps": reps, "rep": rep, "state": state,
        "states": ClaimState.choices, "day_from": day_from, "day_to": day_to, "query": query,
        "can_create": request.membership.has_role(*FILERS), "me": request.membership})


def _actions(request, claim, corrections) -> dict:
    mine = claim.rep_id == request.membership.pk
    open_correction = any(c.state not in (ClaimState.REJECTED, ClaimState.WITHDRAWN) for c in corrections)
    return {
        "can_edit": mine and claim.is_editable,
        "can_submit": mine and claim.is_editable,
        "can_delete": mine and claim.state == ClaimState.DRAFT and not claim.approval_id,
        "can_correct": mine and claim.state == ClaimState.APPROVED and not open_correction,
        "can_receipts": mine and claim.is_editable,
    }


@role_required(*READERS)
def claim_detail(request, code, *, receipt_form=None, status=200):
    claim = selectors.claim_for(request.user, code, full=True)
    corrections = selectors.corrections_of(request.user, claim)
    lines = list(claim.lines.all())
    return render(request, "expenses/claim_detail.html", {
        "claim": claim, "lines": lines, "receipts": list(claim.receipts.all()),
        "steps": list(claim.approval.steps.all()) if claim.approval_id else [],
        "corrections": corrections, "receipt_form": receipt_form or ReceiptForm(),
        **_actions(request, claim, corrections),
    }, status=status)


def _own(request, code):
    claim = selectors.claim_for(request.user, code)
    if claim.rep_id != request.membership.pk:
        raise PermissionDenied
    return claim


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@require_POST
@role_required(*FILERS)
def claim_submit_view(request, code):
    claim = _own(request, code)
    try:
        claim_submit(claim=claim, by=request.membership)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("The claim is submitted for approval."))
    return redirect("expenses:claim_detail", code=claim.code)


@require_POST
@role_required(*FILERS)
def claim_delete_view(request, code):
    claim = _own(request, code)
    try:
        claim_delete(claim=claim, by=request.membership)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("expenses:claim_detail", code=claim.code)
    messages.success(request, _("The draft is deleted."))
    return redirect("expenses:claim_list")


@require_POST
@role_required(*FILERS)
def claim_correct_view(request, code):
    claim = _own(request, code)
    try:
        correction = claim_correct(claim=claim, by=request.membership)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect("expenses:claim_detail", code=claim.code)
    messages.success(request, _("A correction is open as a draft: change it and submit it."))
    return redirect("expenses:claim_edit", code=correction.code)
