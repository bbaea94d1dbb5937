"""The customers card on the home page (registered in AppConfig.ready): what the member
sees, and for data stewards the work waiting for them. Counts stop at 1,000, as the lists'
do (one capped query each; a rep's book is smaller, a manager reads "1,000+"), so the home
page stays fast for a manager of 200,000 HCPs."""

from __future__ import annotations

from accounts.models import Role

from . import selectors
from .models import ChangeRequest, DuplicateCandidate, Hcp, Institution

CAP = 1_000


def home_card_context(request) -> dict:
    user, membership = request.user, request.membership
    hcps = Hcp.objects.in_lists().filter(status="active").visible_to(user)
    ctx = {
        "hcps": selectors.capped_count(hcps, cap=CAP),
        "targets": selectors.capped_count(hcps.filter(is_target=True), cap=CAP),
        "institutions": selectors.capped_count(Institution.objects.in_lists().filter(status="active").visible_to(user),
                                              cap=CAP),
        "steward": membership.has_role(Role.DATA_STEWARD, Role.ADMIN),
    }
    if ctx["steward"]:
        ctx["open_duplicates"] = DuplicateCandidate.objects.filter(state=DuplicateCandidate.State.OPEN).count()
        ctx["pending_changes"] = ChangeRequest.objects.filter(state=ChangeRequest.State.PENDING).count()
    return ctx
