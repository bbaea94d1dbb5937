"""An independent pure-Python reference of the segmentation methods (no SQL, exact fractions).

It reads customers as ORM objects and computes each measure in Python from its meaning
(not from the product's SQL), then bands, scores and tiers them as the definition module's
docstring says. The tests compare the product's tiers with these on generated data.
"""

from __future__ import annotations

import math
from decimal import Decimal
from fractions import Fraction

from customers.segmentation.measures_builtin import GRADE_RANK, STAGE_RANK, TITLE_RANK

# Measure key → (value from the ORM object, value when missing)
PYTHON_MEASURES = {
    "hcp.potential": (lambda h: h.potential, None),
    "hcp.title_rank": (lambda h: TITLE_RANK.get(h.title), None),
    "hcp.kol": (lambda h: 1 if h.is_kol else 0, None),
    "hcp.stage_rank": (lambda h: STAGE_RANK.get(h.stage), None),
    "hcp.institution_grade_rank": (lambda h: GRADE_RANK.get(h.institution.grade), None),
    "hcp.institution_beds": (lambda h: h.institution.beds, None),
    "test.phone": (lambda h: Decimal(h.phone) if h.phone else None, None),
    "test.phone0": (lambda h: Decimal(h.phone) if h.phone else None, 0),
    "institution.beds": (lambda i: i.beds, None),
    "institution.grade_rank": (lambda i: GRADE_RANK.get(i.grade), None),
    "institution.potential": (lambda i: i.potential, None),
}


def in_population(c, definition: dict, kind: str) -> bool:
    if c.status != "active" or c.stage == "terminated":
        return False
    pop = definition.get("population") or {}
    if kind == "hcp" and pop.get("specialties") and c.specialty not in pop["specialties"]:
        return False
    return not (kind == "institution" and pop.get("kinds") and c.kind not in pop["kinds"])


def _value(c, key):
    fn, missing = PYTHON_MEASURES[key]
    value = fn(c)
    if value is None and missing is not None:
        value = missing
    return None if value is None else Fraction(Decimal(str(value)))


def _rank_fraction(values: list, v) -> Fraction:
    """Percent rank 0–1 of v among non-missing ``values`` (ties share the lowest rank)."""
    present = [x for x in values if x is not None]
    n = len(present)
    if n <= 1:
        return Fraction(0)
    rank = 1 + sum(1 for x in present if x < v)
    return Fraction(rank - 1, n - 1)


def _band(values, v, axis: dict) -> int:
    if v is None:
        return 1
    position = v if axis["by"] == "value" else _rank_fraction(values, v) * 100
    return 1 + sum(1 for t in axis["thresholds"] if position >= Fraction(Decimal(str(t))))


def _round4(f: Fraction) -> Fraction:
    scaled = f * 10000
    return Fraction(math.floor(scaled + Fraction(1, 2)), 10000)  # half up (scores are >= 0)


def reference(customers: list, definition: dict, kind: str) -> dict[int, tuple]:
    """id → (potential_band, adoption_band, score_band, label) for the population; others absent."""
    pop = [c for c in customers if in_population(c, definition, kind)]
    keys = ([definition["potential"]["measure"], definition["adoption"]["measure"]] if definition["method"] == "matrix"
            else list(definition["weights"]))
    values = {key: [_value(c, key) for c in pop] for key in dict.fromkeys(keys)}
    out = {}
    if definition["method"] == "matrix":
        grid = definition["grid"]
        for i, c in enumerate(pop):
            pb = _band(values[keys[0]], values[keys[0]][i], definition["potential"])
            ab = _band(values[keys[1]], values[keys[1]][i], definition["adoption"])
            out[c.pk] = (pb, ab, None, grid[pb - 1][ab - 1])
        return out
    weights = {k: Fraction(Decimal(str(w))) for k, w in definition["weights"].items()}
    total = sum(weights.values())
    scores = []
    for i, _c in enumerate(pop):
        s = Fraction(0)
        for key, w in weights.items():
            vals = values[key]
            v = vals[i]
            if v is None:
                norm = Fraction(0)
            elif definition.get("normalise", "percent_rank") == "percent_rank":
                norm = _rank_fraction(vals, v)
            else:
                present = [x for x in vals if x is not None]
                lo, hi = min(present), max(present)
                norm = Fraction(0) if hi == lo else (v - lo) / (hi - lo)
            s += w * norm
        scores.append(_round4(100 * s / total))
    cut = {k: Fraction(Decimal(str(v))) for k, v in definition["cutoffs"].items()}
    n = len(pop)
    for i, c in enumerate(pop):
        score = scores[i]
        if definition.get("cut", "score") == "score":
            label = "A" if score >= cut["A"] else "B" if score >= cut["B"] else "C" if score >= cut["C"] else "D"
        else:
            higher = sum(1 for s in scores if s > score)
            label = ("A" if higher * 100 < cut["A"] * n else "B" if higher * 100 < (cut["A"] + cut["B"]) * n
                     else "C" if higher * 100 < (cut["A"] + cut["B"] + cut["C"]) * n else "D")
        out[c.pk] = (None, None, min(math.floor(score / 10), 9) + 1, label)
    return out
