"""Bulk realignment (issue 4, "Alignment"): prepare a batch, preview its impact, apply it.

An admin prepares a ``RealignmentBatch`` for one product line and an effective date (today
or later) by one of four methods — by geography, by institution, by rule, from a file —
each of which is reduced to one *selection* ``(kind, customer id, territory id, action)``
with ``action`` one of:

* ``move``: leave every current territory of the line and join the given one;
* ``add``: join the given territory, keep the others;
* ``drop``: leave the given territory (or, with none given, every territory of the line).

The batch's ``RealignmentItem`` rows are then computed from the selection and the current
alignments in **one** ``INSERT … SELECT`` (never a loop per customer): a customer leaving
``X`` and joining ``T`` is one item ``X → T``; one leaving two territories is two items, the
second with no ``to``; one that is already where it should be gets no item.

"Current" alignments are those not ended before the effective date (so a future one is
left too). Geography and institution batches move the institutions and, of their HCPs,
those with an alignment of their own in the line; HCPs without one follow their primary
institution (design §4) and need no item.

``realignment_preview`` computes, in one aggregate query, per territory touched: the
institutions and HCPs gained and lost, the target HCPs gained and lost and the potential
gained and lost, with the territory's totals before and after. **What counts**: on the
effective date, a territory *serves* an institution aligned to it, and an HCP aligned to
it — or, for an HCP with no alignment of their own in the line, an HCP whose primary
institution is aligned to it. Merged records do not count.

``realignment_apply`` ends the alignments being left on ``effective_date − 1`` (one that
starts on or after the effective date is deleted instead) and inserts the new ones from
the effective date (source ``realignment``, ``batch`` set), skipping those already there;
it is idempotent and takes the batch row lock, so two applies at once apply once.
Past alignments stay: ``territories_on(customer, day)`` answers for any day.

Split by concept: ``common`` (checks, the new batch, the items' ``INSERT … SELECT``),
``methods`` (by geography, institution, rule), ``files`` (from a CSV file), ``preview``
(the impact preview and item counts), ``apply`` (apply — in the request, or by a Celery
worker above ``apply.BACKGROUND_ABOVE`` items — and cancel), ``history``
(``territories_on``, ``alignments_on``).
"""

from .apply import (
    applies_in_background,
    is_applying,
    prepared_items,
    realignment_apply,
    realignment_apply_failed,
    realignment_apply_later,
    realignment_cancel,
)
from .files import MAX_ERRORS_SHOWN, MAX_FILE_BYTES, MAX_FILE_ROWS, realignment_from_file
from .history import alignments_on, territories_on
from .methods import MAX_CODES, RULE_LEVELS, realignment_by_geography, realignment_by_institution, realignment_by_rule
from .preview import TerritoryImpact, item_counts, realignment_preview

__all__ = [
    "MAX_CODES", "MAX_ERRORS_SHOWN", "MAX_FILE_BYTES", "MAX_FILE_ROWS", "RULE_LEVELS", "TerritoryImpact",
    "alignments_on", "applies_in_background", "is_applying", "item_counts", "prepared_items", "realignment_apply",
    "realignment_apply_failed", "realignment_apply_later", "realignment_by_geography", "realignment_by_institution",
    "realignment_by_rule", "realignment_cancel", "realignment_from_file", "realignment_preview", "territories_on",
]
