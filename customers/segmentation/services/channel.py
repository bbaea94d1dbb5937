"""Channel customers and distributors (R9): alerts when a class or a rating changes.

The classification itself is the generic recompute (``recompute``): a rule of purpose
``channel_class`` over the institutions of kind retail pharmacy, pharmacy chain and
distributor, and one of purpose ``credit_rating`` over distributors, both without a product
line, both reading whatever performance measures are registered (sales growth, returns,
payment days — registered by the sales app when it exists). Classes and ratings are the
letters A–D (A best), stored and pinned like tiers; one ``channel`` run per tenant a night.

**Who is told.** The account's owner: for each institution whose class or rating changed,
the holder, today, of each territory it is aligned to (any product line); where that
territory is vacant, the holder of the nearest node above it that has one (the district or
region manager) — a change is never told to nobody while the organisation has a holder
above. Each owner gets **one** notification per run and purpose listing their changed
accounts (not one per institution), through ``accounts.services.notifications.notify``.
Only re-classifications are told (a class or rating that goes from one letter to another):
the first classification of an account, or an account leaving the rule's customers
(terminated, merged), is history but no alert.
"""

from __future__ import annotations

from collections import defaultdict

from django.db import connection
from django.utils.translation import gettext as _

from accounts.models import Membership
from accounts.services.notifications import notify
from customers.models import Institution
from sfe.core.tenancy import current_tenant, require_tenant_id

from ..models import Purpose

#: At most this many accounts are named in one notification's body (the rest are counted).
BODY_LINES = 30

_OWNERS = """
WITH aligned AS (
  SELECT DISTINCT a.institution_id, a.territory_id FROM customers_alignment a
   WHERE a.tenant_id = %(t)s AND a.institution_id = ANY(%(ids)s) AND a.start_date <= %(d)s
     AND (a.end_date IS NULL OR a.end_date >= %(d)s))
SELECT DISTINCT ON (al.institution_id, al.territory_id) al.institution_id, p.holder_id
  FROM aligned al
  JOIN accounts_orgnode t ON t.id = al.territory_id AND t.tenant_id = %(t)s
  JOIN accounts_orgnode n ON n.tenant_id = %(t)s AND starts_with(t.path, n.path) AND n.retired_on IS NULL
  JOIN accounts_position p ON p.tenant_id = %(t)s AND p.node_id = n.id AND p.start_date <= %(d)s
   AND (p.end_date IS NULL OR p.end_date >= %(d)s)
  JOIN accounts_membership m ON m.id = p.holder_id AND m.is_active
 ORDER BY al.institution_id, al.territory_id, n.depth DESC, p.start_date DESC, p.id
"""


def owners_of(institution_ids: list[int]) -> dict[int, set[int]]:
    """Institution id → the membership ids of its owners today (see the module); one query."""
    if not institution_ids:
        return {}
    with connection.cursor() as cur:
        cur.execute(_OWNERS, {"t": require_tenant_id(), "ids": list(institution_ids), "d": current_tenant().today()})
        owners: dict[int, set[int]] = defaultdict(set)
        for inst_id, holder_id in cur.fetchall():
            owners[inst_id].add(holder_id)
    return owners


def _title(purpose: str, n: int) -> str:
    if purpose == Purpose.CREDIT_RATING:
        return _("The credit rating of %(n)s of your distributors changed") % {"n": n}
    return _("The class of %(n)s of your channel customers changed") % {"n": n}


def channel_notify(*, purpose: str, changes: list[tuple[int, str, str]]) -> int:
    """Tell each owner about the changes (institution id, from, to) of their accounts; returns
    how many notifications were sent."""
    changes = [c for c in changes if c[1] and c[2]]
    if not changes:
        return 0
    owners = owners_of([inst_id for inst_id, _old, _new in changes])
    by_owner: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    for change in changes:
        for holder in owners.get(change[0], ()):
            by_owner[holder].append(change)
    if not by_owner:
        return 0
    names = dict(Institution.objects.filter(pk__in={c[0] for c in changes}).values_list("pk", "name"))
    members = Membership.objects.filter(pk__in=by_owner).select_related("user").in_bulk()
    sent = 0
    for holder_id, items in sorted(by_owner.items()):
        member = members.get(holder_id)
        if member is None:
            continue
        lines = [f"{names.get(i, i)}: {old or '–'} → {new or '–'}" for i, old, new in items[:BODY_LINES]]
        if len(items) > BODY_LINES:
            lines.append(_("… and %(n)s more.") % {"n": len(items) - BODY_LINES})
        notify(recipients=[member], kind=f"segmentation.{purpose}", title=_title(purpose, len(items)),
               body="\n".join(lines))
        sent += 1
    return sent
