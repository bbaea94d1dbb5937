"""Bad rule input is refused at save with a message naming the field (pure Python, no database)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from customers.segmentation.definition import validate_definition

from .conftest import MATRIX, SCORE


def _errors(definition, **kwargs) -> dict[str, list[str]]:
    with translation.override("en"), pytest.raises(ValidationError) as info:
        validate_definition(definition, **{"kind": "hcp", **kwargs})
    return info.value.message_dict


def _axis(**changes):
    return {**MATRIX, "potential": {**MATRIX["potential"], **changes}}


@pytest.mark.parametrize(("definition", "path", "words"), [
    (_axis(thresholds=[5000, 1000]), "potential.thresholds", "must go up"),
    (_axis(thresholds=[1000, 1000]), "potential.thresholds", "without repeats"),
    (_axis(thresholds=[]), "potential.thresholds", "between 1 and 9"),
    (_axis(thresholds=["lots"]), "potential.thresholds", "not a number"),
    (_axis(by="percentile", thresholds=[50, 120]), "potential.thresholds", "between 0 and 100"),
    (_axis(by="percentile", thresholds=[-1, 50]), "potential.thresholds", "between 0 and 100"),
    (_axis(by="sometimes"), "potential.by", "percentiles"),
    (_axis(measure="calls.last_12m"), "potential.measure", "no measure “calls.last_12m” for HCPs"),
    (_axis(measure="institution.beds"), "potential.measure", "no measure “institution.beds” for HCPs"),
    ({**MATRIX, "adoption": None}, "adoption", "adoption axis"),
    ({**MATRIX, "grid": [["D", "D", "C", "C"], ["C", "", "B", "B"], ["B", "B", "A", "A"]]}, "grid",
     "band 2 × adoption band 2 has no tier"),
    ({**MATRIX, "grid": [["D", "D", "C", "C"], ["C", "C", "B", "E"], ["B", "B", "A", "A"]]}, "grid", "no tier"),
    ({**MATRIX, "grid": [["D", "D", "C", "C"], ["C", "C", "B", "B"]]}, "grid", "needs 3 rows"),
    ({**MATRIX, "grid": [["D", "D", "C"], ["C", "C", "B", "B"], ["B", "B", "A", "A"]]}, "grid", "needs 4 cells"),
    ({**SCORE, "weights": {"hcp.potential": 50, "hcp.title_rank": 30}}, "weights", "add up to 80; they must add up to 100"),
    ({**SCORE, "weights": {"hcp.potential": 50, "nothing": 50}}, "weights", "no measure “nothing”"),
    ({**SCORE, "weights": {"hcp.potential": -10, "hcp.kol": 110}}, "weights", "0 or more"),
    ({**SCORE, "weights": {}}, "weights", "at least one measure"),
    ({**SCORE, "cut": "score", "cutoffs": {"A": 50, "B": 60, "C": 10}}, "cutoffs", "go down from A to C"),
    ({**SCORE, "cutoffs": {"A": 50, "B": 40, "C": 30}}, "cutoffs", "add up to 120"),
    ({**SCORE, "cutoffs": {"A": 10, "B": 20}}, "cutoffs", "A, B and C"),
    ({**SCORE, "cutoffs": {"A": 101, "B": 20, "C": 10}}, "cutoffs", "from 0 to 100"),
    ({**SCORE, "normalise": "zscore"}, "normalise", "percent rank"),
    ({**SCORE, "cut": "luck"}, "cut", "by score or by share"),
    ({"method": "astrology"}, "method", "matrix or score"),
    ({**MATRIX, "population": {"specialties": ["dentistry"]}}, "population.specialties", "dentistry"),
])
def test_bad_definitions_are_refused_naming_the_field(definition, path, words):
    errors = _errors(definition)
    assert path in errors, errors
    assert any(words in m for m in errors[path]), errors[path]


def test_every_error_is_reported_at_once():
    bad = {**MATRIX, "potential": {"measure": "nope", "by": "value", "thresholds": [3, 1]},
           "adoption": {"measure": "test.phone", "by": "percentile", "thresholds": [150]}}
    assert {"potential.measure", "potential.thresholds", "adoption.thresholds"} <= set(_errors(bad))


def test_the_tenant_decides_the_weights_total():
    weights = {**SCORE, "weights": {"hcp.potential": 3, "hcp.kol": 1}}
    assert validate_definition(weights, kind="hcp", weights_total=None)["weights"] == {"hcp.potential": 3, "hcp.kol": 1}
    assert "weights" in _errors(weights, weights_total=100)
    assert "weights" in _errors({**SCORE, "weights": {"hcp.kol": 0}}, weights_total=None)


def test_a_good_definition_is_normalised():
    clean = validate_definition({**MATRIX, "potential": {"measure": " hcp.potential ", "thresholds": ["1000", 5000.0]},
                                 "grid": [[c.lower() for c in row] for row in MATRIX["grid"]]}, kind="hcp")
    assert clean["potential"] == {"measure": "hcp.potential", "by": "value", "thresholds": [1000, 5000]}
    assert clean["grid"] == MATRIX["grid"]
    score = validate_definition({**SCORE, "weights": {"hcp.potential": "50.5", "hcp.kol": 49.5}}, kind="hcp")
    assert score["weights"] == {"hcp.potential": 50.5, "hcp.kol": 49.5}


def test_channel_rules_cover_channel_institutions_only():
    channel = {"method": "score", "weights": {"institution.potential": 100}, "cut": "share",
               "cutoffs": {"A": 10, "B": 20, "C": 30}}
    clean = validate_definition(channel, kind="institution", purpose="channel_class")
    assert clean["population"]["kinds"] == ["distributor", "pharmacy_chain", "retail_pharmacy"]
    assert validate_definition(channel, kind="institution", purpose="credit_rating")["population"]["kinds"] == [
        "distributor"]
    errors = _errors({**channel, "population": {"kinds": ["hospital"]}}, kind="institution", purpose="channel_class")
    assert "population.kinds" in errors
    with pytest.raises(ValidationError) as info:
        validate_definition(channel, kind="hcp", purpose="credit_rating")
    assert "kind" in info.value.message_dict


@pytest.mark.parametrize("kwargs", [
    {"kind": "institution", "sql": "SELECT id, beds FROM customers_institution"},  # not an HCP measure
    {"kind": "hcp", "expr": "c.potential"},  # read off the HCP's own row: nothing to join
])
def test_a_measure_per_institution_is_an_hcp_measure_given_by_sql(kwargs):
    from customers.segmentation.measures import Measure

    with pytest.raises(ValueError, match="per_institution"):
        Measure(key="x.per_institution", label="x", per_institution=True, **kwargs)


def test_a_measure_per_institution_is_joined_on_the_primary_institution():
    from customers.segmentation.measures import get_measure
    from customers.segmentation.sql import compute_sql

    definition = {**MATRIX, "potential": {"measure": "hcp.institution_beds", "by": "value", "thresholds": [300]},
                  "adoption": {"measure": "hcp.title_rank", "by": "value", "thresholds": [3]}}
    compiled = compute_sql(definition, "hcp", tenant_id=1, line_id=None, today=None)
    assert get_measure("hcp.institution_beds").per_institution
    assert "LEFT JOIN m0 ON m0.customer_id = c.institution_id" in compiled.sql
    assert "customers_hcp h" not in compiled.sql  # no second scan of the HCPs inside the measure
