"""The approvals inbox, a request's page with its decisions, and the member's own requests.

Thin views: fetch through ``get_request_for_member`` (someone with no part in a request,
or another tenant, gets 404 — the request's existence is not revealed), call one engine
service per item, redirect with a message. A refused decision re-renders the request's
page with status 400, the reason and everything typed kept. Lists run a fixed number of
queries whatever the number of items.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import Membership, Role
from accounts.permissions import tenant_member_required

from .. import registry
from ..models import ApprovalRequest, ApprovalStep, Delegation, RequestState, StepState
from ..selectors import requests_visible_to
from ..services import (
    AlreadyDecided,
    acting_for,
    approval_decide,
    approval_resubmit,
    approval_withdraw,
    pending_for,
)

PAGE_SIZE = 50
DECISIONS = (StepState.APPROVED, StepState.REJECTED, StepState.RETURNED)


# --------------------------------------------------------------------------- helpers


def _today(request) -> dt.date:
    return request.tenant.today()


def type_label(key: str) -> str:
    try:
        return str(registry.get(key).label)
    except LookupError:
        return key


def _is_low_risk(key: str) -> bool:
    try:
        return registry.get(key).low_risk
    except LookupError:
        return False


def _messages_of(exc: Exception) -> list[str]:
    if isinstance(exc, ValidationError):
        return [str(m) for m in exc.messages]
    return [str(exc) or _("You cannot do this.")]


def holder_label(step: ApprovalStep | None) -> str:
    """Who holds a step, in words: a person, or anyone with a role."""
    if step is None:
        return ""
    if step.approver_id:
        return step.approver.user.full_name
    if step.approver_role:
        label = Role(step.approver_role).label if step.approver_role in Role.values else step.approver_role
        return _("anyone with the role %(role)s") % {"role": label}
    return "—"


def _current_step(req: ApprovalRequest) -> ApprovalStep | None:
    return (
        ApprovalStep.objects.pending().filter(request=req)
        .select_related("request", "approver__user").order_by("order").first()
    )


def _may_decide(step: ApprovalStep | None, member: Membership, day: dt.date) -> tuple[bool, Membership | None]:
    """Whether ``member`` may decide ``step`` and, if so, for whom (None: themself)."""
    if step is None:
        return False, None
    try:
        return True, acting_for(step, member, day)
    except PermissionDenied:
        return False, None


def get_request_for_member(request, code) -> tuple[ApprovalRequest, ApprovalStep | None]:
    """The request with ``code`` and its current step, if the member has a part in it.

    The requester, whoever may decide the current step, whoever decided (or was decided
    for) a step of it, and the tenant's admins see it; anyone else gets 404.
    """
    member = request.membership
    visible = requests_visible_to(member, _today(request), ApprovalRequest.objects.select_related("requester__user"))
    req = get_object_or_404(visible, code=code)
    return req, _current_step(req)


def _next_url(request) -> str | None:
    url = request.POST.get("next", "")
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return None


def _posted_order(request) -> int | None:
    try:
        return int(request.POST["order"])
    except (KeyError, ValueError):
        return None


# --------------------------------------------------------------------------- the inbox


def _inbox_steps(request):
    return (
        pending_for(request.membership, _today(request))
        .select_related("request__requester__user", "approver__user")
        .order_by("activated_at", "id")
    )


@require_GET
@tenant_member_required
def inbox(request):
    """Everything waiting for the member, oldest first, filterable by request type."""
    all_steps = _inbox_steps(request)
    counts = {
        row["request__request_type"]: row["n"]
        for row in all_steps.order_by().values("request__request_type").annotate(n=Count("id"))
    }
    types = sorted(({"key": k, "label": type_label(k), "count": n} for k, n in counts.items()),
                   key=lambda t: t["label"])
    chosen = request.GET.get("type", "")
    steps = all_steps.filter(request__request_type=chosen) if chosen else all_steps
    page = Paginator(steps, PAGE_SIZE).get_page(request.GET.get("page"))
    now = timezone.now()
    member = request.membership
    for step in page.object_list:
        step.type_label = type_label(step.request.request_type)
        step.low_risk = _is_low_risk(step.request.request_type)
        step.overdue = bool(step.due_at and step.due_at < now)
        step.delegated_from = step.approver if step.approver_id and step.approver_id != member.pk else None
        step.holder = holder_label(step)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "approvals/inbox.html", {
        "page": page, "types": types, "chosen": chosen, "total": sum(counts.values()),
        "query": query.urlencode(), "here": request.get_full_path(),
        "any_low_risk": any(s.low_risk for s in page.object_list),
    })


@dataclass
class _Outcome:
    approved: list[str]
    refused: list[str]
    gone: list[str]


@require_POST
@tenant_member_required
def bulk_approve(request):
    """Approve the ticked items, one engine decision each; only low-risk request types."""
    wanted: dict[uuid.UUID, int | None] = {}
    for value in request.POST.getlist("items"):
        code, _sep, order = value.partition(":")
        try:
            wanted[uuid.UUID(code)] = int(order) if order else None
        except ValueError:
            continue
    back = _next_url(request) or reverse("approvals:inbox")
    if not wanted:
        messages.warning(request, _("Tick the requests to approve first."))
        return redirect(back)
    member = request.membership
    steps = {s.request.code: s for s in _inbox_steps(request).filter(request__code__in=list(wanted))}
    # For the report on items no longer waiting: titles only of requests that were once
    # the member's to decide (a made-up or foreign code reveals nothing).
    titles = dict(
        ApprovalStep.objects.filter(request__code__in=list(wanted))
        .filter(Q(approver=member) | Q(approver__isnull=True, approver_role__in=member.roles or ["-"])
                | Q(approver_id__in=Delegation.objects.filter(delegate=member).values("delegator_id"))
                | Q(decided_by=member) | Q(on_behalf_of=member))
        .exclude(request__requester=member)
        .values_list("request__code", "request__title")
    )
    out = _Outcome([], [], [])
    for code, order in wanted.items():
        step = steps.get(code)
        if step is None or (order is not None and step.order != order):
            out.gone.append(titles.get(code, _("an item")))
            continue
        if not _is_low_risk(step.request.request_type):
            out.refused.append(f"{step.request.title} ({type_label(step.request.request_type)})")
            continue
        try:
            approval_decide(step=step, actor=member, decision=StepState.APPROVED)
        except AlreadyDecided:
            out.gone.append(step.request.title)
        except (PermissionDenied, ValidationError) as e:
            out.refused.append(f"{step.request.title}: {' '.join(_messages_of(e))}")
        else:
            out.approved.append(step.request.title)
    if out.approved:
        messages.success(request, ngettext("Approved %(count)d request.", "Approved %(count)d requests.",
                                           len(out.approved)) % {"count": len(out.approved)})
    if out.refused:
        messages.error(request, _(
            "Not approved: these need a decision one at a time on their own page: %(items)s"
        ) % {"items": "; ".join(out.refused)})
    if out.gone:
        messages.warning(request, _(
            "Already decided by someone else, or no longer waiting for you: %(items)s"
        ) % {"items": "; ".join(out.gone)})
    return redirect(back)


# --------------------------------------------------------------------------- a request's page


def _detail_context(request, req: ApprovalRequest, step: ApprovalStep | None) -> dict:
    member = request.membership
    day = _today(request)
    try:
        rtype = registry.get(req.request_type)
    except LookupError:
        rtype = None
    may_decide, on_behalf_of = _may_decide(step, member, day) if req.state == RequestState.PENDING else (False, None)
    steps = list(
        req.steps.select_related("approver__user", "decided_by__user", "on_behalf_of__user").order_by("order")
    )
    for s in steps:
        s.holder = holder_label(s) if s.state == StepState.PENDING else ""
    events = list(
        req.events.select_related("actor__user", "on_behalf_of__user", "assignee__user").order_by("at", "id")
    )
    similar = list(
        ApprovalRequest.objects.filter(requester_id=req.requester_id, request_type=req.request_type)
        .exclude(pk=req.pk).order_by("-submitted_at", "-id")[:5]
    )
    is_requester = req.requester_id == member.pk
    return {
        "req": req,
        "type_label": type_label(req.request_type),
        "lines": list(rtype.describe(req)) if rtype and rtype.describe else [],
        "object_url": (rtype.object_url(req) if rtype and rtype.object_url else ""),
        "current": step,
        "current_holder": holder_label(step),
        "overdue": bool(step and step.due_at and step.due_at < timezone.now()),
        "steps": steps,
        "events": events,
        "similar": similar,
        "show_similar_links": is_requester or member.has_role(Role.ADMIN),
        "may_decide": may_decide,
        "on_behalf_of": on_behalf_of,
        "is_requester": is_requester,
        "may_withdraw": is_requester and req.state in (RequestState.PENDING, RequestState.RETURNED),
        "may_resubmit": is_requester and req.state == RequestState.RETURNED,
        "currency": request.tenant.currency,
        "comment": "",
        "resubmit_comment": "",
        "decision_errors": [],
        "requester_errors": [],
    }


@require_GET
@tenant_member_required
def detail(request, code):
    req, step = get_request_for_member(request, code)
    return render(request, "approvals/detail.html", _detail_context(request, req, step))


def _refused(request, req, step, **extra):
    context = _detail_context(request, req, step)
    context.update(extra)
    return render(request, "approvals/detail.html", context, status=400)


@require_POST
@tenant_member_required
def decide(request, code):
    """Approve, reject (reason required) or send back (comment required) the current step."""
    req, step = get_request_for_member(request, code)
    decision = request.POST.get("decision", "")
    comment = request.POST.get("comment", "")
    order = _posted_order(request)
    back = _next_url(request)
    try:
        if decision not in DECISIONS:
            raise ValidationError(_("Choose approve, reject or send back."))
        if step is None or (order is not None and order != step.order):
            raise AlreadyDecided(_("This step was already decided by someone else."))
        approval_decide(step=step, actor=request.membership, decision=decision, comment=comment)
    except (ValidationError, PermissionDenied) as e:
        if back:  # from the inbox: nothing was typed there, report and go back
            messages.error(request, f"{req.title}: {' '.join(_messages_of(e))}")
            return redirect(back)
        req.refresh_from_db()
        return _refused(request, req, _current_step(req), comment=comment, decision_errors=_messages_of(e))
    done = {
        StepState.APPROVED: _("You approved “%(title)s”."),
        StepState.REJECTED: _("You rejected “%(title)s”."),
        StepState.RETURNED: _("You sent “%(title)s” back for changes."),
    }
    messages.success(request, done[decision] % {"title": req.title})
    return redirect(back or reverse("approvals:detail", kwargs={"code": req.code}))


@require_POST
@tenant_member_required
def withdraw(request, code):
    req, step = get_request_for_member(request, code)
    comment = request.POST.get("comment", "")
    try:
        approval_withdraw(request=req, actor=request.membership, comment=comment)
    except ValidationError as e:  # PermissionDenied (not the requester) is a 403
        return _refused(request, req, step, resubmit_comment=comment, requester_errors=_messages_of(e))
    messages.success(request, _("You withdrew “%(title)s”.") % {"title": req.title})
    return redirect("approvals:detail", code=req.code)


@require_POST
@tenant_member_required
def resubmit(request, code):
    req, step = get_request_for_member(request, code)
    comment = request.POST.get("comment", "")
    try:
        approval_resubmit(request=req, actor=request.membership, comment=comment.strip())
    except ValidationError as e:  # PermissionDenied (not the requester) is a 403
        return _refused(request, req, step, resubmit_comment=comment, requester_errors=_messages_of(e))
    messages.success(request, _("You sent “%(title)s” again.") % {"title": req.title})
    return redirect("approvals:detail", code=req.code)


# --------------------------------------------------------------------------- my requests


@require_GET
@tenant_member_required
def my_requests(request):
    """The member's own requests, newest first, with who holds each now and since when."""
    state = request.GET.get("state", "")
    qs = ApprovalRequest.objects.of_requester(request.membership)
    if state in RequestState.values:
        qs = qs.filter(state=state)
    else:
        state = ""
    qs = qs.prefetch_related(Prefetch(
        "steps", queryset=ApprovalStep.objects.pending().select_related("approver__user").order_by("order"),
        to_attr="pending_steps",
    )).order_by("-submitted_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    for req in page.object_list:
        req.current = req.pending_steps[0] if req.pending_steps else None
        req.holder = holder_label(req.current)
        req.type_label = type_label(req.request_type)
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "approvals/my_requests.html", {
        "page": page, "state": state, "states": RequestState.choices, "query": query.urlencode(),
    })
