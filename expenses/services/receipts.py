"""Receipts: photos (JPEG, PNG, WebP, HEIC) or PDFs, at most ``MAX_BYTES`` each.

The type is read from the content (``filetype``: magic numbers), never from the name or the
browser's word: an executable renamed ``.jpg`` is refused. The file is stored under
``t<tenant>/receipts/<uuid><ext>`` with the extension of the detected type, and served only
through ``views.receipts`` to users who see the claim.
"""

from __future__ import annotations

import hashlib

import filetype
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import Membership

from ..models import ExpenseClaim, Receipt
from ..models.claims import EDITABLE_STATES

MAX_BYTES = 10 * 1024 * 1024
MAX_PER_CLAIM = 30
ALLOWED = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "image/heic": ".heic",
           "application/pdf": ".pdf"}


def detect(head: bytes) -> str | None:
    """The allowed content type of a file from its first bytes, or None."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED:
        return None
    return kind.mime


@transaction.atomic
def receipt_add(*, claim: ExpenseClaim, upload, by: Membership) -> Receipt:
    """``upload``: a Django ``UploadedFile`` (or any file object with ``name`` and ``size``)."""
    claim = ExpenseClaim.objects.select_for_update().get(pk=claim.pk)
    if claim.rep_id != by.pk:
        raise ValidationError({"receipt": _("Only the rep who made the claim adds receipts.")})
    if claim.state not in EDITABLE_STATES:
        raise ValidationError({"receipt": _("Receipts are added while the claim is a draft or sent back.")})
    size = getattr(upload, "size", None) or 0
    if size <= 0:
        raise ValidationError({"receipt": _("The file is empty.")})
    if size > MAX_BYTES:
        raise ValidationError({"receipt": _("A receipt is at most %(mb)s MB; this file is %(size).1f MB.") % {
            "mb": MAX_BYTES // (1024 * 1024), "size": size / (1024 * 1024)}})
    if Receipt.objects.filter(claim=claim).count() >= MAX_PER_CLAIM:
        raise ValidationError({"receipt": _("A claim has at most %(n)s receipts.") % {"n": MAX_PER_CLAIM}})
    upload.seek(0)
    data = upload.read()
    content_type = detect(data[:8192])
    if content_type is None:
        raise ValidationError({"receipt": _(
            "“%(name)s” is not a photo (JPEG, PNG, WebP, HEIC) or a PDF, whatever its name says.") % {
            "name": (getattr(upload, "name", "") or "")[:100]}})
    receipt = Receipt(claim=claim, content_type=content_type, size=len(data), uploaded_by=by,
                      original_name=(getattr(upload, "name", "") or "")[:200], sha256=hashlib.sha256(data).hexdigest())
    receipt.file.save(f"receipt{ALLOWED[content_type]}", ContentFile(data), save=False)
    receipt.save()
    return receipt


@transaction.atomic
def receipt_remove(*, receipt: Receipt, by: Membership) -> None:
    claim = ExpenseClaim.objects.select_for_update().get(pk=receipt.claim_id)
    if claim.rep_id != by.pk or claim.state not in EDITABLE_STATES:
        raise ValidationError({"receipt": _("Receipts are removed by the rep while the claim is a draft or sent back.")})
    name = receipt.file.name
    receipt.delete()
    storage = receipt.file.storage
    transaction.on_commit(lambda: storage.delete(name))
