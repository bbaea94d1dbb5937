"""Sample orders: the list (own, the team's for a manager, all for admins), a new order
(reps and managers; it goes to the approval engine), an order's page with its approval
state, and "received" for an approved order (the rep who ordered: lot and expiry per line).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required, tenant_member_required
from products.models import Sku

from .. import selectors
from ..forms import OrderForm, add_service_error
from ..models import OrderState
from ..services import sample_order_receive, sample_order_submit

ORDERERS = (Role.REP, Role.MANAGER)
LINES_ON_FORM = 5
PAGE_SIZE = 25


@tenant_member_required
def order_list(request):
    page = Paginator(selectors.orders_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "samples/orders.html", {
        "page": page, "orders": page.object_list, "tab": "orders",
        "can_order": request.membership.has_role(*ORDERERS)})


def _skus():
    return list(Sku.objects.filter(status=Sku.Status.ACTIVE).select_related("brand").order_by("name", "strength"))


def _posted_lines(request, skus) -> tuple[list[dict], list[dict]]:
    by_code = {str(s.code): s for s in skus}
    lines, shown = [], []
    for i in range(LINES_ON_FORM):
        code = request.POST.get(f"sku_{i}", "")
        qty = request.POST.get(f"qty_{i}", "").strip()
        shown.append({"i": i, "sku": code, "qty": qty})
        if not code and not qty:
            continue
        lines.append({"sku": by_code.get(code), "quantity": qty})
    return lines, shown


@role_required(*ORDERERS)
def order_new(request):
    skus = _skus()
    if request.method == "POST":
        form = OrderForm(request.POST)
        lines, shown = _posted_lines(request, skus)
        if form.is_valid():
            try:
                order = sample_order_submit(rep=request.membership, lines=lines, note=form.cleaned_data["note"],
                                            code=form.cleaned_data["code"])
            except ValidationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, _("Your sample order is sent for approval."))
                return redirect("samples:order_detail", code=order.code)
        return render(request, "samples/order_new.html", {"form": form, "skus": skus, "shown": shown}, status=400)
    form = OrderForm(initial={"code": uuid.uuid4()})
    shown = [{"i": i, "sku": "", "qty": ""} for i in range(LINES_ON_FORM)]
    return render(request, "samples/order_new.html", {"form": form, "skus": skus, "shown": shown})


@tenant_member_required
def order_detail(request, code, *, errors=None, status=200):
    order = selectors.order_for(request.user, code)
    lines = list(order.lines.select_related("sku__brand").order_by("id"))
    return render(request, "samples/order_detail.html", {
        "order": order, "lines": lines, "errors": errors or [], "tab": "orders",
        "can_receive": order.state == OrderState.APPROVED and order.rep_id == request.membership.pk,
        "received": order.state == OrderState.RECEIVED,
    }, status=status)


@require_POST
@tenant_member_required
def order_receive(request, code):
    order = selectors.order_for(request.user, code)
    if order.rep_id != request.membership.pk:
        raise PermissionDenied
    lines = []
    for line in order.lines.all():
        expiry = None
        raw = request.POST.get(f"expiry_{line.pk}", "").strip()
        if raw:
            try:
                expiry = dt.date.fromisoformat(raw)
            except ValueError:
                return order_detail(request, code, errors=[_("Enter the expiry date as YYYY-MM-DD.")], status=400)
        lines.append({"line": line.pk, "lot_number": request.POST.get(f"lot_{line.pk}", ""), "expiry": expiry,
                      "quantity": request.POST.get(f"qty_{line.pk}", "").strip() or 0})
    try:
        sample_order_receive(order=order, by=request.membership, lines=lines)
    except (ValidationError, ValueError) as exc:
        msgs = exc.messages if isinstance(exc, ValidationError) else [_("Enter whole quantities.")]
        return order_detail(request, code, errors=msgs, status=400)
    messages.success(request, _("The delivery is in your inventory."))
    return redirect("samples:order_detail", code=order.code)
