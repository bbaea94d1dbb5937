"""The approval engine's rules, against the real database."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from approvals.access import role_request_submit
from approvals.models import ApprovalEvent, ApprovalRequest, ApprovalStep, Delegation, RequestState, StepState
from approvals.services import AlreadyDecided, approval_decide, approval_resubmit, approval_steps_reassign, pending_for
from tests.approvals.conftest import make_chain, member


def _submit(world, who="rep", role="analyst"):
    with world.scope("a"), transaction.atomic():
        return role_request_submit(requester=member(world, who), role=role, reason="需要看报表")


def _current(world, request):
    with world.scope("a"), transaction.atomic():
        return ApprovalStep.objects.select_related("request").get(request=request, state=StepState.PENDING)


def test_two_step_chain_goes_to_the_direct_manager_then_the_admins_and_grants_the_role(world, chain):
    request = _submit(world)
    step = _current(world, request)
    assert step.approver_id == member(world, "manager").pk
    with world.scope("a"), transaction.atomic():
        approval_decide(step=step, actor=member(world, "manager"), decision="approved")
        second = ApprovalStep.objects.get(request=request, state=StepState.PENDING)
        assert second.approver_id is None and second.approver_role == "admin"
        assert pending_for(member(world, "admin")).filter(pk=second.pk).exists()
        approval_decide(step=second, actor=member(world, "admin"), decision="approved")
        request.refresh_from_db()
        assert request.state == RequestState.APPROVED
        assert "analyst" in member(world, "rep").roles
        kinds = list(ApprovalEvent.objects.filter(request=request).values_list("kind", flat=True))
    assert kinds == ["submitted", "assigned", "approved", "assigned", "approved", "completed"]


def test_reject_needs_a_reason_and_ends_the_request(world, chain):
    request = _submit(world)
    step = _current(world, request)
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError, match="why"):
            approval_decide(step=step, actor=member(world, "manager"), decision="rejected", comment=" ")
        approval_decide(step=step, actor=member(world, "manager"), decision="rejected", comment="不需要")
        request.refresh_from_db()
        assert request.state == RequestState.REJECTED
        assert not ApprovalStep.objects.filter(request=request, state=StepState.WAITING).exists()
        assert "analyst" not in member(world, "rep").roles


def test_nobody_approves_their_own_request_not_even_through_delegation(world, chain):
    # The admin asks for a role: the admin pool decides step two, but never the admin.
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        Delegation.objects.create(delegator=member(world, "manager"), delegate=member(world, "rep"),
                                  start_date=today, end_date=today + dt.timedelta(days=3))
    request = _submit(world, who="rep")
    step = _current(world, request)
    with world.scope("a"), transaction.atomic():
        assert not pending_for(member(world, "rep")).exists()
        with pytest.raises(PermissionDenied):
            approval_decide(step=step, actor=member(world, "rep"), decision="approved")


def test_delegate_decides_and_both_names_are_recorded(world, chain):
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        Delegation.objects.create(delegator=member(world, "manager"), delegate=member(world, "analyst"),
                                  start_date=today, end_date=today)
    request = _submit(world)
    step = _current(world, request)
    with world.scope("a"), transaction.atomic():
        assert pending_for(member(world, "analyst")).filter(pk=step.pk).exists()
        approval_decide(step=step, actor=member(world, "analyst"), decision="approved")
        step.refresh_from_db()
    assert (step.decided_by_id, step.on_behalf_of_id) == (member(world, "analyst").pk, member(world, "manager").pk)


def test_send_back_then_resubmit_restarts_at_that_step(world, chain):
    request = _submit(world)
    step = _current(world, request)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=step, actor=member(world, "manager"), decision="returned", comment="补充原因")
        request.refresh_from_db()
        assert request.state == RequestState.RETURNED
        approval_resubmit(request=request, actor=member(world, "rep"), comment="已补充")
        again = ApprovalStep.objects.get(request=request, state=StepState.PENDING)
        assert again.order == 3 and again.approver_id == member(world, "manager").pk
        step.refresh_from_db()
        assert step.state == StepState.RETURNED  # the decided step is kept as it was


def test_chain_change_does_not_change_a_request_under_way(world, chain):
    request = _submit(world)
    with world.scope("a"), transaction.atomic():
        chain.steps.all().delete()
        assert ApprovalStep.objects.filter(request=request).count() == 2


def test_step_moves_to_the_new_holder_when_the_approver_loses_the_position(world, chain):
    from accounts.models import Position

    request = _submit(world)
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        old = Position.objects.get(holder=member(world, "manager"))
        old.end_date = today - dt.timedelta(days=1)
        old.save(update_fields=["end_date"])
        Position.objects.create(node=world.nodes["a"]["district"], holder=member(world, "finance"),
                                start_date=today)
        assert approval_steps_reassign(reason="test") == 1
        step = ApprovalStep.objects.get(request=request, state=StepState.PENDING)
        assert step.approver_id == member(world, "finance").pk
        assert ApprovalEvent.objects.filter(request=request, kind="reassigned").exists()


def test_vacant_manager_levels_are_skipped_and_without_anyone_the_admins_decide(world):
    from accounts.models import Position

    make_chain(world, steps=[{"kind": "direct_manager"}])
    with world.scope("a"), transaction.atomic():
        Position.objects.filter(holder=member(world, "manager")).delete()
    request = _submit(world)
    step = _current(world, request)
    assert step.approver_id is None and step.approver_role == "admin"


def test_no_chain_configured_is_a_clear_error(world):
    with pytest.raises(ValidationError, match="No approval chain"):
        _submit(world)


def test_amount_and_category_choose_the_chain(world):
    from approvals.services import choose_chain

    small = make_chain(world, request_type="role_request", priority=10, category="finance")
    other = make_chain(world, request_type="role_request", priority=20)
    with world.scope("a"), transaction.atomic():
        assert choose_chain(request_type="role_request", amount=None, category="finance", node=None) == small
        assert choose_chain(request_type="role_request", amount=None, category="analyst", node=None) == other


@pytest.mark.django_db(transaction=True)
def test_two_approvers_at_the_same_moment_exactly_one_decision_is_recorded(tworld):
    """Two real database connections (two threads) approve the same role-pool step."""
    world = tworld
    make_chain(world, steps=[{"kind": "role", "role": "admin"}])
    with world.scope("a"), transaction.atomic():
        from accounts.services.users import user_create

        second_admin = user_create(email="admin2@a.test", full_name="admin2", roles=["admin"], password="x-Password-1")
    request = _submit(world)
    step = _current(world, request)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def act(membership):
        try:
            with world.scope("a"), transaction.atomic():
                barrier.wait(timeout=10)
                approval_decide(step=step, actor=membership, decision="approved")
            results.append("ok")
        except AlreadyDecided:
            results.append("already decided")
        finally:
            connection.close()

    threads = [threading.Thread(target=act, args=(m,)) for m in (member(world, "admin"), second_admin)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == ["already decided", "ok"]
    with world.scope("a"), transaction.atomic():
        assert ApprovalEvent.objects.filter(request=request, kind="approved").count() == 1
        assert ApprovalRequest.objects.get(pk=request.pk).state == RequestState.APPROVED


def test_a_decided_step_cannot_be_edited_even_with_raw_sql(world, chain):
    from django.db import IntegrityError

    request = _submit(world)
    step = _current(world, request)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=step, actor=member(world, "manager"), decision="approved")
        with pytest.raises(IntegrityError, match="cannot be changed"), transaction.atomic():
            ApprovalStep.objects.filter(pk=step.pk).update(comment="edited later")
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cur:
            cur.execute("UPDATE approvals_approvalstep SET state = 'rejected' WHERE id = %s", [step.pk])
        step.refresh_from_db()
        assert (step.state, step.comment) == (StepState.APPROVED, "")


# These tests read the English wording.
pytestmark = pytest.mark.usefixtures("english")
