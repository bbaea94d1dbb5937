"""Receipts of a claim: upload (the rep, while the claim is a draft or sent back), download
(whoever sees the claim; anyone else, another tenant included, gets 404) and remove.

A receipt is served with the content type detected when it was stored, inline, with
``nosniff`` and a sandboxing CSP so a browser never runs it as a page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.permissions import role_required

from .. import selectors
from ..forms import ReceiptForm
from ..services import receipt_add, receipt_remove
from ..visibility import READERS
from .claims import claim_detail
from .form import FILERS


@require_POST
@role_required(*FILERS)
def receipt_upload(request, code):
    claim = selectors.claim_for(request.user, code)
    if claim.rep_id != request.membership.pk:
        raise PermissionDenied
    form = ReceiptForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            receipt_add(claim=claim, upload=form.cleaned_data["file"], by=request.membership)
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error("file", message)
        else:
            messages.success(request, _("The receipt is added."))
            return redirect("expenses:claim_detail", code=claim.code)
    return claim_detail(request, code, receipt_form=form, status=400)


@role_required(*READERS)
def receipt_download(request, code):
    receipt = selectors.receipt_for(request.user, code)
    try:
        handle = receipt.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    name = receipt.original_name or f"receipt{receipt.file.name[receipt.file.name.rfind('.'):]}"
    response = FileResponse(handle, content_type=receipt.content_type, as_attachment=False, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; object-src 'self'; sandbox"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_POST
@role_required(*FILERS)
def receipt_remove_view(request, code):
    receipt = selectors.receipt_for(request.user, code)
    if receipt.claim.rep_id != request.membership.pk:
        raise PermissionDenied
    try:
        receipt_remove(receipt=receipt, by=request.membership)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("The receipt is removed."))
    return redirect("expenses:claim_detail", code=receipt.claim.code)
