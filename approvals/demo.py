"""Demo data for approvals, added to ``seed_demo`` as one more builder step: a two-step
chain for access requests (direct manager, then an administrator) and a few requests
from reps, so the demo manager's inbox is not empty."""

from __future__ import annotations

from accounts.models import Membership, Role

from .access import KEY, role_request_submit
from .models import ApprovalChain, ApprovalChainStep, ApproverKind

REASONS = ["需要查看全区报表以准备季度复盘", "协助地区经理整理拜访数据", "参与新产品上市的数据分析"]


def step_approvals(ctx) -> None:
    chain = ApprovalChain.objects.create(request_type=KEY, name="权限申请（经理 → 管理员）", priority=10)
    ApprovalChainStep.objects.bulk_create([
        ApprovalChainStep(chain=chain, order=1, name="直属经理", kind=ApproverKind.DIRECT_MANAGER),
        ApprovalChainStep(chain=chain, order=2, name="系统管理员", kind=ApproverKind.ROLE, role=Role.ADMIN),
    ])
    domain = ctx.plan.spec.domain
    fixed_rep = ctx.memberships.get(f"rep@{domain}")
    reps = [m for m in Membership.objects.with_role(Role.REP).select_related("user").order_by("id")[:3]]
    if fixed_rep is not None and fixed_rep.pk not in {m.pk for m in reps}:
        reps = [Membership.objects.select_related("user").get(pk=fixed_rep.pk), *reps[:2]]
    for membership, reason in zip(reps, REASONS, strict=False):
        role_request_submit(requester=membership, role=Role.ANALYST, reason=reason)


def register() -> None:
    from accounts.demo import builder

    if step_approvals not in builder.STEPS:
        builder.STEPS.append(step_approvals)
