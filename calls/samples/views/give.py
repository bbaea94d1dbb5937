"""Give samples in a call: ``/samples/calls/<call code>/give/``.

The call must be visible to the user (404 otherwise, another tenant's included) and their
own (403). The page lists the lots the rep holds (expired ones shown, not offered), a
quantity per lot, and a signature pad (``static/samples/signature.js``) that posts the
strokes and a PNG. The form carries a code made when the page was drawn, so a double
submit gives once (``samples_give`` is idempotent).
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from accounts.permissions import tenant_member_required

from .. import selectors
from ..forms import GiveForm, add_service_error
from ..services import Drawing, call_is_locked, samples_give, signature_required

CALL_URL_NAMES = ("calls:call_detail", "calls:detail")


def call_url(call) -> str:
    """The call's page (built by the calls app), or "" while there is none."""
    for name in CALL_URL_NAMES:
        try:
            return reverse(name, kwargs={"code": call.code})
        except NoReverseMatch:
            continue
    return ""


def _lot_lines(request, stock_rows) -> list[dict]:
    lines = []
    for row in stock_rows:
        raw = (request.POST.get(f"qty_{row['lot'].code}") or "").strip()
        if raw in ("", "0"):
            continue
        lines.append({"lot": row["lot"].code, "quantity": raw})
    return lines


@tenant_member_required
def give(request, code):
    call = selectors.call_for_give(request.user, code)
    if call.rep_id != request.membership.pk:
        raise PermissionDenied
    today = request.tenant.today()
    rows = [{"stock": s, "lot": s.lot, "state": selectors.expiry_state(s.lot, today),
             "value": request.POST.get(f"qty_{s.lot.code}", "")} for s in selectors.stock_of(request.membership)]
    status = 200
    if request.method == "POST":
        form = GiveForm(request.POST)
        if form.is_valid():
            try:
                result = samples_give(
                    call=call, lines=_lot_lines(request, rows), code=form.cleaned_data["code"], by=request.membership,
                    signature=Drawing(svg_path=form.cleaned_data["signature_svg"], png=form.png_bytes()))
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                n = -sum(m.quantity for m in result.moves)
                messages.success(request, _("%(n)s samples given and recorded.") % {"n": n})
                return redirect("samples:give", code=call.code)
        status = 400
    else:
        form = GiveForm(initial={"code": uuid.uuid4()})
    given = list(selectors.given_in_call(call))
    return render(request, "samples/give.html", {
        "call": call, "rows": rows, "form": form, "given": given, "call_url": call_url(call),
        "locked": call_is_locked(call, today), "planned": call.is_planned,
        "signature_required": signature_required(),
    }, status=status)
