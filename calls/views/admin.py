"""The admin's pages: call settings (lock, check-in, flags) and key messages per brand
(add, change, move up or down, deactivate or reactivate)."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import role_required
from customers.validation import text
from products.models import Brand

from ..forms import KeyMessageForm, SettingsForm
from ..models import KeyMessage
from ..services import (
    key_message_create,
    key_message_reorder,
    key_message_update,
    settings_get,
    settings_update,
)

ADMINS = (Role.ADMIN,)


@role_required(*ADMINS)
def settings_view(request):
    current = settings_get()
    if request.method == "POST":
        form = SettingsForm(request.POST)
        if form.is_valid():
            try:
                settings_update(**form.cleaned_data)
            except ValidationError as exc:
                form.add_service_error(exc)
            else:
                messages.success(request, _("The call settings are saved."))
                return redirect("calls:settings")
        return render(request, "calls/settings.html", {"form": form}, status=400)
    form = SettingsForm(initial={f: getattr(current, f) for f in SettingsForm.base_fields})
    return render(request, "calls/settings.html", {"form": form})


def _brand(code) -> Brand:
    brand = Brand.objects.filter(code=code).first() if code else None
    if brand is None:
        raise Http404
    return brand


@role_required(*ADMINS)
def key_messages(request):
    """Every brand with its messages (two queries); POST adds a message to a brand."""
    form = KeyMessageForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                message = key_message_create(brand=_brand(form.cleaned_data["brand"]), text=form.cleaned_data["text"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The key message “%(text)s” is added.") % {"text": message.text})
                return redirect(f"{request.path}#brand-{message.brand.code}")
        status = 400
    brands = list(Brand.objects.select_related("product_line").order_by("product_line__name", "name"))
    by_brand: dict[int, list] = {}
    for m in KeyMessage.objects.order_by("brand_id", "position", "id"):
        by_brand.setdefault(m.brand_id, []).append(m)
    for b in brands:
        b.messages = by_brand.get(b.pk, [])
    return render(request, "calls/key_messages.html", {"brands": brands, "form": form}, status=status)


@require_POST
@role_required(*ADMINS)
def key_message_change(request, code):
    """One message: ``op`` = edit (new ``text``), up, down, deactivate, activate."""
    message = KeyMessage.objects.filter(code=code).select_related("brand").first()
    if message is None:
        raise Http404
    op = request.POST.get("op", "")
    try:
        if op == "edit":
            key_message_update(message=message, text=text(request.POST.get("text", "")))
        elif op in ("deactivate", "activate"):
            key_message_update(message=message, is_active=op == "activate")
        elif op in ("up", "down"):
            codes = list(KeyMessage.objects.filter(brand=message.brand).order_by("position", "id")
                         .values_list("code", flat=True))
            i = codes.index(message.code)
            j = i - 1 if op == "up" else i + 1
            if 0 <= j < len(codes):
                codes[i], codes[j] = codes[j], codes[i]
                key_message_reorder(brand=message.brand, codes=codes)
        else:
            raise ValidationError({"op": _("Unknown action.")})
    except ValidationError as exc:
        for errors in exc.message_dict.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.success(request, _("The key message is saved."))
    return redirect(f"{redirect('calls:key_messages').url}#brand-{message.brand.code}")
