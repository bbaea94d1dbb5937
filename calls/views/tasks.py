"""Follow-up tasks: the user's open tasks (``who=team``: a manager's team's), a new task for
oneself, and marking one done (or open again). Another tenant's task, or one outside the
user's team, is 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.models import Role
from accounts.permissions import tenant_member_required

from .. import selectors
from ..forms import FollowUpForm
from ..services import follow_up_create, follow_up_done

TASKS_MAX = 200


@tenant_member_required
def task_list(request):
    if request.method == "POST":
        form = FollowUpForm(request.POST)
        if form.is_valid():
            try:
                follow_up_create(by=request.membership, title=form.cleaned_data["title"],
                                 due_date=form.cleaned_data["due_date"])
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(request, _("The task is added."))
                return redirect("calls:task_list")
        status = 400
    else:
        form, status = FollowUpForm(), 200
    params = request.GET
    tasks = list(selectors.follow_ups_for(request.user, params)[:TASKS_MAX])
    today = request.tenant.today()
    for t in tasks:
        t.overdue = t.done_at is None and t.due_date < today
        t.mine = t.assignee_id == request.membership.pk
    return render(request, "calls/task_list.html", {
        "tasks": tasks, "form": form, "who": params.get("who", ""), "done": params.get("done", ""),
        "is_manager": request.membership.has_role(Role.MANAGER), "limit": TASKS_MAX,
    }, status=status)


@require_POST
@tenant_member_required
def task_done(request, code):
    task = selectors.follow_up_for(request.user, code)
    if task.assignee_id != request.membership.pk:
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    done = request.POST.get("done", "1") != "0"
    follow_up_done(task=task, by=request.membership, done=done)
    messages.success(request, _("The task is done.") if done else _("The task is open again."))
    nxt = request.POST.get("next", "")
    if nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}):
        return redirect(nxt)
    return redirect("calls:task_list")
