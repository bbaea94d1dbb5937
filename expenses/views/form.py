"""The claim form: a new claim (``claim_new``), a draft or a claim sent back changed
(``claim_edit``), the HCP search as you type (``claim_hcp_options``) and the live cap and
budget warning (``claim_preview``, an htmx POST of the whole form).

"Save draft" saves; "Submit" saves and submits in one request (one transaction: a refused
submit saves nothing either). A refused form comes back with everything typed kept, each
error beside its field (status 400). "Add a line" without JavaScript re-renders with one more row.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required

from .. import selectors
from ..forms import ClaimForm, LineFormSet, initial_lines, lines_from, map_service_errors, new_code, raw_lines
from ..services import claim_save, claim_submit
from ..services import preview as preview_service

FILERS = (Role.REP, Role.MANAGER)


def _hcp_codes(data, initial) -> set[str]:
    codes = set()
    if data is not None:
        for key in data:
            if key.startswith("line-") and key.endswith("-hcps"):
                codes.update(data.getlist(key))
    for line in initial or []:
        codes.update(line.get("hcps") or [])
    return codes


def _forms(request, *, data=None, claim=None):
    tenant = request.tenant
    include_cats, include_calls, initial = set(), set(), None
    if claim is not None:
        lines = list(claim.lines.all())
        include_cats = {line.category_id for line in lines}
        include_calls = {line.call_id for line in lines if line.call_id}
        initial = initial_lines(claim, default_currency=tenant.currency)
    elif data is None:
        initial = [{"currency": tenant.currency, "day": tenant.today().isoformat()}]
    categories = selectors.categories(include=include_cats)
    calls = selectors.calls_for(request.membership, today=tenant.today(), include=include_calls)
    lookup = selectors.hcps_by_code(request.user, _hcp_codes(data, initial))
    kwargs = {"categories": categories, "calls": calls, "hcp_lookup": lookup}
    if data is not None:
        form = ClaimForm(data)
        formset = LineFormSet(data, prefix="line", form_kwargs=kwargs)
    else:
        form = ClaimForm(initial={"code": new_code(), "purpose": claim.purpose if claim else ""})
        formset = LineFormSet(prefix="line", initial=initial, form_kwargs=kwargs)
    formset.line_errors = []
    return form, formset, kwargs


def _render(request, form, formset, kwargs, *, claim=None, status=200):
    empty = formset.empty_form
    return render(request, "expenses/claim_form.html", {
        "form": form, "formset": formset, "empty_form": empty, "claim": claim,
        "currency": request.tenant.currency, "today": request.tenant.today(),
    }, status=status)


def _add_line(request, form, formset, kwargs, claim):
    """Without JavaScript: the same form with one more (empty) row."""
    data = request.POST.copy()
    total = int(data.get("line-TOTAL_FORMS") or 0)
    data["line-TOTAL_FORMS"] = str(min(total + 1, 100))
    data[f"line-{total}-currency"] = request.tenant.currency
    form = ClaimForm(data)
    formset = LineFormSet(data, prefix="line", form_kwargs=kwargs)
    formset.line_errors = []
    return render(request, "expenses/claim_form.html", {
        "form": form, "formset": formset, "empty_form": formset.empty_form, "claim": claim,
        "currency": request.tenant.currency, "today": request.tenant.today(), "adding": True})


def _save(request, *, claim=None):
    form, formset, kwargs = _forms(request, data=request.POST, claim=claim)
    if "add_line" in request.POST:
        return _add_line(request, form, formset, kwargs, claim)
    submit = "submit" in request.POST
    valid = form.is_valid() & formset.is_valid()
    if valid:
        lines, rows = lines_from(formset)
        try:
            with transaction.atomic():
                saved, created = claim_save(rep=request.membership, purpose=form.cleaned_data["purpose"], lines=lines,
                                            claim=claim, code=form.cleaned_data.get("code") if claim is None else None)
                if submit:
                    saved = claim_submit(claim=saved, by=request.membership)
        except ValidationError as exc:
            map_service_errors(form, formset, rows, exc)
        else:
            if claim is None and not created:  # a retried create: the claim was saved already
                return redirect("expenses:claim_detail", code=saved.code)
            messages.success(request, _("The claim is submitted for approval.") if submit
                             else _("The claim is saved as a draft."))
            return redirect("expenses:claim_detail", code=saved.code)
    return _render(request, form, formset, kwargs, claim=claim, status=400)


@role_required(*FILERS)
def claim_new(request):
    if request.method == "POST":
        return _save(request)
    form, formset, kwargs = _forms(request)
    return _render(request, form, formset, kwargs)


@role_required(*FILERS)
def claim_edit(request, code):
    claim = selectors.claim_for(request.user, code, full=True)
    if claim.rep_id != request.membership.pk:
        raise PermissionDenied
    if not claim.is_editable:
        messages.error(request, _("This claim can no longer change."))
        return redirect("expenses:claim_detail", code=claim.code)
    if request.method == "POST":
        return _save(request, claim=claim)
    form, formset, kwargs = _forms(request, claim=claim)
    return _render(request, form, formset, kwargs, claim=claim)


@require_POST
@role_required(*FILERS)
def claim_preview(request):
    """The cap and budget warning for the form as typed (an htmx partial; read-only)."""
    formset = LineFormSet(request.POST, prefix="line")
    preview = preview_service.claim_preview(rep=request.membership, lines=raw_lines(formset))
    return render(request, "expenses/_claim_preview.html", {"preview": preview})


@role_required(*FILERS)
def claim_hcp_options(request):
    """HCPs the rep sees matching ``hcp_q``, as checkboxes of line ``line``."""
    from customers.selectors import search_hcps

    q = (request.GET.get("hcp_q") or "")[:100].strip()
    line = request.GET.get("line") or "0"
    if not line.isdigit() or int(line) >= 100:
        line = "0"
    found = search_hcps(request.user, q, 15) if q else []
    return render(request, "expenses/_claim_hcp_options.html", {"hcps": found, "q": q, "line": line})
