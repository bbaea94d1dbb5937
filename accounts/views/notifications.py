"""The member's notification list (approvals, reminders, later alerts) and "mark as read".

Every member sees only their own notifications; a code that is not theirs (another
member's, another tenant's, or made up) is a 404 like a missing one.
"""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Value, When
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from ..models import Notification
from ..permissions import tenant_member_required
from ..services.notifications import notifications_mark_read

PAGE_SIZE = 25


def get_notification_for_member(request, code) -> Notification:
    try:
        code = uuid.UUID(str(code))
    except ValueError:
        raise Http404 from None
    return get_object_or_404(Notification, recipient=request.membership, code=code)


@require_GET
@tenant_member_required
def notification_list(request):
    qs = (
        Notification.objects.filter(recipient=request.membership)
        .annotate(read_rank=Case(When(read_at__isnull=True, then=Value(0)), default=Value(1),
                                 output_field=IntegerField()))
        .order_by("read_rank", "-created_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "accounts/notifications/list.html", {"page": page})


@require_POST
@tenant_member_required
def notification_mark_read(request):
    """One notification (``code``) or all of them. With ``open``, go to what it is about."""
    code = request.POST.get("code")
    if code:
        notification = get_notification_for_member(request, code)
        notifications_mark_read(recipient=request.membership, codes=[notification.code])
        url = notification.url
        if "open" in request.POST and url and url_has_allowed_host_and_scheme(url, allowed_hosts=None):
            return redirect(url)
        messages.success(request, _("Marked as read."))
    else:
        count = notifications_mark_read(recipient=request.membership)
        messages.success(request, ngettext("%(count)d notification marked as read.",
                                           "%(count)d notifications marked as read.", count) % {"count": count})
    return redirect("notifications:list")
