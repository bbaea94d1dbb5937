"""Spend on the customer page's timeline (``customers.registry``): the expense lines of claims
the viewer sees that benefited the HCP (or, for an institution, its HCPs or a call there),
newest first — one query. Drafts, rejected, withdrawn and replaced claims are left out."""

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

    if isinstance(customer, Hcp):
        on = Q(pk__in=LineHcp.objects.filter(hcp_id=customer.pk).values("line_id"))
    else:
        on = (Q(call__institution_id=customer.pk)
              | Q(pk__in=LineHcp.objects.filter(hcp__institution_id=customer.pk).values("line_id")))
    claims_seen = claim_visible_q(user)
    rows = (ExpenseLine.objects.filter(on, claim__state__in=COUNTED)
            .filter(claim_id__in=ExpenseClaim.objects.filter(claims_seen).values("pk"))
            .select_related("category", "claim__rep__user").order_by("-day", "-id")[:limit])
    url = reverse("expenses:claim_detail", kwargs={"code": _CODE})
    out = []
    for line in rows:
        claim = line.claim
        title = _("%(category)s: %(amount)s %(currency)s") % {
            "category": line.category.name, "amount": f"{line.base_amount:,.2f}", "currency": claim.currency}
        if claim.state == ClaimState.SUBMITTED:
            title = _("%(title)s (waiting for approval)") % {"title": title}
        out.append(TimelineEntry(at=line.day, kind="expense", title=title, detail=line.description,
                                 url=url.replace(_CODE, str(claim.code)), icon="receipt",
                                 by=claim.rep.user.full_name))
    return out
