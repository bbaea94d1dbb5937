"""Follow-up tasks: a call's next step (``calls.services.calls``), or one written down by a
rep for themself or by a manager for someone in their team."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.validation import text

from ..models import FollowUp
from .rows import follow_up_due

TITLE_MAX = 300


@transaction.atomic
def follow_up_create(*, by, title: str, assignee=None, hcp=None, due_date: dt.date | None = None,
                     code=None) -> FollowUp:
    """A task for ``assignee`` (default: ``by``), due in 7 days unless given. ``code`` (the
    client's) makes a retried create return the task already made. The caller checks that
    ``by`` may assign to ``assignee`` and sees ``hcp``."""
    from sfe.core.tenancy import current_tenant

    if code is not None:
        found = FollowUp.objects.filter(code=code).first()
        if found is not None:
            if found.assignee_id != (assignee or by).pk:
                raise ValidationError({"code": _("This task belongs to someone else.")})
            return found
    title = " ".join(text(title or "").split())
    if not title:
        raise ValidationError({"title": _("Write the task.")})
    if len(title) > TITLE_MAX:
        raise ValidationError({"title": _("Use at most %(n)s characters.") % {"n": TITLE_MAX}})
    today = current_tenant().today()
    due = follow_up_due(due_date, today)
    if due < today - dt.timedelta(days=365):
        raise ValidationError({"due_date": _("The due date is too far in the past.")})
    extra = {"code": code} if code is not None else {}
    return FollowUp.objects.create(assignee=assignee or by, hcp=hcp, title=title, due_date=due, **extra)


@transaction.atomic
def follow_up_done(*, task: FollowUp, by, done: bool = True) -> FollowUp:
    """Mark done (or open again). Doing it twice changes nothing."""
    task = FollowUp.objects.select_for_update().get(pk=task.pk)
    if done and task.done_at is None:
        task.done_at = timezone.now()
        task.save(update_fields=["done_at"])
    elif not done and task.done_at is not None:
        task.done_at = None
        task.save(update_fields=["done_at"])
    return task
