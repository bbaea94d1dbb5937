"""Spend on the customer page's timeline (``customers.registry``): the expense lines of claims
the viewer sees that benefited the HCP (or, for an institution, its HCPs or a call there),
newest first — one query. An HCP's page shows their share of each line. Drafts, rejected, withdrawn and replaced claims are left out."""

from __future__ import annotations

from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from customers.models import Hcp

from .models import ClaimState, ExpenseClaim, ExpenseLine, LineHcp
from .visibility import claim_visible_q

_CODE = "00000000-0000-0000-0000-000000000000"
COUNTED = (ClaimState.SUBMITTED, ClaimState.APPROVED)


def fetch(customer, user, limit: int) -> list:
    from customers.registry import TimelineEntry

    seen = ExpenseClaim.objects.filter(claim_visible_q(user)).values("pk")
    url = reverse("expenses:claim_detail", kwargs={"code": _CODE})
    if isinstance(customer, Hcp):  # the HCP's own shares
        shares = (LineHcp.objects.filter(hcp_id=customer.pk, line__claim__state__in=COUNTED,
                                         line__claim_id__in=seen)
                  .select_related("line__category", "line__claim__rep__user").order_by("-line__day", "-id")[:limit])
        rows = [(share.line, share.amount) for share in shares]
    else:
        on = (Q(call__institution_id=customer.pk)
              | Q(pk__in=LineHcp.objects.filter(hcp__institution_id=customer.pk).values("line_id")))
        lines = (ExpenseLine.objects.filter(on, claim__state__in=COUNTED, claim_id__in=seen)
                 .select_related("category", "claim__rep__user").order_by("-day", "-id")[:limit])
        rows = [(line, line.base_amount) for line in lines]
    out = []
    for line, amount in rows:
        claim = line.claim
        title = _("%(category)s: %(amount)s %(currency)s") % {
            "category": line.category.name, "amount": f"{amount:,.2f}", "currency": claim.currency}
        if amount != line.base_amount:
            title = _("%(title)s (of %(total)s %(currency)s)") % {
                "title": title, "total": f"{line.base_amount:,.2f}", "currency": claim.currency}
        if claim.state == ClaimState.SUBMITTED:
            title = _("%(title)s (waiting for approval)") % {"title": title}
        out.append(TimelineEntry(at=line.day, kind="expense", title=title, detail=line.description,
                                 url=url.replace(_CODE, str(claim.code)), icon="receipt",
                                 by=claim.rep.user.full_name))
    return out
