"""Tiers computed by the product equal those of an independent reference computation on
generated data with ties at the cut-offs and customers without data, for both methods."""

from __future__ import annotations

import pytest

from customers.models import Hcp
from customers.segmentation.models import CustomerTier
from customers.segmentation.services import recompute_now, rule_save

from .conftest import MATRIX, SCORE
from .reference import reference

MATRIX_VARIANTS = [
    MATRIX,
    # percentiles on both axes, with 0 and 100 as cut-offs; the title rank has many ties and gaps
    {**MATRIX, "potential": {"measure": "hcp.potential", "by": "percentile", "thresholds": [0, 37.5, 100]},
     "adoption": {"measure": "hcp.title_rank", "by": "percentile", "thresholds": [50]},
     "grid": [["D", "C"], ["C", "B"], ["B", "A"], ["A", "A"]]},
    # thresholds equal to values in the data (ties exactly at the cut-off), missing = lowest band
    {**MATRIX, "potential": {"measure": "hcp.institution_beds", "by": "value", "thresholds": [300, 800]},
     "adoption": {"measure": "test.phone", "by": "value", "thresholds": [3, 5.0, 8]},
     "grid": [["D", "D", "C", "C"], ["C", "C", "B", "B"], ["B", "A", "A", "A"]]},
    # one measure on both axes, the population narrowed to two specialties
    {**MATRIX, "adoption": {"measure": "hcp.potential", "by": "percentile", "thresholds": [50]},
     "grid": [["D", "C"], ["C", "B"], ["B", "A"]], "population": {"specialties": ["cardiology", "oncology"]}},
]
SCORE_VARIANTS = [
    SCORE,
    {**SCORE, "normalise": "min_max"},
    {**SCORE, "cut": "score", "cutoffs": {"A": 75, "B": 50, "C": 25}},
    {**SCORE, "normalise": "min_max", "cut": "score", "cutoffs": {"A": 80, "B": 50, "C": 20},
     "weights": {"hcp.potential": 40, "hcp.kol": 40, "test.phone": 20}},
    # shares whose cut-offs fall inside groups of equal scores
    {**SCORE, "weights": {"hcp.kol": 50, "hcp.stage_rank": 50}, "cutoffs": {"A": 5, "B": 15, "C": 50}},
]


def _check(seg, definition, line_attr="line"):
    line = getattr(seg, line_attr)
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=definition, product_line=line, by=seg.member())
        recompute_now(product_line=line, by=seg.member())
        hcps = list(Hcp.objects.select_related("institution").filter(pk__in=seg.hcp_ids))
        expected = reference(hcps, definition, "hcp")
        got = {r.hcp_id: (r.potential_band, r.adoption_band, r.score_band, r.computed_tier)
               for r in CustomerTier.objects.filter(product_line=line, purpose="tier", hcp__isnull=False)}
        own = {h.pk: h.tier for h in Hcp.objects.filter(pk__in=seg.hcp_ids)}
    assert got == expected
    assert len({e[3] for e in expected.values()}) >= 3, "the data should spread over several tiers"
    return expected, own


@pytest.mark.parametrize("definition", MATRIX_VARIANTS)
def test_matrix_tiers_equal_the_reference(seg, definition):
    expected, own = _check(seg, definition)
    # the primary product line's tiers are the customers' own tier column; others have none
    assert {k: v for k, v in own.items() if v} == {k: v[3] for k, v in expected.items()}


@pytest.mark.parametrize("definition", SCORE_VARIANTS)
def test_score_tiers_equal_the_reference(seg, definition):
    _check(seg, definition)


def test_a_line_that_is_not_primary_leaves_the_customer_column_alone(seg):
    with seg.world.scope("a"):
        before = dict(Hcp.objects.filter(pk__in=seg.hcp_ids).values_list("pk", "tier"))
    _check(seg, SCORE, line_attr="line2")
    with seg.world.scope("a"):
        assert dict(Hcp.objects.filter(pk__in=seg.hcp_ids).values_list("pk", "tier")) == before
