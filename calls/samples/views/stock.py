"""Admins: put stock in a rep's inventory (a delivery from the warehouse), and adjust one
lot of a rep's stock with a reason."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.permissions import role_required

from .. import selectors
from ..forms import AdjustForm, ReceiveForm, add_service_error
from ..models import SampleLot, SampleStock
from ..services import stock_adjust, stock_receive


@role_required(Role.ADMIN)
def receive(request):
    reps = list(selectors.reps_for(request.user))
    if request.method == "POST":
        form = ReceiveForm(request.POST, reps=reps)
        if form.is_valid():
            data = form.cleaned_data
            rep = selectors.rep_for(request.user, data["rep"])
            try:
                stock_receive(rep=rep, by=request.membership, code=data["code"], reason=data["reason"], lines=[
                    {"sku": data["sku"], "lot_number": data["lot_number"], "expiry": data["expiry"],
                     "quantity": data["quantity"]}])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The stock is in %(name)s's inventory.") % {"name": rep.user.full_name})
                return redirect(f"{reverse('samples:inventory')}?rep={rep.code}")
        return render(request, "samples/receive.html", {"form": form}, status=400)
    form = ReceiveForm(reps=reps, initial={"code": uuid.uuid4(), "rep": request.GET.get("rep", "")})
    return render(request, "samples/receive.html", {"form": form})


@role_required(Role.ADMIN)
def adjust(request, rep_code, lot_code):
    rep = selectors.rep_for(request.user, rep_code)
    lot = SampleLot.objects.select_related("sku").filter(code=lot_code).first()
    if lot is None:
        raise Http404
    held = SampleStock.objects.filter(rep_id=rep.pk, lot_id=lot.pk).values_list("quantity", flat=True).first() or 0
    if request.method == "POST":
        form = AdjustForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                stock_adjust(rep=rep, lot=lot, quantity=data["quantity"], reason=data["reason"], by=request.membership,
                             code=data["code"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("The stock is adjusted."))
                return redirect(f"{reverse('samples:inventory')}?rep={rep.code}")
        return render(request, "samples/adjust.html", {"form": form, "rep": rep, "lot": lot, "held": held}, status=400)
    form = AdjustForm(initial={"code": uuid.uuid4()})
    return render(request, "samples/adjust.html", {"form": form, "rep": rep, "lot": lot, "held": held})
