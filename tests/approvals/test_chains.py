"""The admin configures approval chains: services and pages, against the real database."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import translation

from accounts.models import Membership, Position, User
from approvals.access import KEY, role_request_submit
from approvals.models import ApprovalChain, ApprovalChainStep, ApprovalStep, ApproverKind, StepState
from approvals.services import choose_chain
from approvals.services.chains import chain_create, chain_set_active, chain_update
from sfe.core.models import AuditEvent
from tests.approvals.conftest import make_chain, member
from tests.helpers import count_queries


@pytest.fixture(autouse=True)
def english(world):
    """These tests read the English wording (pages: the users' language; services: the active one)."""
    User.objects.filter(pk__in=[u.pk for k in ("a", "b") for u in world.users[k].values()]).update(language="en")
    with translation.override("en"):
        yield


def _counts(world, key="a"):
    with world.scope(key), transaction.atomic():
        return ApprovalChain.objects.count(), ApprovalChainStep.objects.count()


def _form_data(steps, **chain):
    """What the chain page posts: the chain's fields and one formset row per step, plus a blank row."""
    data = {"request_type": KEY, "name": "费用审批", "priority": "100", "min_amount": "", "max_amount": "",
            "node": "", "category": "", "reason": "",
            "steps-TOTAL_FORMS": str(len(steps) + 1), "steps-INITIAL_FORMS": "0",
            "steps-MIN_NUM_FORMS": "0", "steps-MAX_NUM_FORMS": "20"}
    data.update({k: ("" if v is None else str(v)) for k, v in chain.items()})
    for i, step in enumerate(steps):
        row = {"name": "", "kind": "", "role": "", "node": "", "user": "", "fallback": "",
               "time_limit_hours": "48", "ORDER": str(i + 1), **step}
        data.update({f"steps-{i}-{k}": ("" if v is None else str(v)) for k, v in row.items()})
    data[f"steps-{len(steps)}-time_limit_hours"] = "48"  # the blank extra row, left untouched
    return data


def _submit(world, who="rep"):
    with world.scope("a"), transaction.atomic():
        return role_request_submit(requester=member(world, who), role="analyst", reason="需要看报表")


# --------------------------------------------------------------------------- services


def test_chain_create_saves_steps_in_order_with_the_reason_in_the_audit_trail(world):
    with world.scope("a"), transaction.atomic():
        chain = chain_create(
            request_type=KEY, name="大额审批", priority=10, min_amount=Decimal("5000"), max_amount=None,
            node=world.nodes["a"]["region"], category="",
            steps=[{"name": "经理", "kind": ApproverKind.DIRECT_MANAGER, "time_limit_hours": 24},
                   {"name": "财务", "kind": ApproverKind.ROLE, "role": "finance", "time_limit_hours": 48}],
            reason="新的费用政策",
        )
        steps = list(chain.steps.order_by("order").values_list("order", "kind", "role", "time_limit_hours"))
        reasons = set(AuditEvent.objects.filter(table_name="approvals_approvalchain", row_id=chain.pk)
                      .values_list("reason", flat=True))
    assert steps == [(1, "direct_manager", "", 24), (2, "role", "finance", 48)]
    assert reasons == {"新的费用政策"}


def test_chain_update_replaces_the_steps_and_a_request_under_way_keeps_its_own(world, chain):
    request = _submit(world)
    with world.scope("a"), transaction.atomic():
        chain_update(chain=chain, request_type=KEY, name="单级审批", priority=100, min_amount=None,
                     max_amount=None, node=None, category="",
                     steps=[{"kind": ApproverKind.USER, "user": member(world, "finance"), "time_limit_hours": 8}],
                     reason="简化流程")
        assert list(chain.steps.values_list("kind", flat=True)) == ["user"]
        under_way = list(ApprovalStep.objects.filter(request=request).order_by("order")
                         .values_list("kind", "role", "state"))
    assert under_way == [("direct_manager", "", StepState.PENDING), ("role", "admin", StepState.WAITING)]
    # A new request follows the new steps.
    later = _submit(world, who="rep2")
    with world.scope("a"), transaction.atomic():
        assert list(ApprovalStep.objects.filter(request=later).values_list("kind", "approver_id")) == [
            ("user", member(world, "finance").pk)]


def test_vacant_position_is_accepted_with_a_fallback_approver(world):
    with world.scope("a"), transaction.atomic():
        chain = chain_create(request_type=KEY, name="浦西", steps=[
            {"kind": ApproverKind.POSITION, "node": world.nodes["a"]["t2"], "fallback": member(world, "finance"),
             "time_limit_hours": 48}])
        assert chain.steps.get().fallback_id == member(world, "finance").pk


def _deactivate(world, role):
    with world.scope("a"), transaction.atomic():
        Membership.objects.filter(user=world.users["a"][role]).update(is_active=False)


SERVICE_CASES = {
    "no steps": (lambda w: {"steps": []}, "steps", "A chain needs at least one step."),
    "vacant position": (
        lambda w: {"steps": [{"kind": "direct_manager", "time_limit_hours": 48},
                             {"kind": "position", "node": w.nodes["a"]["t2"], "time_limit_hours": 48}]},
        "steps", "Step 2: no one holds 浦西二区 and there is no fallback approver."),
    "position without node": (lambda w: {"steps": [{"kind": "position", "time_limit_hours": 48}]},
                              "steps", "Step 1: choose the position whose holder approves it."),
    "role without role": (lambda w: {"steps": [{"kind": "role", "time_limit_hours": 48}]},
                          "steps", "Step 1: choose the role whose members approve it."),
    "user without user": (lambda w: {"steps": [{"kind": "user", "time_limit_hours": 48}]},
                          "steps", "Step 1: choose the user who approves it."),
    "not a number": (lambda w: {"min_amount": "12,000元"}, "min_amount",
                     "“Amount at least” must be a number, such as 5000 or 5000.50."),
    "negative": (lambda w: {"max_amount": Decimal("-1")}, "max_amount", "“Amount below” cannot be negative."),
    "range": (lambda w: {"min_amount": Decimal("5000"), "max_amount": Decimal("5000")}, "max_amount",
              "“Amount below” must be more than “amount at least”."),
    "unregistered type": (lambda w: {"request_type": "no_such_type"}, "request_type",
                          "“no_such_type” is not a registered request type."),
    "no time limit": (lambda w: {"steps": [{"kind": "direct_manager", "time_limit_hours": 0}]}, "steps",
                      "Step 1: the time limit must be a whole number of hours from 1 to 2160."),
}


@pytest.mark.parametrize("case", sorted(SERVICE_CASES))
def test_chain_create_refuses_bad_input_with_a_message_naming_it(world, case):
    make_args, field, message = SERVICE_CASES[case]
    before = _counts(world)
    with world.scope("a"), transaction.atomic():
        args = {"request_type": KEY, "name": "坏链", "steps": [{"kind": "direct_manager", "time_limit_hours": 48}],
                **make_args(world)}
        with pytest.raises(ValidationError) as exc:
            chain_create(**args)
    assert message in exc.value.message_dict[field]
    assert _counts(world) == before


def test_a_role_with_no_active_member_and_a_deactivated_user_are_refused(world):
    _deactivate(world, "finance")
    with world.scope("a"), transaction.atomic():
        finance = Membership.objects.select_related("user").get(user=world.users["a"]["finance"])
        with pytest.raises(ValidationError) as exc:
            chain_create(request_type=KEY, name="x", steps=[
                {"kind": "role", "role": "finance", "time_limit_hours": 48},
                {"kind": "user", "user": finance, "time_limit_hours": 48},
                {"kind": "position", "node": world.nodes["a"]["t2"], "fallback": finance, "time_limit_hours": 48},
            ])
    assert exc.value.message_dict["steps"] == [
        "Step 1: no one has the role Finance and there is no fallback approver.",
        "Step 2: finance a is deactivated and cannot approve.",
        "Step 3: the fallback approver finance a is deactivated.",
        "Step 3: no one holds 浦西二区 and there is no fallback approver.",
    ]


def test_chain_update_refused_leaves_the_chain_as_it_was(world, chain):
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError):
            chain_update(chain=chain, request_type=KEY, name="改坏", steps=[])
        chain.refresh_from_db()
        assert chain.name == "两级审批" and chain.steps.count() == 2


def test_switched_off_chain_is_not_chosen_and_switching_on_checks_the_steps_again(world):
    chain = make_chain(world, steps=[{"kind": ApproverKind.POSITION, "node": world.nodes["a"]["district"]}])
    with world.scope("a"), transaction.atomic():
        chain_set_active(chain=chain, active=False, reason="暂停")
        assert choose_chain(request_type=KEY, amount=None, category="", node=None) is None
        Position.objects.filter(node=world.nodes["a"]["district"]).update(
            end_date=world.tenants["a"].today() - dt.timedelta(days=1))
        with pytest.raises(ValidationError, match="no one holds 上海地区"):
            chain_set_active(chain=chain, active=True)
        chain.refresh_from_db()
        assert not chain.is_active


# --------------------------------------------------------------------------- pages


def test_admin_creates_a_two_step_chain_on_the_page_in_the_order_given(world, login):
    client = login(world.users["a"]["admin"])
    assert client.get(reverse("approvals:chain_create")).status_code == 200
    finance = member(world, "finance")
    data = _form_data([
        {"name": "财务复核", "kind": "role", "role": "finance", "ORDER": 2, "time_limit_hours": 72},
        {"name": "地区经理", "kind": "position", "node": world.nodes["a"]["district"].code,
         "fallback": finance.code, "ORDER": 1},
    ], min_amount="5000", max_amount="20000", node=world.nodes["a"]["region"].code, reason="新流程")
    response = client.post(reverse("approvals:chain_create"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    with world.scope("a"), transaction.atomic():
        chain = ApprovalChain.objects.get(name="费用审批")
        steps = list(chain.steps.order_by("order").values_list("order", "name", "kind", "node_id", "fallback_id",
                                                               "role", "time_limit_hours"))
    assert (chain.min_amount, chain.max_amount, chain.node_id) == (Decimal("5000"), Decimal("20000"),
                                                                   world.nodes["a"]["region"].pk)
    assert steps == [(1, "地区经理", "position", world.nodes["a"]["district"].pk, finance.pk, "", 48),
                     (2, "财务复核", "role", None, None, "finance", 72)]
    page = client.get(reverse("approvals:chains")).content.decode()
    assert "费用审批" in page and "the holder of 上海地区" in page and "anyone with the role Finance" in page


def test_admin_edits_a_chain_while_a_request_is_under_way_and_the_request_keeps_its_steps(world, chain, login):
    request = _submit(world)
    client = login(world.users["a"]["admin"])
    page = client.get(reverse("approvals:chain_edit", kwargs={"code": chain.code}))
    assert page.status_code == 200 and "1 request under way uses this chain" in page.content.decode()
    data = _form_data([{"kind": "user", "user": member(world, "finance").code}], name="两级审批（新）")
    data.update({"steps-TOTAL_FORMS": "2"})
    response = client.post(reverse("approvals:chain_edit", kwargs={"code": chain.code}), data)
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert list(chain.steps.values_list("kind", flat=True)) == ["user"]
        assert list(ApprovalStep.objects.filter(request=request).order_by("order")
                    .values_list("kind", flat=True)) == ["direct_manager", "role"]


def test_removing_a_step_on_the_edit_page(world, chain, login):
    client = login(world.users["a"]["admin"])
    data = _form_data([{"kind": "direct_manager"}, {"kind": "role", "role": "admin", "DELETE": "on"}],
                      name=chain.name)
    data["steps-INITIAL_FORMS"] = "2"
    assert client.post(reverse("approvals:chain_edit", kwargs={"code": chain.code}), data).status_code == 302
    with world.scope("a"), transaction.atomic():
        assert list(chain.steps.values_list("kind", flat=True)) == ["direct_manager"]


VIEW_CASES = {
    "no steps": (lambda w: _form_data([]), "A chain needs at least one step."),
    "vacant position": (lambda w: _form_data([{"kind": "direct_manager"},
                                              {"kind": "position", "node": w.nodes["a"]["t2"].code}]),
                        "Step 2: no one holds 浦西二区 and there is no fallback approver."),
    "position without node": (lambda w: _form_data([{"kind": "position"}]),
                              "Step 1: choose the position whose holder approves it."),
    "role without role": (lambda w: _form_data([{"kind": "role"}]),
                          "Step 1: choose the role whose members approve it."),
    "user without user": (lambda w: _form_data([{"kind": "user"}]), "Step 1: choose the user who approves it."),
    "not a number": (lambda w: _form_data([{"kind": "direct_manager"}], min_amount="五千"),
                     "“Amount at least” must be a number, such as 5000 or 5000.50."),
    "negative": (lambda w: _form_data([{"kind": "direct_manager"}], min_amount="-100"),
                 "“Amount at least” cannot be negative."),
    "range": (lambda w: _form_data([{"kind": "direct_manager"}], min_amount="20000", max_amount="5000"),
              "“Amount below” must be more than “amount at least”."),
    "unregistered type": (lambda w: _form_data([{"kind": "direct_manager"}], request_type="no_such_type"),
                          "“no_such_type” is not a registered request type."),
    "no one chosen": (lambda w: _form_data([{"name": "审批"}]), "Choose who approves this step."),
}


@pytest.mark.parametrize("case", sorted(VIEW_CASES))
def test_chain_page_refuses_bad_input_with_the_reason_and_saves_nothing(world, login, case):
    make_data, message = VIEW_CASES[case]
    before = _counts(world)
    client = login(world.users["a"]["admin"])
    response = client.post(reverse("approvals:chain_create"), make_data(world))
    assert response.status_code == 200
    body = response.content.decode()
    assert message in body
    assert "The chain is not saved." in body
    assert _counts(world) == before


def test_role_with_no_member_is_refused_on_the_page(world, login):
    _deactivate(world, "finance")
    client = login(world.users["a"]["admin"])
    response = client.post(reverse("approvals:chain_create"), _form_data([{"kind": "role", "role": "finance"}]))
    assert "Step 1: no one has the role Finance and there is no fallback approver." in response.content.decode()
    assert _counts(world) == (0, 0)


def test_switch_off_and_on_from_the_list(world, chain, login):
    client = login(world.users["a"]["admin"])
    url = reverse("approvals:chain_deactivate", kwargs={"code": chain.code})
    assert client.post(url, {"reason": "暂停"}).status_code == 302
    with world.scope("a"), transaction.atomic():
        chain.refresh_from_db()
        assert not chain.is_active
    assert "switched off" in client.get(reverse("approvals:chains")).content.decode()
    assert client.post(reverse("approvals:chain_activate", kwargs={"code": chain.code})).status_code == 302
    with world.scope("a"), transaction.atomic():
        chain.refresh_from_db()
        assert chain.is_active
    assert client.get(url).status_code == 405


def test_chain_list_queries_do_not_grow_with_the_chains(world, login):
    client = login(world.users["a"]["admin"])
    url = reverse("approvals:chains")
    finance = member(world, "finance")

    def add(n):
        for _ in range(n):
            make_chain(world, steps=[
                {"kind": ApproverKind.POSITION, "node": world.nodes["a"]["district"], "fallback": finance},
                {"kind": ApproverKind.USER, "user": finance},
                {"kind": ApproverKind.ROLE, "role": "admin"},
            ], node=world.nodes["a"]["region"], min_amount=Decimal("100"))

    add(2)
    client.get(url)  # warm the session and caches
    two = count_queries(lambda: client.get(url))
    add(18)
    response = client.get(url)
    assert response.content.decode().count("两级审批") >= 20
    twenty = count_queries(lambda: client.get(url))
    assert twenty <= two <= 12, (two, twenty)


def test_another_tenants_chain_code_is_404(world, chain, login):
    client = login(world.users["b"]["admin"])
    assert client.get(reverse("approvals:chain_edit", kwargs={"code": chain.code})).status_code == 404
    assert client.post(reverse("approvals:chain_deactivate", kwargs={"code": chain.code})).status_code == 404
    with world.scope("a"), transaction.atomic():
        chain.refresh_from_db()
        assert chain.is_active


def test_only_admins_reach_the_chain_pages(world, login):
    for role in ("rep", "manager", "analyst", "finance"):
        assert login(world.users["a"][role]).get(reverse("approvals:chains")).status_code == 403


# These tests read the English wording.
pytestmark = pytest.mark.usefixtures("english")
