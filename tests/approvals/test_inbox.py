"""The approvals pages in the browser: the inbox (own, pool and delegated items, never
one's own requests), one-click and bulk approve, a request's page with its decisions and
who may open it, the requester's list, the role request form, and query-count bounds."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.messages import get_messages
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from approvals import registry
from approvals.access import role_request_submit
from approvals.models import ApprovalRequest, ApprovalStep, Delegation, RequestState, StepState
from approvals.services import approval_decide, approval_submit
from tests.approvals.conftest import make_chain, member

INBOX = reverse("approvals:inbox")


@pytest.fixture(autouse=True)
def english(world):
    """These tests read the English wording."""
    from django.utils import translation

    User.objects.filter(pk__in=[u.pk for u in world.users["a"].values()]).update(language="en")
    with translation.override("en"):
        yield


@pytest.fixture
def high_risk(world, monkeypatch):
    """A request type that may not be approved in bulk, with its own two-step chain."""
    monkeypatch.setitem(registry._types, "test_high", registry.RequestType(key="test_high", label="High",
                                                                          low_risk=False))
    return make_chain(world, request_type="test_high")


def _submit(world, who="rep", role="analyst", key="a"):
    with world.scope(key), transaction.atomic():
        return role_request_submit(requester=member(world, who, key), role=role, reason="需要看报表")


def _submit_high(world, title="High one", who="rep"):
    with world.scope("a"), transaction.atomic():
        return approval_submit(request_type="test_high", requester=member(world, who), title=title)


def _step(world, req):
    with world.scope("a"):
        return ApprovalStep.objects.select_related("request").get(request=req, state=StepState.PENDING)


def _state(world, req):
    with world.scope("a"):
        req.refresh_from_db()
        return req.state, list(ApprovalStep.objects.filter(request=req).order_by("order").values_list("state", flat=True))


def _inbox_codes(response):
    return {s.request.code for s in response.context["page"].object_list}


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def _decide_url(req):
    return reverse("approvals:decide", kwargs={"code": req.code})


def _detail_url(req):
    return reverse("approvals:detail", kwargs={"code": req.code})


# --------------------------------------------------------------------------- the inbox


def test_inbox_shows_own_pool_and_delegated_items_never_own_requests(world, login, chain):
    make_chain(world, request_type="role_request", steps=[{"kind": "role", "role": "finance"}],
               category="data_steward", priority=1)
    mine = _submit(world)  # to the manager
    pool = _submit(world, role="data_steward")  # to anyone with the finance role
    own = _submit(world, who="manager")  # the manager's own request
    today = world.tenants["a"].today()
    with world.scope("a"):
        Delegation.objects.create(delegator=member(world, "manager"), delegate=member(world, "analyst"),
                                  start_date=today, end_date=today)

    response = login(world.users["a"]["manager"]).get(INBOX)
    assert response.status_code == 200
    codes = _inbox_codes(response)
    assert mine.code in codes and own.code not in codes and pool.code not in codes

    finance = login(world.users["a"]["finance"]).get(INBOX)
    assert pool.code in _inbox_codes(finance) and mine.code not in _inbox_codes(finance)

    delegated = login(world.users["a"]["analyst"]).get(INBOX)
    assert mine.code in _inbox_codes(delegated)
    assert "for manager a (delegated to you)" in delegated.content.decode()

    rep = login(world.users["a"]["rep"]).get(INBOX)
    assert not _inbox_codes(rep)  # their own requests never wait for them
    assert "Nothing is waiting for you." in rep.content.decode()

    other = login(world.users["b"]["admin"]).get(INBOX)
    assert not _inbox_codes(other)


def test_inbox_is_oldest_first_shows_age_and_overdue_in_words_and_filters_by_type(world, login, chain, high_risk):
    first = _submit(world)
    second = _submit_high(world)
    with world.scope("a"):
        ApprovalStep.objects.filter(request=first).update(
            activated_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), due_at=dt.datetime(2020, 1, 3, tzinfo=dt.UTC))
    client = login(world.users["a"]["manager"])
    response = client.get(INBOX)
    steps = list(response.context["page"].object_list)
    assert [s.request.code for s in steps] == [first.code, second.code]
    html = response.content.decode()
    assert "waiting " in html and "Overdue" in html
    assert [s.overdue for s in steps] == [True, False]

    only_high = client.get(INBOX, {"type": "test_high"})
    assert _inbox_codes(only_high) == {second.code}
    assert 'value="test_high" selected' in only_high.content.decode()  # the filter is kept in the URL


def test_one_click_approve_from_the_inbox_moves_to_the_next_step(world, login, chain):
    req = _submit(world)
    client = login(world.users["a"]["manager"])
    response = client.post(_decide_url(req), {"decision": "approved", "order": 1, "next": INBOX + "?type="})
    assert response.status_code == 302 and response.url == INBOX + "?type="
    assert _state(world, req) == ("pending", ["approved", "pending"])
    assert any("You approved" in m for m in _messages(response))


def test_bulk_approve_of_low_risk_items(world, login, chain):
    a = _submit(world, role="analyst")
    b = _submit(world, role="finance")
    client = login(world.users["a"]["manager"])
    response = client.post(reverse("approvals:bulk_approve"), {"items": [f"{a.code}:1", f"{b.code}:1"]})
    assert response.status_code == 302 and response.url == INBOX
    assert _state(world, a)[1] == ["approved", "pending"]
    assert _state(world, b)[1] == ["approved", "pending"]
    assert "Approved 2 requests." in _messages(response)


def test_bulk_approve_refuses_a_type_that_is_not_low_risk_and_names_it(world, login, chain, high_risk):
    low = _submit(world)
    high = _submit_high(world, title="Congress sponsorship")
    client = login(world.users["a"]["manager"])
    inbox = client.get(INBOX).content.decode()
    assert f'value="{low.code}:1"' in inbox and f'value="{high.code}:1"' not in inbox  # no checkbox offered
    response = client.post(reverse("approvals:bulk_approve"), {"items": [f"{low.code}:1", f"{high.code}:1"]})
    assert response.status_code == 302
    assert _state(world, low)[1] == ["approved", "pending"]
    assert _state(world, high) == ("pending", ["pending", "waiting"])
    refused = [m for m in _messages(response) if "Not approved" in m]
    assert refused and "Congress sponsorship" in refused[0] and "High" in refused[0]


def test_bulk_approve_reports_items_someone_else_already_decided(world, login, chain):
    req = _submit(world)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=_step(world, req), actor=member(world, "manager"), decision="returned", comment="补充")
    response = login(world.users["a"]["manager"]).post(reverse("approvals:bulk_approve"), {"items": [f"{req.code}:1"]})
    assert response.status_code == 302
    assert any("Already decided" in m and req.title in m for m in _messages(response))
    assert _state(world, req) == ("returned", ["returned", "waiting"])


# --------------------------------------------------------------------------- decisions on a request's page


def test_reject_without_a_reason_is_400_keeps_the_text_and_changes_nothing(world, login, chain):
    req = _submit(world)
    client = login(world.users["a"]["manager"])
    response = client.post(_decide_url(req), {"decision": "rejected", "comment": "   ", "order": 1})
    assert response.status_code == 400
    assert "Say why the request is rejected" in response.content.decode()
    assert _state(world, req) == ("pending", ["pending", "waiting"])
    # Send back needs a comment as well.
    response = client.post(_decide_url(req), {"decision": "returned", "comment": "", "order": 1})
    assert response.status_code == 400 and "Say what should change" in response.content.decode()

    response = client.post(_decide_url(req), {"decision": "rejected", "comment": "不需要这个角色", "order": 1})
    assert response.status_code == 302 and response.url == _detail_url(req)
    assert _state(world, req) == ("rejected", ["rejected", "cancelled"])


def test_already_decided_shows_a_message_and_keeps_what_was_typed(world, login, chain):
    req = _submit(world)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=_step(world, req), actor=member(world, "manager"), decision="approved")
    client = login(world.users["a"]["manager"])
    response = client.post(_decide_url(req), {"decision": "rejected", "comment": "我的理由写了很长", "order": 1})
    assert response.status_code == 400
    html = response.content.decode()
    assert "already decided" in html and "我的理由写了很长" in html
    assert _state(world, req) == ("pending", ["approved", "pending"])
    # From the inbox: reported, back to the inbox.
    response = client.post(_decide_url(req), {"decision": "approved", "order": 1, "next": INBOX})
    assert response.status_code == 302 and response.url == INBOX
    assert any("already decided" in m for m in _messages(response))


def test_a_step_that_is_not_yours_is_refused_with_the_text_kept(world, login, chain):
    req = _submit(world)
    response = login(world.users["a"]["admin"]).post(
        _decide_url(req), {"decision": "approved", "comment": "admin says yes", "order": 1})
    assert response.status_code == 400
    html = response.content.decode()
    assert "not yours to decide" in html and "admin says yes" in html
    assert _state(world, req) == ("pending", ["pending", "waiting"])


def test_detail_shows_the_request_steps_holder_history_and_similar_requests(world, login, chain):
    older = _submit(world, role="finance")
    req = _submit(world)
    client = login(world.users["a"]["manager"])
    response = client.get(_detail_url(req))
    assert response.status_code == 200
    html = response.content.decode()
    assert req.title in html and "Access request (extra role)" in html
    assert "Role asked for" in html and "需要看报表" in html  # the type's describe() lines
    assert "Now with manager a" in html
    assert response.context["may_decide"]
    assert [r.code for r in response.context["similar"]] == [older.code]
    assert [e.kind for e in response.context["events"]] == ["submitted", "assigned"]
    for label in ("Approve", "Reject", "Send back for changes"):
        assert label in html


@pytest.mark.parametrize(("role", "status"), [
    ("rep", 200),  # the requester
    ("manager", 200),  # decides the current step
    ("admin", 200),
    ("rep2", 404),
    ("analyst", 404),
    ("finance", 404),
])
def test_who_may_open_a_request(world, login, chain, role, status):
    req = _submit(world)
    assert login(world.users["a"][role]).get(_detail_url(req)).status_code == status


def test_other_tenant_admin_gets_404_for_a_request(world, login, chain):
    req = _submit(world)
    assert login(world.users["b"]["admin"]).get(_detail_url(req)).status_code == 404


def test_who_decided_a_step_still_sees_the_request(world, login, chain):
    req = _submit(world)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=_step(world, req), actor=member(world, "manager"), decision="approved")
    response = login(world.users["a"]["manager"]).get(_detail_url(req))
    assert response.status_code == 200 and not response.context["may_decide"]
    assert "by manager a" in response.content.decode()


def test_requester_withdraws_and_resubmits(world, login, chain):
    req = _submit(world)
    client = login(world.users["a"]["rep"])
    detail = client.get(_detail_url(req))
    assert detail.context["may_withdraw"] and not detail.context["may_decide"]
    with world.scope("a"), transaction.atomic():
        approval_decide(step=_step(world, req), actor=member(world, "manager"), decision="returned",
                        comment="补充原因")
    detail = client.get(_detail_url(req))
    assert detail.context["may_resubmit"] and "补充原因" in detail.content.decode()
    response = client.post(reverse("approvals:resubmit", kwargs={"code": req.code}), {"comment": "已补充"})
    assert response.status_code == 302
    assert _state(world, req)[0] == "pending"
    # Resubmitting again is refused (it is no longer sent back), with the text kept.
    response = client.post(reverse("approvals:resubmit", kwargs={"code": req.code}), {"comment": "再来一次"})
    assert response.status_code == 400 and "再来一次" in response.content.decode()
    response = client.post(reverse("approvals:withdraw", kwargs={"code": req.code}))
    assert response.status_code == 302
    assert _state(world, req)[0] == "withdrawn"
    # Only the requester withdraws: the approver is refused.
    other = _submit(world, role="finance")
    response = login(world.users["a"]["manager"]).post(reverse("approvals:withdraw", kwargs={"code": other.code}))
    assert response.status_code == 403
    assert _state(world, other)[0] == "pending"


# --------------------------------------------------------------------------- my requests


def test_my_requests_newest_first_with_holder_and_state_filter(world, login, chain):
    first = _submit(world, role="finance")
    second = _submit(world)
    with world.scope("a"), transaction.atomic():
        approval_decide(step=_step(world, first), actor=member(world, "manager"), decision="rejected", comment="不")
    _submit(world, who="rep2")  # someone else's
    client = login(world.users["a"]["rep"])
    response = client.get(reverse("approvals:my_requests"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert [r.code for r in rows] == [second.code, first.code]
    html = response.content.decode()
    assert "manager a" in html and "Rejected" in html and "Waiting for approval" in html
    pending = client.get(reverse("approvals:my_requests"), {"state": RequestState.PENDING})
    assert [r.code for r in pending.context["page"].object_list] == [second.code]


# --------------------------------------------------------------------------- the role request form


def test_role_request_form_errors_keep_what_was_typed(world, login):
    url = reverse("approvals:new_role_request")
    client = login(world.users["a"]["rep"])
    page = client.get(url)
    assert page.status_code == 200
    offered = [v for v, _label in page.context["form"].fields["role"].widget.choices]
    assert "rep" not in offered and "analyst" in offered

    response = client.post(url, {"role": "analyst", "reason": "想看报表"})  # no chain configured yet
    assert response.status_code == 400
    html = response.content.decode()
    assert "No approval chain is set up" in html and "想看报表" in html

    make_chain(world)
    response = client.post(url, {"role": "rep", "reason": "再要一次"})
    assert response.status_code == 400 and "You already have this role." in response.content.decode()
    response = client.post(url, {"role": "analyst", "reason": "  "})
    assert response.status_code == 400 and "Say why you need this role." in response.content.decode()
    with world.scope("a"):
        assert not ApprovalRequest.objects.exists()

    response = client.post(url, {"role": "analyst", "reason": "想看报表"})
    with world.scope("a"):
        req = ApprovalRequest.objects.get()
    assert response.status_code == 302 and response.url == _detail_url(req)
    assert req.payload == {"role": "analyst", "reason": "想看报表"}


# --------------------------------------------------------------------------- navigation and query counts


def test_navigation_shows_the_number_waiting(world, login, chain):
    _submit(world)
    _submit(world, role="finance")
    response = login(world.users["a"]["manager"]).get(reverse("approvals:my_requests"))
    item = next(i for i in response.context["nav"] if i["key"] == "approvals")
    assert int(str(item["badge"])) == 2
    assert "2<span class=\"visually-hidden\"> waiting</span>" in response.content.decode()


def _queries(client, url, **params) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url, params).status_code == 200
    return len(ctx.captured_queries)


def _many(world, n, who="rep"):
    with world.scope("a"), transaction.atomic():
        requester = member(world, who)
        for i in range(n):
            approval_submit(request_type="role_request", requester=requester, title=f"请求 {i}", category="analyst",
                            payload={"role": "analyst", "reason": "x"})


def test_inbox_and_my_requests_queries_do_not_grow_with_items(world, login, chain):
    client = login(world.users["a"]["manager"])
    rep_client_user = world.users["a"]["rep"]
    _many(world, 3)
    few = _queries(client, INBOX)
    client.force_login(rep_client_user)
    few_mine = _queries(client, reverse("approvals:my_requests"))
    _many(world, 27)
    client.force_login(world.users["a"]["manager"])
    many = _queries(client, INBOX)
    assert len(client.get(INBOX).context["page"].object_list) == 30
    client.force_login(rep_client_user)
    many_mine = _queries(client, reverse("approvals:my_requests"))
    assert few == many, (few, many)
    assert few_mine == many_mine, (few_mine, many_mine)


def test_detail_queries_do_not_grow_with_history(world, login, chain):
    req = _submit(world)
    client = login(world.users["a"]["rep"])
    few = _queries(client, _detail_url(req))
    with world.scope("a"), transaction.atomic():
        approval_decide(step=_step(world, req), actor=member(world, "manager"), decision="approved")
    _many(world, 6)
    many = _queries(client, _detail_url(req))
    assert many == few, (few, many)


# These tests read the English wording.
pytestmark = pytest.mark.usefixtures("english")
