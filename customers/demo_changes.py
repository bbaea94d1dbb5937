"""``seed_demo``'s data change requests: the chains and a few pending requests from the
demo rep, so the demo steward's and manager's inboxes show them (registered in
``customers.demo.register``, after the customer steps)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q

from accounts.models import Membership
from accounts.visibility import visible_node_ids

from .models import Alignment, Hcp, Institution, Status
from .services.changes import KEY_ALIGN, KEY_CHANGE, Kind, _user_of, change_submit, requester_territories

DEMO_REASONS = ["医生已晋升为主任医师，电话也换了", "该医生新到科室报到，尚未在系统中", "医院已更名并迁址",
                "客户位于我负责的片区，申请纳入", "新开业的社区诊所，计划开发"]


def demo_step(ctx) -> None:
    """``seed_demo``: a chain for each type (data steward; direct manager) and a few pending
    requests from the demo rep (``rep@<domain>``), so the demo steward's and manager's
    inboxes show them. Runs after the customer steps (needs the rep's customers)."""
    from accounts.models import Role
    from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind
    from products.models import ProductLine

    chain = ApprovalChain.objects.create(request_type=KEY_CHANGE, name="客户数据变更（数据管理员）", priority=10)
    ApprovalChainStep.objects.create(chain=chain, order=1, name="数据管理员", kind=ApproverKind.ROLE,
                                     role=Role.DATA_STEWARD)
    chain = ApprovalChain.objects.create(request_type=KEY_ALIGN, name="辖区调整申请（直属经理）", priority=10)
    ApprovalChainStep.objects.create(chain=chain, order=1, name="直属经理", kind=ApproverKind.DIRECT_MANAGER)
    rep = ctx.memberships.get(f"rep@{ctx.plan.spec.domain}")
    if rep is None:
        return
    rep = Membership.objects.select_related("user").get(pk=rep.pk)
    user = _user_of(rep)
    # The rep's book as id lists first: the tables were filled in this same transaction, so the
    # planner has no statistics for them yet, and a visibility subquery over a million HCPs
    # planned blind ran for minutes; lookups by primary key cannot go wrong.
    day = ctx.tenant.today()
    nodes = list(visible_node_ids(user, on=day).values_list("id", flat=True))
    aligned = Alignment.objects.active_on(day).filter(territory_id__in=nodes).order_by()
    inst_ids = list(aligned.filter(institution__isnull=False).values_list("institution_id", flat=True)[:5000])
    hcp_ids = list(aligned.filter(hcp__isnull=False).values_list("hcp_id", flat=True)[:5000])
    hcps = list(Hcp.objects.filter(Q(pk__in=hcp_ids) | Q(institution_id__in=inst_ids), status=Status.ACTIVE)
                .select_related("institution", "department").order_by("name_pinyin", "id")[:3])
    institution = Institution.objects.filter(pk__in=inst_ids, status=Status.ACTIVE).order_by("name_pinyin", "id").first()
    territory = requester_territories(rep).first()
    line = ProductLine.objects.filter(is_active=True).order_by("name", "id").first()
    attempts = []
    if hcps:
        hcp = hcps[0]
        attempts.append(dict(kind=Kind.EDIT, record=hcp, reason=DEMO_REASONS[0],
                             data={"title": "chief" if hcp.title != "chief" else "associate_chief",
                                   "phone": "13912345678" if hcp.phone != "13912345678" else "13912345679"}))
    if institution is not None:
        attempts.append(dict(kind=Kind.NEW_HCP, institution=institution, reason=DEMO_REASONS[1],
                             data={"name": "欧阳明", "gender": "M", "title": "attending", "specialty": "cardiology",
                                   "department": "心内科"}, territory=territory, product_line=line))
    attempts.append(dict(kind=Kind.NEW_INSTITUTION, reason=DEMO_REASONS[4], territory=territory, product_line=line,
                         data={"name": "阳光社区卫生服务中心", "kind": "clinic", "province": "上海市", "city": "上海市",
                               "district": "浦东新区"}))
    if len(hcps) > 1 and territory is not None and line is not None:
        attempts.append(dict(kind=Kind.ALIGN_ADD, record=hcps[1], reason=DEMO_REASONS[3], territory=territory,
                             product_line=line, day=ctx.tenant.today() + dt.timedelta(days=7)))
    made = 0
    for kwargs in attempts:
        try:
            with transaction.atomic():
                change_submit(requester=rep, **kwargs)
        except ValidationError:
            continue  # e.g. already aligned: the demo shows what fits
        made += 1
    ctx.counts["change requests"] = made


