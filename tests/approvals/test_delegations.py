"""Delegations: the service's rules (self, dates, inactive delegate, loops in time), the
pages (list, create, cancel) and the serialisation of concurrent creations."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from accounts.models import Notification
from approvals.models import Delegation
from approvals.services import pending_for
from approvals.services.delegation import delegation_cancel, delegation_create
from tests.approvals.conftest import make_chain, member

D = dt.timedelta


def _today(world):
    return world.tenants["a"].today()


def _create(world, a, b, start=0, end=3, by=None, reason="年假"):
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        return delegation_create(delegator=member(world, a), delegate=member(world, b), start_date=today + D(start),
                                 end_date=today + D(end), reason=reason, created_by=member(world, by or a))


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


# --------------------------------------------------------------------------- service rules


def test_delegate_sees_the_delegators_step_and_is_told(world, chain):
    from approvals.access import role_request_submit

    _create(world, "manager", "analyst")
    with world.scope("a"), transaction.atomic():
        request = role_request_submit(requester=member(world, "rep"), role="finance", reason="预算")
        assert pending_for(member(world, "analyst")).filter(request=request).exists()
        assert Notification.objects.filter(recipient=member(world, "analyst"), kind="approval.delegation").exists()


def test_nobody_delegates_to_themself(world):
    with pytest.raises(ValidationError) as e:
        _create(world, "manager", "manager")
    assert "delegate" in _errors(e)


def test_end_before_start_is_refused_on_the_end_date(world):
    with pytest.raises(ValidationError) as e:
        _create(world, "manager", "analyst", start=3, end=1)
    assert "end_date" in _errors(e)


def test_an_inactive_delegate_is_refused(world):
    with world.scope("a"), transaction.atomic():
        m = member(world, "analyst")
        m.is_active = False
        m.save(update_fields=["is_active"])
    with pytest.raises(ValidationError) as e:
        _create(world, "manager", "analyst")
    assert "delegate" in _errors(e) and "deactivated" in str(e.value)


def test_a_loop_of_two_overlapping_delegations_is_refused_naming_both(world):
    _create(world, "manager", "analyst", start=0, end=5)
    with pytest.raises(ValidationError) as e:
        _create(world, "analyst", "manager", start=5, end=9)  # one shared day
    message = " ".join(_errors(e)["delegate"])
    assert "loop" in message and "manager a" in message and "analyst a" in message


def test_a_loop_of_three_overlapping_delegations_is_refused(world):
    _create(world, "manager", "analyst", start=0, end=5)
    _create(world, "analyst", "finance", start=2, end=6)
    with pytest.raises(ValidationError) as e:
        _create(world, "finance", "manager", start=4, end=8)
    assert "finance a → manager a → analyst a → finance a" in " ".join(_errors(e)["delegate"])


def test_delegations_that_never_share_a_day_are_no_loop(world):
    _create(world, "manager", "analyst", start=0, end=2)
    _create(world, "analyst", "finance", start=3, end=6)
    _create(world, "finance", "manager", start=0, end=8)  # A→B and B→C never overlap: no day with a loop
    _create(world, "analyst", "manager", start=10, end=12)  # after A→B ended
    with world.scope("a"), transaction.atomic():
        assert Delegation.objects.count() == 4


def test_a_cancelled_delegation_closes_no_loop(world):
    d = _create(world, "manager", "analyst")
    with world.scope("a"), transaction.atomic():
        delegation_cancel(delegation=d, actor=member(world, "manager"))
    _create(world, "analyst", "manager")


def test_only_an_admin_sets_up_a_delegation_for_someone_else(world):
    with pytest.raises(PermissionDenied):
        _create(world, "manager", "analyst", by="rep")
    d = _create(world, "manager", "analyst", by="admin")
    with world.scope("a"), transaction.atomic():
        assert d.delegator_id == member(world, "manager").pk
        # the member who is away is told an admin did it
        assert Notification.objects.filter(recipient=member(world, "manager"), kind="approval.delegation").exists()


def test_cancel_by_a_stranger_is_refused_and_twice_is_an_error(world):
    d = _create(world, "manager", "analyst")
    with world.scope("a"), transaction.atomic():
        with pytest.raises(PermissionDenied):
            delegation_cancel(delegation=d, actor=member(world, "rep"))
        delegation_cancel(delegation=d, actor=member(world, "analyst"))
        assert not Delegation.objects.get(pk=d.pk).is_active
        with pytest.raises(ValidationError):
            delegation_cancel(delegation=d, actor=member(world, "manager"))


def test_creation_and_cancel_are_in_the_audit_trail(world):
    from sfe.core.models import AuditEvent

    d = _create(world, "manager", "analyst", reason="出差")
    with world.scope("a"), transaction.atomic():
        delegation_cancel(delegation=d, actor=member(world, "manager"))
        actions = list(AuditEvent.objects.filter(table_name="approvals_delegation", row_id=d.pk)
                       .order_by("at", "id").values_list("action", flat=True))
    assert actions == ["I", "U"]


# --------------------------------------------------------------------------- pages


def test_list_shows_given_and_received_and_admins_see_all(world, login):
    _create(world, "manager", "analyst", reason="出差北京")
    _create(world, "rep", "rep2", start=10, end=12, reason="婚假")
    page = login(world.users["a"]["manager"]).get(reverse("approvals:delegations")).content.decode()
    assert "出差北京" in page and "婚假" not in page
    page = login(world.users["a"]["analyst"]).get(reverse("approvals:delegations")).content.decode()
    assert "出差北京" in page
    page = login(world.users["a"]["admin"]).get(reverse("approvals:delegations")).content.decode()
    assert "出差北京" in page and "婚假" in page
    page = login(world.users["b"]["admin"]).get(reverse("approvals:delegations")).content.decode()
    assert "出差北京" not in page


def test_admin_creates_one_on_behalf_of_a_manager_through_the_form(world, login):
    client = login(world.users["a"]["admin"])
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        codes = {r: str(member(world, r).code) for r in ("manager", "analyst")}
    response = client.post(reverse("approvals:delegation_create"), {
        "delegator": codes["manager"], "delegate": codes["analyst"], "start_date": today.isoformat(),
        "end_date": (today + D(2)).isoformat(), "reason": "出差"})
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        d = Delegation.objects.get()
        assert (d.delegator_id, d.delegate_id) == (member(world, "manager").pk, member(world, "analyst").pk)


def test_the_form_shows_the_loop_with_the_names(world, login):
    _create(world, "manager", "analyst")
    client = login(world.users["a"]["analyst"])
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        manager_code = str(member(world, "manager").code)
    response = client.post(reverse("approvals:delegation_create"), {
        "delegate": manager_code, "start_date": today.isoformat(), "end_date": today.isoformat()})
    assert response.status_code == 400
    assert "manager a" in response.content.decode() and "loop" in response.content.decode()


def test_a_member_cancels_their_delegation_from_the_list(world, login):
    d = _create(world, "manager", "analyst")
    response = login(world.users["a"]["manager"]).post(reverse("approvals:delegation_cancel", kwargs={"code": d.code}))
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert not Delegation.objects.get(pk=d.pk).is_active


def test_decision_through_a_delegation_records_both_names(world, chain):
    from approvals.access import role_request_submit
    from approvals.models import ApprovalEvent, ApprovalStep, StepState
    from approvals.services import approval_decide

    _create(world, "manager", "analyst")
    with world.scope("a"), transaction.atomic():
        request = role_request_submit(requester=member(world, "rep"), role="finance", reason="预算")
        step = ApprovalStep.objects.get(request=request, state=StepState.PENDING)
        approval_decide(step=step, actor=member(world, "analyst"), decision="approved")
        event = ApprovalEvent.objects.get(request=request, kind="approved")
    assert (event.actor_id, event.on_behalf_of_id) == (member(world, "analyst").pk, member(world, "manager").pk)


# --------------------------------------------------------------------------- concurrency


def test_two_opposite_delegations_created_at_the_same_moment_make_no_loop(tworld):
    """Two real connections: A→B commits while B→A waits on the lock; B→A then sees it."""
    world = tworld
    make_chain(world)  # not needed by the rule, but the world is the usual one
    first_inside = threading.Event()
    results: dict[str, str] = {}

    def first():
        try:
            with world.scope("a"), transaction.atomic():
                _create_in_tx(world, "manager", "analyst")
                first_inside.set()
                time.sleep(0.8)  # the second creation is now waiting on the lock
            results["first"] = "ok"
        finally:
            connection.close()

    def second():
        try:
            first_inside.wait(10)
            with world.scope("a"), transaction.atomic(), translation.override("en"):  # per thread
                _create_in_tx(world, "analyst", "manager")
            results["second"] = "ok"
        except ValidationError as e:
            results["second"] = " ".join(e.messages)
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results["first"] == "ok"
    assert "loop" in results["second"]
    with world.scope("a"), transaction.atomic():
        assert Delegation.objects.count() == 1


def _create_in_tx(world, a, b):
    today = _today(world)
    return delegation_create(delegator=member(world, a), delegate=member(world, b), start_date=today,
                             end_date=today + D(3), reason="", created_by=member(world, a))


# These tests read the English wording.
pytestmark = pytest.mark.usefixtures("english")


def test_delegation_list_queries_do_not_grow_with_delegations(world, client):
    from tests.helpers import count_queries

    client.force_login(world.users["a"]["admin"])
    url = reverse("approvals:delegations")
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        Delegation.objects.create(delegator=member(world, "manager"), delegate=member(world, "analyst"),
                                  start_date=today, end_date=today)
    few = count_queries(lambda: client.get(url))
    with world.scope("a"), transaction.atomic():
        Delegation.objects.bulk_create([
            Delegation(delegator=member(world, a), delegate=member(world, b), start_date=today + dt.timedelta(days=i),
                       end_date=today + dt.timedelta(days=i))
            for i in range(1, 11) for a, b in [("finance", "data_steward")]
        ])
    many = count_queries(lambda: client.get(url))
    assert client.get(url).status_code == 200
    assert many == few
