"""Data change requests through the approval engine: a rep proposes, the data steward (or,
for alignment challenges, the direct manager) decides; approving applies the change through
the master-data services, rejecting changes nothing, and a change that can no longer be
applied leaves the approval standing and the DCR ``failed`` with the reason."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Notification
from approvals import registry
from approvals.models import ApprovalRequest, ApprovalStep, ApproverKind, RequestState, StepState
from approvals.services import approval_decide, approval_resubmit, approval_withdraw, pending_for
from customers.models import Alignment, ChangeRequest, Hcp, Institution
from customers.services.changes import change_submit, describe, effective_state
from customers.services.records import hcp_update, institution_create
from tests.approvals.conftest import make_chain, member

Kind = ChangeRequest.Kind
State = ChangeRequest.State


def make_quality_chains(world, key="a"):
    """The demo's chains: data changes go to the data stewards, alignment challenges to
    the direct manager."""
    make_chain(world, key, request_type="customer_change", steps=[{"kind": ApproverKind.ROLE, "role": "data_steward"}])
    make_chain(world, key, request_type="alignment_challenge", steps=[{"kind": ApproverKind.DIRECT_MANAGER}])


@pytest.fixture
def chains(world):
    make_quality_chains(world)


def submit(world, who="rep", **kwargs) -> ChangeRequest:
    with world.scope("a"), transaction.atomic():
        return change_submit(requester=member(world, who), **kwargs)


def decide(world, dcr, who, decision="approved", comment=""):
    with world.scope("a"), transaction.atomic():
        step = ApprovalStep.objects.select_related("request").get(request_id=dcr.approval_id, state=StepState.PENDING)
        approval_decide(step=step, actor=member(world, who), decision=decision, comment=comment)
        dcr.refresh_from_db()
        return ApprovalRequest.objects.get(pk=dcr.approval_id)


def fresh(world, obj):
    with world.scope("a"), transaction.atomic():
        return type(obj).objects.get(pk=obj.pk)


# --------------------------------------------------------------------------- corrections


def test_a_correction_stores_only_the_changed_fields_and_goes_to_the_stewards(world, customers, chains):
    zw = customers.zw  # seen by the rep through the institution
    dcr = submit(world, kind=Kind.EDIT, record=zw, reason="晋升为主任医师后换了号码",
                 data={"name": "张伟", "title": "associate_chief", "specialty": "cardiology", "department": "心内科",
                       "phone": "139 1234 5678", "email": "", "is_kol": False, "external_code": "", "gender": ""})
    assert dcr.before == {"title": "chief", "phone": "13800138000"}
    assert dcr.proposed == {"title": "associate_chief", "phone": "13912345678"}
    assert dcr.state == State.PENDING
    with world.scope("a"), transaction.atomic():
        approval = ApprovalRequest.objects.get(pk=dcr.approval_id)
        assert approval.request_type == "customer_change" and approval.category == "edit"
        assert approval.object_code == dcr.code
        assert pending_for(member(world, "data_steward")).filter(request=approval).exists()
        assert not pending_for(member(world, "manager")).filter(request=approval).exists()


def test_approving_a_correction_applies_it(world, customers, chains):
    dcr = submit(world, kind=Kind.EDIT, record=customers.zw, reason="晋升", data={"title": "associate_chief"})
    approval = decide(world, dcr, "data_steward")
    assert approval.state == RequestState.APPROVED
    assert dcr.state == State.APPROVED and dcr.decided_at is not None
    assert fresh(world, customers.zw).title == "associate_chief"


def test_rejecting_changes_nothing(world, customers, chains):
    dcr = submit(world, kind=Kind.EDIT, record=customers.zw, reason="晋升", data={"title": "associate_chief"})
    decide(world, dcr, "data_steward", "rejected", comment="没有证据")
    assert dcr.state == State.REJECTED
    assert fresh(world, customers.zw).title == "chief"


def test_sent_back_then_resubmitted_and_withdrawn_the_dcr_follows(world, customers, chains):
    dcr = submit(world, kind=Kind.EDIT, record=customers.zw, reason="晋升", data={"title": "associate_chief"})
    approval = decide(world, dcr, "data_steward", "returned", comment="请附上证明")
    assert dcr.state == State.RETURNED
    with world.scope("a"), transaction.atomic():
        approval_resubmit(request=approval, actor=member(world, "rep"), comment="已补充")
        dcr = ChangeRequest.objects.select_related("approval").get(pk=dcr.pk)
        assert effective_state(dcr) == State.PENDING
        approval_withdraw(request=dcr.approval, actor=member(world, "rep"))
        dcr = ChangeRequest.objects.select_related("approval").get(pk=dcr.pk)
        assert effective_state(dcr) == State.WITHDRAWN
    assert fresh(world, customers.zw).title == "chief"


def test_nothing_changed_and_bad_values_are_refused_by_field(world, customers, chains):
    with pytest.raises(ValidationError, match="change at least one field"):
        submit(world, kind=Kind.EDIT, record=customers.zw, reason="x", data={"title": "chief"})
    with pytest.raises(ValidationError) as exc:
        submit(world, kind=Kind.EDIT, record=customers.zw, reason="",
               data={"phone": "12345", "email": "not-an-email"})
    assert set(exc.value.message_dict) == {"phone", "email", "reason"}
    with pytest.raises(ValidationError) as exc:  # another HCP's external code
        submit(world, kind=Kind.EDIT, record=customers.zw, reason="x", data={"external_code": "D002"})
    assert "external_code" in exc.value.message_dict
    with world.scope("a"), transaction.atomic():
        assert not ChangeRequest.objects.exists()
        assert not ApprovalRequest.objects.exists()


def test_a_rep_cannot_propose_for_a_customer_they_do_not_see(world, customers, chains):
    for record in (customers.h3, customers.i2, customers.unaligned):  # rep2's, nobody's
        with pytest.raises(ValidationError, match="cannot propose"):
            submit(world, kind=Kind.EDIT, record=record, reason="x", data={"name": "改名"})
    with pytest.raises(ValidationError) as exc:  # a new HCP at an institution the rep does not see
        submit(world, kind=Kind.NEW_HCP, institution=customers.i3, reason="新医生", data={"name": "新人"})
    assert "institution" in exc.value.message_dict


def test_the_approval_page_shows_before_after_and_the_value_now_when_it_changed_since(world, customers, chains):
    dcr = submit(world, kind=Kind.EDIT, record=customers.zw, reason="晋升", data={"title": "associate_chief"})
    with world.scope("a"), transaction.atomic():
        approval = ApprovalRequest.objects.get(pk=dcr.approval_id)
        lines = dict(describe(approval))
        assert "→" in lines["Title"] and "Changed since" not in lines["Title"]
        hcp_update(hcp=Hcp.objects.get(pk=customers.zw.pk), data={"title": "attending"})
        lines = dict(describe(approval))
    assert lines["Title"].startswith("Chief physician (主任医师) → Associate chief physician (副主任医师)")
    assert "Changed since the request; now: Attending physician (主治医师)" in lines["Title"]
    assert lines["Reason"] == "晋升"
    assert registry.get("customer_change").object_url(approval).endswith(f"/changes/{dcr.code}/")


def test_deactivation_approved(world, customers, chains):
    dcr = submit(world, kind=Kind.DEACTIVATE, record=customers.h1, reason="已退休")
    decide(world, dcr, "data_steward")
    assert dcr.state == State.APPROVED
    assert fresh(world, customers.h1).status == "inactive"


# --------------------------------------------------------------------------- new records


def test_a_new_hcp_appears_aligned_and_visible_to_the_rep_once_approved(world, customers, chains):
    today = world.tenants["a"].today()
    with world.scope("a"):
        t1 = world.nodes["a"]["t1"]
    dcr = submit(world, kind=Kind.NEW_HCP, institution=customers.i1, reason="新来的主任",
                 data={"name": "欧阳明", "gender": "男", "title": "chief", "specialty": "oncology", "department": "肿瘤科",
                       "phone": "13700001111"}, territory=t1, product_line=customers.line)
    assert dcr.proposed["name"] == "欧阳明" and dcr.proposed["gender"] == "M" and dcr.proposed["day"] == today.isoformat()
    with world.scope("a"), transaction.atomic():
        assert not Hcp.objects.filter(name="欧阳明").exists()
    decide(world, dcr, "data_steward")
    assert dcr.state == State.APPROVED
    with world.scope("a"), transaction.atomic():
        hcp = Hcp.objects.select_related("department").get(name="欧阳明")
        assert dcr.hcp_id == hcp.pk
        assert (hcp.institution_id, hcp.department.name, hcp.name_pinyin) == (customers.i1.pk, "肿瘤科", "ouyangming")
        alignment = Alignment.objects.get(hcp=hcp)
        assert (alignment.territory_id, alignment.start_date, alignment.source) == (t1.pk, today, "request")
        assert Hcp.objects.visible_to(world.users["a"]["rep"]).filter(pk=hcp.pk).exists()
        assert not Hcp.objects.visible_to(world.users["a"]["rep2"]).filter(pk=hcp.pk).exists()


def test_a_new_institution_is_created_once_approved(world, customers, chains):
    dcr = submit(world, kind=Kind.NEW_INSTITUTION, reason="新开诊所",
                 data={"name": "阳光诊所", "kind": "clinic", "province": "上海市", "city": "上海市", "beds": "20"})
    assert dcr.territory_id is None and "day" not in dcr.proposed
    decide(world, dcr, "data_steward")
    with world.scope("a"), transaction.atomic():
        inst = Institution.objects.get(name="阳光诊所")
        assert (inst.kind, inst.beds, dcr.institution_id) == ("clinic", 20, inst.pk)


def test_applying_that_fails_leaves_the_approval_standing_and_the_dcr_failed(world, customers, chains):
    dcr = submit(world, kind=Kind.NEW_INSTITUTION, reason="新医院",
                 data={"name": "浦东新医院", "kind": "hospital", "province": "上海市", "city": "上海市",
                       "external_code": "H100"})
    with world.scope("a"), transaction.atomic():  # meanwhile an admin creates one with that code
        institution_create(data={"name": "另一家", "kind": "hospital", "province": "上海市", "city": "上海市",
                                 "external_code": "H100"})
    approval = decide(world, dcr, "data_steward")
    assert approval.state == RequestState.APPROVED
    assert dcr.state == State.FAILED
    assert "external code" in dcr.error
    with world.scope("a"), transaction.atomic():
        assert not Institution.objects.filter(name="浦东新医院").exists()
        note = Notification.objects.get(recipient=member(world, "rep"), kind="customers.change_failed")
        assert "external code" in note.body and str(dcr.code) in note.url
        assert ApprovalStep.objects.get(request=approval).state == StepState.APPROVED
        assert ("Could not be applied", dcr.error) in describe(approval)


def test_a_pending_correction_follows_a_merge_to_the_survivor(world, customers, chains):
    from customers.services.merge import merge

    dcr = submit(world, kind=Kind.EDIT, record=customers.h1, reason="电话", data={"phone": "13911112222"})
    with world.scope("a"), transaction.atomic():
        merge(survivor=Hcp.objects.get(pk=customers.h2.pk), merged=Hcp.objects.get(pk=customers.h1.pk),
              by=member(world, "data_steward"), reason="重复")
        lines = dict(describe(ApprovalRequest.objects.get(pk=dcr.approval_id)))
    assert lines["Customer"].startswith("王芳")  # the steward sees whom it now applies to
    decide(world, dcr, "data_steward")
    assert dcr.state == State.APPROVED and dcr.hcp_id == customers.h2.pk
    assert fresh(world, customers.h2).phone == "13911112222"


# --------------------------------------------------------------------------- alignment challenges


def test_alignment_challenge_goes_to_the_direct_manager_and_aligns_from_the_day(world, customers, chains):
    day = world.tenants["a"].today() + dt.timedelta(days=3)
    with world.scope("a"):
        t1 = world.nodes["a"]["t1"]
    dcr = submit(world, kind=Kind.ALIGN_ADD, record=customers.zw, reason="我负责该医院", territory=t1,
                 product_line=customers.line, day=day)
    with world.scope("a"), transaction.atomic():
        approval = ApprovalRequest.objects.get(pk=dcr.approval_id)
        assert approval.request_type == "alignment_challenge"
        assert ApprovalStep.objects.get(request=approval).approver_id == member(world, "manager").pk
    decide(world, dcr, "manager")
    assert dcr.state == State.APPROVED
    with world.scope("a"), transaction.atomic():
        alignment = Alignment.objects.get(hcp=customers.zw)
        assert (alignment.territory_id, alignment.start_date, alignment.end_date) == (t1.pk, day, None)


def test_dropping_ends_the_alignment_the_day_before(world, customers, chains):
    day = world.tenants["a"].today() + dt.timedelta(days=5)
    with world.scope("a"):
        t1 = world.nodes["a"]["t1"]
    dcr = submit(world, kind=Kind.ALIGN_DROP, record=customers.h1, reason="已调走", territory=t1,
                 product_line=customers.line, day=day)
    decide(world, dcr, "manager")
    with world.scope("a"), transaction.atomic():
        assert Alignment.objects.get(hcp=customers.h1).end_date == day - dt.timedelta(days=1)


def test_alignment_challenge_is_checked(world, customers, chains):
    with world.scope("a"):
        t1, t3 = world.nodes["a"]["t1"], world.nodes["a"]["t3"]
    with pytest.raises(ValidationError) as exc:  # already in
        submit(world, kind=Kind.ALIGN_ADD, record=customers.h1, reason="x", territory=t1, product_line=customers.line)
    assert "already aligned" in exc.value.message_dict["territory"][0]
    with pytest.raises(ValidationError) as exc:  # not one of the rep's territories
        submit(world, kind=Kind.ALIGN_ADD, record=customers.zw, reason="x", territory=t3, product_line=customers.line)
    assert "territory" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # not aligned there
        submit(world, kind=Kind.ALIGN_DROP, record=customers.zw, reason="x", territory=t1, product_line=customers.line)
    assert "not aligned" in exc.value.message_dict["territory"][0]
    with pytest.raises(ValidationError) as exc:
        submit(world, kind=Kind.ALIGN_ADD, record=customers.zw, reason="x", territory=t1, product_line=customers.line,
               day=world.tenants["a"].today() - dt.timedelta(days=1))
    assert "day" in exc.value.message_dict


def test_no_chain_is_a_clear_message_and_nothing_is_written(world, customers):
    with pytest.raises(ValidationError, match="No approval chain"):
        submit(world, kind=Kind.EDIT, record=customers.zw, reason="x", data={"title": "attending"})
    with world.scope("a"), transaction.atomic():
        assert not ChangeRequest.objects.exists()


def test_demo_step_fills_the_stewards_inbox(world, customers, chains):
    """The demo step on tenant A's world (the fixed rep stands in for rep@<domain>)."""
    from types import SimpleNamespace

    from approvals.models import ApprovalChain
    from customers.demo_changes import demo_step

    with world.scope("a"), transaction.atomic():
        ApprovalChain.objects.all().delete()  # the demo brings its own
        rep = member(world, "rep")
        ctx = SimpleNamespace(plan=SimpleNamespace(spec=SimpleNamespace(domain="a.test")),
                              memberships={"rep@a.test": rep}, tenant=world.tenants["a"], counts={})
        demo_step(ctx)
        assert ctx.counts["change requests"] >= 3
        assert pending_for(member(world, "data_steward")).filter(request__request_type="customer_change").count() >= 3
        assert pending_for(member(world, "manager")).filter(request__request_type="alignment_challenge").exists()


pytestmark = pytest.mark.usefixtures("english")
