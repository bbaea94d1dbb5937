"""Adjusting a plan within the tenant's limits, submitting it, and the approval hooks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction

from approvals.models import ApprovalRequest, ApprovalStep, StepState
from approvals.services import approval_decide
from calls.planning.models import CyclePlan, CyclePlanLine, PlanState
from calls.planning.services import (
    plan_line_add,
    plan_lines_update,
    plan_propose,
    plan_submit,
    settings_update,
)


def _plan(pw, key="rep"):
    rep = pw.member(key)
    return plan_propose(rep=rep, cycle=pw.cycle, by=rep), rep


def _lines(plan):
    return dict(CyclePlanLine.objects.filter(plan=plan).values_list("id", "planned_calls"))


def test_adjusting_within_the_limits_saves(pw):
    with pw.world.scope("a"), transaction.atomic():
        plan, rep = _plan(pw)
        line = CyclePlanLine.objects.filter(plan=plan, proposed_calls=4).first() or \
            CyclePlanLine.objects.filter(plan=plan, proposed_calls__gte=2).first()
        plan_lines_update(plan=plan, planned={line.pk: line.proposed_calls + 1}, by=rep)
        line.refresh_from_db()
        assert line.planned_calls == line.proposed_calls + 1


@pytest.mark.parametrize("setting, value, planned, message", [
    ("max_calls_per_hcp", 3, 6, "at most 3 per HCP"),
    ("max_change_pct", 50, 9, "more than 50% away"),
])
def test_a_line_above_the_limits_is_refused_naming_the_field_and_nothing_changes(pw, english, setting, value,
                                                                                    planned, message):
    with pw.world.scope("a"), transaction.atomic():
        settings_update(**{setting: value, "max_calls_per_hcp": max(value, 3) if setting != "max_calls_per_hcp" else 3})
        plan, rep = _plan(pw)
        line = CyclePlanLine.objects.filter(plan=plan, proposed_calls__gte=1).order_by("-proposed_calls").first()
        before = _lines(plan)
        with pytest.raises(ValidationError) as exc:
            plan_lines_update(plan=plan, planned={line.pk: planned}, by=rep)
        assert "planned_calls" in exc.value.message_dict
        assert message in " ".join(exc.value.message_dict["planned_calls"])
        assert _lines(plan) == before


def test_submit_above_the_cycle_limit_is_refused_and_nothing_is_sent(pw, english):
    with pw.world.scope("a"), transaction.atomic():
        plan, rep = _plan(pw)
        settings_update(max_calls_per_cycle=1)
        with pytest.raises(ValidationError) as exc:
            plan_submit(plan=plan, by=rep)
        assert "at most 1" in " ".join(exc.value.message_dict["planned_calls"])
        plan.refresh_from_db()
        assert plan.state == PlanState.DRAFT and plan.approval_code is None
        assert not ApprovalRequest.objects.filter(request_type="cycle_plan").exists()


def test_adding_an_hcp_the_rep_does_not_see_is_refused(pw, english):
    from customers.models import Hcp

    with pw.world.scope("a"), transaction.atomic():
        plan, rep = _plan(pw)
        settings_update(max_non_target_pct=100)
        seen = Hcp.objects.live().visible_to(pw.world.users["a"]["rep"], on=pw.cycle.start_date)
        unseen = Hcp.objects.live().exclude(pk__in=seen.values("pk")).first()
        count = CyclePlanLine.objects.filter(plan=plan).count()
        with pytest.raises(ValidationError) as exc:
            plan_line_add(plan=plan, hcp=unseen, product_line=pw.line, planned_calls=1, by=rep)
        assert "not in your territories" in exc.value.message_dict["hcp"][0]
        assert CyclePlanLine.objects.filter(plan=plan).count() == count
        # A seen HCP outside the proposal: added with nothing proposed; too many such calls are refused.
        outside = seen.exclude(pk__in=CyclePlanLine.objects.filter(plan=plan, product_line=pw.line2)
                               .values("hcp_id")).first()
        line = plan_line_add(plan=plan, hcp=outside, product_line=pw.line2, planned_calls=1, by=rep)
        assert line.proposed_calls == 0 and line.planned_calls == 1
        settings_update(max_non_target_pct=1)
        with pytest.raises(ValidationError) as exc:
            plan_lines_update(plan=plan, planned={line.pk: 5}, by=rep)
        assert "outside the proposal" in exc.value.message_dict["planned_calls"][0]


def _decide(pw, plan, decision, comment=""):
    request = ApprovalRequest.objects.get(code=plan.approval_code)
    step = ApprovalStep.objects.get(request=request, state=StepState.PENDING)
    approval_decide(step=step, actor=pw.member("manager"), decision=decision, comment=comment)
    plan.refresh_from_db()
    return plan


def test_submit_then_approve_moves_the_plan_to_approved(pw):
    with pw.world.scope("a"), transaction.atomic():
        plan, rep = _plan(pw)
        plan = plan_submit(plan=plan, by=rep)
        assert plan.state == PlanState.SUBMITTED
        request = ApprovalRequest.objects.get(code=plan.approval_code)
        assert request.object_code == plan.code and request.request_type == "cycle_plan"
        plan = _decide(pw, plan, StepState.APPROVED)
        assert plan.state == PlanState.APPROVED and plan.decided_at is not None
        with pytest.raises(ValidationError):
            plan_lines_update(plan=plan, planned={}, by=rep)


def test_sent_back_plan_is_changed_and_resubmitted_on_the_same_request_then_rejected(pw):
    with pw.world.scope("a"), transaction.atomic():
        plan, rep = _plan(pw)
        plan = plan_submit(plan=plan, by=rep)
        first_code = plan.approval_code
        plan = _decide(pw, plan, StepState.RETURNED, "少拜访一点")
        assert plan.state == PlanState.RETURNED and plan.decision_comment == "少拜访一点"
        plan = plan_submit(plan=plan, by=rep)
        assert plan.state == PlanState.SUBMITTED and plan.approval_code == first_code
        plan = _decide(pw, plan, StepState.REJECTED, "不行")
        assert plan.state == PlanState.REJECTED and plan.decision_comment == "不行"
        # A rejected plan may be changed and sent again: a new request.
        plan = plan_submit(plan=plan, by=rep)
        assert plan.state == PlanState.SUBMITTED and plan.approval_code != first_code


def test_a_withdrawn_plan_is_a_draft_again_and_a_new_submit_opens_a_new_request(pw):
    from approvals.models import RequestState
    from approvals.services import approval_withdraw

    with pw.world.scope("a"), transaction.atomic():
        plan, rep = _plan(pw)
        plan = plan_submit(plan=plan, by=rep)
        first_code = plan.approval_code
        approval_withdraw(request=ApprovalRequest.objects.get(code=first_code), actor=rep)
        plan.refresh_from_db()
        assert (plan.state, plan.decided_at) == (PlanState.DRAFT, None)
        assert ApprovalRequest.objects.get(code=first_code).state == RequestState.WITHDRAWN
        plan = plan_submit(plan=plan, by=rep)
        assert plan.state == PlanState.SUBMITTED and plan.approval_code != first_code


def test_only_the_rep_changes_or_submits_their_plan(pw):
    from django.core.exceptions import PermissionDenied

    with pw.world.scope("a"), transaction.atomic():
        plan, _rep = _plan(pw)
        with pytest.raises(PermissionDenied):
            plan_submit(plan=plan, by=pw.member("rep2"))
        assert CyclePlan.objects.get(pk=plan.pk).state == PlanState.DRAFT
