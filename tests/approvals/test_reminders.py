"""The nightly reminder and escalation run: reminders of overdue steps (at most one in
20 hours), escalation one level up past the tenant's limit (once), the reassignment
first, the fan-out over tenants, and one run on a real Celery worker."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from accounts.models import Notification, Position
from approvals.access import role_request_submit
from approvals.models import ApprovalEvent, ApprovalStep, ApproverKind, StepState
from approvals.services.reminders import approvals_remind_overdue
from tests.approvals.conftest import make_chain, member

H = dt.timedelta(hours=1)
ONE_STEP = [{"kind": ApproverKind.DIRECT_MANAGER, "time_limit_hours": 24}]


def _submit(world):
    with world.scope("a"), transaction.atomic():
        request = role_request_submit(requester=member(world, "rep"), role="analyst", reason="需要看报表")
        return request, ApprovalStep.objects.get(request=request, state=StepState.PENDING)


def _run(world, at):
    with time_machine.travel(at, tick=False), world.scope("a"), transaction.atomic():
        return approvals_remind_overdue()


def _notes(world, role, kind):
    with world.scope("a"), transaction.atomic():
        return Notification.objects.filter(recipient=member(world, role), kind=kind).count()


def _step(world, step):
    with world.scope("a"), transaction.atomic():
        return ApprovalStep.objects.get(pk=step.pk)


def _events(world, request, kind):
    with world.scope("a"), transaction.atomic():
        return list(ApprovalEvent.objects.filter(request=request, kind=kind).order_by("at", "id"))


@pytest.fixture
def one_step(world):
    return make_chain(world, steps=ONE_STEP)


def test_a_step_not_yet_due_is_left_alone(world, one_step):
    request, step = _submit(world)
    counts = _run(world, step.due_at - H)
    assert counts["reminded"] == counts["escalated"] == 0
    assert _notes(world, "manager", "approval.reminder") == 0


def test_an_overdue_step_is_reminded_once_then_again_after_20_hours(world, one_step):
    request, step = _submit(world)
    first = step.due_at + H
    assert _run(world, first)["reminded"] == 1
    assert _notes(world, "manager", "approval.reminder") == 1
    assert _step(world, step).reminded_at == first
    assert len(_events(world, request, "reminded")) == 1
    # the same night again, and 19 hours later: nothing more
    assert _run(world, first)["reminded"] == 0
    assert _run(world, first + 19 * H)["reminded"] == 0
    assert _notes(world, "manager", "approval.reminder") == 1
    # the next night
    assert _run(world, first + 21 * H)["reminded"] == 1
    assert _notes(world, "manager", "approval.reminder") == 2
    assert len(_events(world, request, "reminded")) == 2


def test_a_decided_step_is_not_reminded(world, one_step):
    from approvals.services import approval_decide

    request, step = _submit(world)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=step, actor=member(world, "manager"), decision="approved")
    assert _run(world, step.due_at + 5 * H)["reminded"] == 0


def test_a_role_pool_step_reminds_everyone_in_the_pool(world):
    make_chain(world, steps=[{"kind": ApproverKind.ROLE, "role": "finance", "time_limit_hours": 24}])
    request, step = _submit(world)
    assert step.approver_id is None
    assert _run(world, step.due_at + H)["reminded"] == 1
    assert _notes(world, "finance", "approval.reminder") == 1


def test_past_the_tenant_limit_the_step_goes_to_the_holder_above_once(world, one_step):
    """The manager holds the district; the region's holder is the next level up."""
    with world.scope("a"), transaction.atomic():
        Position.objects.create(node=world.nodes["a"]["region"], holder=member(world, "finance"),
                                start_date=world.tenants["a"].today() - dt.timedelta(days=30))
    limit = world.tenants["a"].approval_escalate_after_hours
    request, step = _submit(world)
    at = step.due_at + (limit + 1) * H
    counts = _run(world, at)
    assert counts["escalated"] == 1 and counts["reminded"] == 0
    moved = _step(world, step)
    assert moved.approver_id == member(world, "finance").pk
    assert moved.escalations == 1
    assert moved.due_at == at + 24 * H
    (event,) = _events(world, request, "escalated")
    assert event.assignee_id == member(world, "finance").pk
    assert "manager a" in event.comment and "finance a" in event.comment
    assert _notes(world, "finance", "approval.escalated") == 1
    # Idempotent: a second run moves nothing and the nightly reassignment does not hand
    # the step back to the manager who let it lapse.
    counts = _run(world, at)
    assert counts == {"skipped": 0, "reassigned": 0, "escalated": 0, "reminded": 0}
    again = _step(world, step)
    assert (again.approver_id, again.escalations) == (member(world, "finance").pk, 1)
    assert len(_events(world, request, "escalated")) == 1
    assert _notes(world, "finance", "approval.escalated") == 1


def test_with_no_one_above_the_step_escalates_to_the_admins(world, one_step):
    limit = world.tenants["a"].approval_escalate_after_hours
    request, step = _submit(world)
    _run(world, step.due_at + (limit + 1) * H)
    moved = _step(world, step)
    assert (moved.approver_id, moved.approver_role, moved.escalations) == (None, "admin", 1)
    assert _notes(world, "admin", "approval.escalated") == 1


def test_the_admins_pool_is_reminded_not_escalated_further(world):
    make_chain(world, steps=[{"kind": ApproverKind.ROLE, "role": "admin", "time_limit_hours": 24}])
    request, step = _submit(world)
    counts = _run(world, step.due_at + 200 * H)
    assert (counts["escalated"], counts["reminded"]) == (0, 1)


def test_an_approver_who_lost_the_position_is_replaced_first(world, one_step):
    request, step = _submit(world)
    with world.scope("a"), transaction.atomic():
        Position.objects.filter(holder=member(world, "manager")).update(
            end_date=world.tenants["a"].today() - dt.timedelta(days=1))
    counts = _run(world, timezone.now())
    assert counts["reassigned"] == 1
    assert _step(world, step).approver_id != member(world, "manager").pk
    assert _events(world, request, "reassigned")


# --------------------------------------------------------------------------- tasks


def test_the_fan_out_enqueues_one_task_per_active_tenant_inside_it(world, monkeypatch):
    from approvals import tasks
    from sfe.core.tenancy import current_tenant_id

    seen: list[int | None] = []
    monkeypatch.setattr(tasks.remind_overdue, "delay", lambda *a, **k: seen.append(current_tenant_id()))
    world.tenants["b"].is_active = False
    world.tenants["b"].save(update_fields=["is_active"])
    assert tasks.remind_overdue_all_tenants() == 1
    assert seen == [world.tenants["a"].pk]


def test_the_beat_schedule_runs_the_fan_out_nightly():
    from sfe.schedule import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["approvals-remind-overdue"]
    assert entry["task"] == "approvals.remind_overdue_all_tenants"
    assert entry["schedule"].hour == {5}


@pytest.mark.celery
def test_the_tenant_task_reminds_on_a_real_worker(tworld, celery_worker_proc):
    from approvals.tasks import remind_overdue

    make_chain(tworld, steps=ONE_STEP)
    request, step = _submit(tworld)
    with tworld.scope("a"), transaction.atomic():  # overdue now: the worker's clock is the real one
        ApprovalStep.objects.filter(pk=step.pk).update(due_at=timezone.now() - H)
    with tworld.scope("a"):
        counts = remind_overdue.apply_async(queue=celery_worker_proc).get(timeout=60)
    assert counts["reminded"] == 1
    with tworld.scope("a"), transaction.atomic():
        assert Notification.objects.filter(recipient=member(tworld, "manager"), kind="approval.reminder",
                                           url__contains=str(request.code)).exists()
        assert ApprovalStep.objects.get(pk=step.pk).reminded_at is not None


# These tests read the English wording.
pytestmark = pytest.mark.usefixtures("english")
