"""In-app notifications, mailed after the transaction commits."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from ..models import Membership, Notification


def notify(*, recipients: list[Membership], kind: str, title: str, body: str = "", url: str = "",
           email: bool = True, base_url: str = "") -> list[Notification]:
    """Create one notification per recipient (one INSERT) and email them on commit."""
    rows = Notification.objects.bulk_create(
        [Notification(recipient=m, kind=kind, title=title[:200], body=body, url=url) for m in recipients]
    )
    if email:
        addresses = [m.user.email for m in recipients if m.user.is_active and m.is_active]
        mail_on_commit(addresses, title=title, body=body, link=f"{base_url.rstrip('/')}{url}" if url else "")
    return rows


def mail_on_commit(addresses: list[str], *, title: str, body: str = "", link: str = "") -> None:
    """Mail a notification to ``addresses`` once the transaction commits (never if it rolls back).
    For callers that write the notification rows themselves (the approval engine's fast path)."""
    if not addresses:
        return

    def send():
        for address in addresses:
            send_mail(title[:200], "\n\n".join(p for p in (body, link) if p), settings.DEFAULT_FROM_EMAIL,
                      [address], fail_silently=True)

    transaction.on_commit(send)


@transaction.atomic
def notifications_mark_read(*, recipient: Membership, codes: list | None = None) -> int:
    from django.utils import timezone

    qs = Notification.objects.filter(recipient=recipient, read_at__isnull=True)
    if codes is not None:
        qs = qs.filter(code__in=codes)
    return qs.update(read_at=timezone.now())
