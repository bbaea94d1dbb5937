"""API v1 of approvals: the inbox (scope of ``pending_for``), the own requests, a request
by code (the detail page's visibility), decisions (400, 403, 409) and bounded queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from approvals.access import role_request_submit
from approvals.models import ApprovalStep, Delegation, StepState
from tests.api.test_api import assert_no_integer_ids, results, session_client, token_client
from tests.approvals.conftest import make_chain, member
from tests.helpers import count_queries

INBOX = "api-approvals-inbox-list"
REQUESTS = "api-approvals-requests-list"


def _detail(code):
    return reverse("api-approvals-requests-detail", kwargs={"code": code})


def _decision(code):
    return reverse("api-approvals-requests-decision", kwargs={"code": code})


def _submit(world, who="rep", role="analyst"):
    with world.scope("a"), transaction.atomic():
        return role_request_submit(requester=member(world, who), role=role, reason="需要看报表")


@pytest.fixture
def chain(world):
    return make_chain(world)


@pytest.fixture
def request_a(world, chain):
    return _submit(world)


def test_the_managers_inbox_has_the_waiting_step_and_the_requesters_has_not(world, request_a):
    items = results(token_client("manager@a.test").get(reverse(INBOX)))
    assert [i["request_code"] for i in items] == [str(request_a.code)]
    item = items[0]
    assert item["title"] == request_a.title
    assert item["request_type"] == "role_request"
    assert item["requester_name"] == "rep a"
    assert item["order"] == 1 and item["overdue"] is False
    assert item["activated_at"] and item["due_at"]
    assert_no_integer_ids(items, INBOX)
    assert results(token_client("rep@a.test").get(reverse(INBOX))) == []
    assert results(token_client("analyst@a.test").get(reverse(INBOX))) == []


def test_a_delegate_sees_the_delegated_step_in_their_inbox(world, request_a):
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        Delegation.objects.create(delegator=member(world, "manager"), delegate=member(world, "analyst"),
                                  start_date=today, end_date=today)
    items = results(token_client("analyst@a.test").get(reverse(INBOX)))
    assert [i["request_code"] for i in items] == [str(request_a.code)]
    assert items[0]["approver"]["name"] == "manager a"


def test_the_other_tenant_gets_404_and_an_empty_inbox(world, request_a):
    client = token_client("admin@b.test")
    assert client.get(_detail(request_a.code)).status_code == 404
    assert client.post(_decision(request_a.code), {"decision": "approved"}, format="json").status_code == 404
    assert results(client.get(reverse(INBOX))) == []
    assert results(client.get(reverse(REQUESTS))) == []


def test_requests_lists_only_the_callers_own(world, request_a):
    own = results(token_client("rep@a.test").get(reverse(REQUESTS)))
    assert [r["code"] for r in own] == [str(request_a.code)]
    assert own[0]["current_step"]["holder"]["name"] == "manager a"
    assert own[0]["state"] == "pending"
    assert_no_integer_ids(own, REQUESTS)
    assert results(token_client("manager@a.test").get(reverse(REQUESTS))) == []


@pytest.mark.parametrize(("role", "status"), [
    ("rep", 200), ("manager", 200), ("admin", 200), ("analyst", 404), ("rep2", 404), ("finance", 404),
])
def test_a_request_is_seen_by_those_with_a_part_in_it(world, request_a, role, status):
    response = token_client(f"{role}@a.test").get(_detail(request_a.code))
    assert response.status_code == status
    if status == 200:
        data = response.json()
        assert [s["order"] for s in data["steps"]] == [1, 2]
        assert [e["kind"] for e in data["history"]] == ["submitted", "assigned"]
        assert_no_integer_ids(data, "detail")


def test_decide_approve_moves_on_and_the_past_decider_still_sees_it(world, request_a):
    client = token_client("manager@a.test")
    response = client.post(_decision(request_a.code), {"decision": "approved", "order": 1}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["steps"][0]["state"] == "approved"
    assert data["steps"][0]["decided_by"]["name"] == "manager a"
    assert data["current_step"]["order"] == 2
    assert client.get(_detail(request_a.code)).status_code == 200  # past decider
    assert results(client.get(reverse(INBOX))) == []


def test_a_second_decision_on_the_same_step_is_409(world, request_a):
    client = token_client("manager@a.test")
    assert client.post(_decision(request_a.code), {"decision": "approved", "order": 1}, format="json").status_code == 200
    again = client.post(_decision(request_a.code), {"decision": "approved", "order": 1}, format="json")
    assert again.status_code == 409
    assert "already decided" in again.json()["detail"]
    admin = token_client("admin@a.test")
    assert admin.post(_decision(request_a.code), {"decision": "approved"}, format="json").status_code == 200
    final = admin.post(_decision(request_a.code), {"decision": "approved"}, format="json")
    assert final.status_code == 409


def test_reject_without_a_reason_is_400_on_the_comment(world, request_a):
    response = token_client("manager@a.test").post(_decision(request_a.code), {"decision": "rejected"}, format="json")
    assert response.status_code == 400
    assert "comment" in response.json()
    bad = token_client("manager@a.test").post(_decision(request_a.code), {"decision": "maybe"}, format="json")
    assert bad.status_code == 400 and "decision" in bad.json()
    with world.scope("a"), transaction.atomic():
        assert ApprovalStep.objects.get(request=request_a, order=1).state == StepState.PENDING


def test_not_yours_is_403_and_decides_nothing(world, request_a):
    for who in ("admin", "rep"):  # an admin who is not the approver; the requester themself
        response = token_client(f"{who}@a.test").post(_decision(request_a.code), {"decision": "approved"},
                                                      format="json")
        assert response.status_code == 403
        assert response.json()["detail"]
    with world.scope("a"), transaction.atomic():
        assert ApprovalStep.objects.get(request=request_a, order=1).state == StepState.PENDING


def test_a_delegate_decides_and_both_names_are_in_the_answer(world, request_a):
    today = world.tenants["a"].today()
    with world.scope("a"), transaction.atomic():
        Delegation.objects.create(delegator=member(world, "manager"), delegate=member(world, "analyst"),
                                  start_date=today, end_date=today + dt.timedelta(days=1))
    response = session_client(world.users["a"]["analyst"]).post(
        _decision(request_a.code), {"decision": "approved"}, format="json")
    assert response.status_code == 200, response.content
    step = response.json()["steps"][0]
    assert (step["decided_by"]["name"], step["on_behalf_of"]["name"]) == ("analyst a", "manager a")


def test_the_inbox_filters_overdue(world, request_a):
    client = token_client("manager@a.test")
    assert results(client.get(reverse(INBOX), {"overdue": "true"})) == []
    assert len(results(client.get(reverse(INBOX), {"overdue": "false"}))) == 1


INBOX_QUERY_BOUND = 12


def _grow(world, n):
    from accounts.models import Role
    from accounts.services.users import user_create

    for i in range(n):
        with world.scope("a"), transaction.atomic():
            m = user_create(email=f"ask{n}-{i}@a.test", full_name=f"ask {n}-{i}", roles=[Role.REP])
            role_request_submit(requester=m, role="analyst", reason="报表")


@pytest.mark.parametrize("url_name", [INBOX, REQUESTS])
def test_list_queries_do_not_grow_with_rows(world, chain, django_assert_max_num_queries, url_name):
    """The admins' pool inbox (step one of these goes to the admins: the new members hold
    no position) and the requester's list, with 3 and then 15 rows."""
    who = "admin" if url_name == INBOX else "rep"
    counts = []
    for extra in (3, 12):
        _grow(world, extra)
        for _ in range(extra if url_name == REQUESTS else 0):
            _submit(world)
        client = session_client(world.users["a"][who])
        with django_assert_max_num_queries(INBOX_QUERY_BOUND):
            response = client.get(reverse(url_name))
        assert response.status_code == 200
        counts.append(count_queries(lambda c=client: c.get(reverse(url_name))))
    assert counts[0] == counts[1]
    assert response.json()["count"] == 15


# These tests read the English wording.
pytestmark = pytest.mark.usefixtures("english")
