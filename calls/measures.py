"""What calls give segmentation: submitted calls per HCP in the last 12 months (set-based
SQL, one row per HCP; the main HCP of a call — group attendees are not counted)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

SUBMITTED_12M_SQL = (
    "SELECT hcp_id, count(*) FROM calls_call WHERE tenant_id = %(tenant)s AND status = 'submitted' "
    "AND hcp_id IS NOT NULL AND day > %(today)s::date - 365 AND day <= %(today)s::date GROUP BY hcp_id"
)


def register() -> None:
    from customers.segmentation.measures import Measure, register_measure

    register_measure(Measure(key="calls.submitted_12m", label=_("Calls: submitted in the last 12 months"), kind="hcp",
                             missing=0, sql=SUBMITTED_12M_SQL, order=200,
                             description=_("Submitted calls with the HCP as the main customer, last 365 days.")))
