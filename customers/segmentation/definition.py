"""A segmentation rule's definition (JSON) and its validator: pure Python, no database.

Two methods; both give every customer of the population one of the tiers A, B, C, D.

**matrix** — a potential axis and an adoption axis, each a registered measure cut into
bands; a grid maps each (potential band, adoption band) pair to a tier::

    {"method": "matrix",
     "potential": {"measure": "hcp.potential", "by": "percentile", "thresholds": [50, 80]},
     "adoption":  {"measure": "hcp.stage_rank", "by": "value", "thresholds": [2, 4]},
     "grid": [["D", "C", "C"],      # potential band 1 (lowest), adoption bands 1..3
              ["C", "B", "B"],
              ["B", "A", "A"]]}     # potential band 3 (highest)

``by: "value"``: ascending thresholds t1 < … < tn make n + 1 bands; band 1 is below t1,
band k + 1 is ``tk <= value < tk+1`` (a value equal to a threshold goes up: PostgreSQL's
``width_bucket``). ``by: "percentile"``: thresholds are percentiles 0–100 of the customer's
percent rank among the population's non-missing values, ``100 × (rank − 1) / (n − 1)``
with ties sharing the lowest rank (so equal values always share a band); a percent rank
equal to a threshold goes up. With one value only, its percent rank is 0. A customer whose
value is missing (NULL after the measure's ``missing``) is in band 1 and out of the ranking.

**score** — a weighted sum of measures, each normalised to 0–1, on a 0–100 scale::

    {"method": "score", "normalise": "percent_rank",
     "weights": {"hcp.potential": 60, "hcp.title_rank": 30, "hcp.kol": 10},
     "cut": "share", "cutoffs": {"A": 10, "B": 20, "C": 30}}

``normalise``: ``percent_rank`` (the default: robust to outliers and units — a bed count
and a sales amount weigh alike) or ``min_max`` (``(v − min) / (max − min)``; 0 when all
values are equal). A missing value normalises to 0. ``score = round(100 × Σ wᵢ·nᵢ / Σ wᵢ, 4)``
(rounded so that a score exactly on a cut-off is not lost to the last digit of a division).
``cut: "score"``: A if score ≥ cutoffs.A, else B if ≥ cutoffs.B, else C if ≥ cutoffs.C, else D
(A > B > C). ``cut: "share"``: the top cutoffs.A % of the population are A, the next
cutoffs.B % B, the next cutoffs.C % C, the rest D; "top x %" means fewer than x % of the
population score strictly higher, so customers tied at a cut-off all get the higher tier.
Not ``ntile``: it splits ties arbitrarily, and tiers would flicker from night to night.

Both methods may narrow the population: ``"population": {"specialties": [...],
"kinds": [...], "aligned_only": true}`` (HCP specialties, institution kinds; aligned to the
rule's product line today, directly or — for HCPs — through their primary institution).

The tenant's settings say what the weights must add up to (``weights_total``, 100 by
default; none means any positive total). Errors are collected and raised together as one
``ValidationError`` keyed by the path of the field (``potential.thresholds``, ``grid``,
``weights``, ``cutoffs`` …), messages through gettext.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from customers.models.choices import InstitutionKind, Specialty

from .measures import Measure, get_measure

TIERS = ("A", "B", "C", "D")
METHODS = ("matrix", "score")
AXES = ("potential", "adoption")
BY = ("value", "percentile")
NORMALISE = ("percent_rank", "min_max")
CUTS = ("score", "share")
MAX_THRESHOLDS = 9
CHANNEL_KINDS = (InstitutionKind.RETAIL_PHARMACY, InstitutionKind.PHARMACY_CHAIN, InstitutionKind.DISTRIBUTOR)
#: What each purpose classifies: (customer kind, institution kinds it may cover, default kinds).
PURPOSE_KINDS = {
    "tier": (None, None, ()),
    "channel_class": ("institution", CHANNEL_KINDS, CHANNEL_KINDS),
    "credit_rating": ("institution", (InstitutionKind.DISTRIBUTOR,), (InstitutionKind.DISTRIBUTOR,)),
}


def number(value) -> Decimal | None:
    """A finite number from JSON or a form (int, float, Decimal or numeric text), else None."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return result if result.is_finite() else None


def to_json_number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _kind_label(kind: str) -> str:
    return _("HCPs") if kind == "hcp" else _("institutions")


class _Errors:
    def __init__(self):
        self.by_path: dict[str, list[str]] = {}

    def add(self, path: str, message: str) -> None:
        self.by_path.setdefault(path, []).append(message)

    def raise_if_any(self) -> None:
        if self.by_path:
            raise ValidationError(self.by_path)


def _measure(key, path: str, kind: str, lookup: Callable[[str], Measure | None], errors: _Errors) -> str | None:
    if not isinstance(key, str) or not key.strip():
        errors.add(path, _("Choose a measure."))
        return None
    measure = lookup(key.strip())
    if measure is None or measure.kind != kind:
        errors.add(path, _("There is no measure “%(key)s” for %(kind)s.") % {"key": key, "kind": _kind_label(kind)})
        return None
    return measure.key


def _thresholds(raw, path: str, by: str | None, errors: _Errors) -> list[Decimal] | None:
    if not isinstance(raw, list | tuple) or not 1 <= len(raw) <= MAX_THRESHOLDS:
        errors.add(path, _("Give between 1 and %(n)s thresholds.") % {"n": MAX_THRESHOLDS})
        return None
    values = []
    for item in raw:
        value = number(item)
        if value is None:
            errors.add(path, _("“%(value)s” is not a number.") % {"value": item})
            return None
        values.append(value)
    ok = True
    if by == "percentile":
        for value in values:
            if not Decimal(0) <= value <= Decimal(100):
                errors.add(path, _("A percentile must be between 0 and 100; %(value)s is not.") % {"value": value})
                ok = False
    for low, high in zip(values, values[1:], strict=False):
        if high <= low:
            errors.add(path, _("Thresholds must go up, without repeats: %(high)s does not come above %(low)s.")
                       % {"high": high, "low": low})
            ok = False
            break
    return values if ok else None


def _axis(raw, name: str, kind: str, lookup, errors: _Errors) -> tuple[dict | None, int | None]:
    if not isinstance(raw, dict):
        errors.add(name, _("Give the %(axis)s axis: a measure, how to cut it, and the thresholds.")
                   % {"axis": _("potential") if name == "potential" else _("adoption")})
        return None, None
    key = _measure(raw.get("measure"), f"{name}.measure", kind, lookup, errors)
    by = raw.get("by", "value")
    if by not in BY:
        errors.add(f"{name}.by", _("Cut by value thresholds or by percentiles."))
        by = None
    thresholds = _thresholds(raw.get("thresholds"), f"{name}.thresholds", by, errors)
    bands = len(thresholds) + 1 if thresholds is not None else None
    if key is None or by is None or thresholds is None:
        return None, bands
    return {"measure": key, "by": by, "thresholds": [to_json_number(t) for t in thresholds]}, bands


def _grid(raw, rows: int | None, cols: int | None, errors: _Errors) -> list[list[str]] | None:
    if rows is None or cols is None:
        return None  # the axes are wrong already; their errors say why
    if not isinstance(raw, list | tuple) or len(raw) != rows:
        errors.add("grid", _("The grid needs %(rows)s rows, one per potential band (lowest first).") % {"rows": rows})
        return None
    grid, ok = [], True
    for i, row in enumerate(raw, start=1):
        if not isinstance(row, list | tuple) or len(row) != cols:
            errors.add("grid", _("Row %(row)s of the grid needs %(cols)s cells, one per adoption band (lowest first).")
                       % {"row": i, "cols": cols})
            return None
        cells = []
        for j, cell in enumerate(row, start=1):
            tier = str(cell or "").strip().upper()
            if tier not in TIERS:
                errors.add("grid", _("Potential band %(row)s × adoption band %(col)s has no tier: choose A, B, C or D.")
                           % {"row": i, "col": j})
                ok = False
            cells.append(tier)
        grid.append(cells)
    return grid if ok else None


def _weights(raw, kind: str, weights_total: int | None, lookup, errors: _Errors) -> dict | None:
    if not isinstance(raw, dict) or not raw:
        errors.add("weights", _("Give at least one measure with its weight."))
        return None
    out, ok = {}, True
    for key, weight in raw.items():
        measure = _measure(key, "weights", kind, lookup, errors)
        value = number(weight)
        if value is None or value < 0:
            errors.add("weights", _("The weight of “%(key)s” must be a number of 0 or more.") % {"key": key})
            ok = False
        if measure is None:
            ok = False
        if ok:
            out[measure] = value
    if not ok:
        return None
    total = sum(out.values(), Decimal(0))
    if weights_total is not None and total != Decimal(weights_total):
        errors.add("weights", _("The weights add up to %(sum)s; they must add up to %(total)s.")
                   % {"sum": to_json_number(total), "total": weights_total})
        return None
    if total <= 0:
        errors.add("weights", _("The weights must add up to more than 0."))
        return None
    return {k: to_json_number(v) for k, v in out.items()}


def _cutoffs(raw, cut: str | None, errors: _Errors) -> dict | None:
    if not isinstance(raw, dict) or any(t not in raw for t in TIERS[:3]):
        errors.add("cutoffs", _("Give cut-offs for A, B and C (D is the rest)."))
        return None
    values = {}
    for tier in TIERS[:3]:
        value = number(raw[tier])
        if value is None or not Decimal(0) <= value <= Decimal(100):
            errors.add("cutoffs", _("The cut-off of %(tier)s must be a number from 0 to 100.") % {"tier": tier})
            return None
        values[tier] = value
    if cut == "score" and not values["A"] > values["B"] > values["C"]:
        errors.add("cutoffs", _("Score cut-offs must go down from A to C: A %(a)s, B %(b)s, C %(c)s do not.")
                   % {"a": values["A"], "b": values["B"], "c": values["C"]})
        return None
    if cut == "share" and sum(values.values()) > 100:
        errors.add("cutoffs", _("The shares of A, B and C add up to %(sum)s %%; they may add up to 100 %% at most.")
                   % {"sum": to_json_number(sum(values.values()))})
        return None
    return {k: to_json_number(v) for k, v in values.items()}


def _population(raw, kind: str, purpose: str, errors: _Errors) -> dict:
    if raw is not None and not isinstance(raw, dict):
        errors.add("population", _("The population is a set of filters."))
    raw = raw if isinstance(raw, dict) else {}
    out: dict = {}
    specialties = raw.get("specialties") or []
    if kind == "hcp" and specialties:
        bad = [s for s in specialties if s not in Specialty.values]
        if bad:
            errors.add("population.specialties", _("Unknown specialty “%(value)s”.") % {"value": bad[0]})
        out["specialties"] = sorted({str(s) for s in specialties})
    _kind, allowed, default = PURPOSE_KINDS[purpose]
    kinds = raw.get("kinds") or list(default)
    if kind == "institution" and kinds:
        allowed_values = [str(k) for k in (allowed or InstitutionKind.values)]
        bad = [k for k in kinds if k not in allowed_values]
        if bad:
            errors.add("population.kinds", _("“%(value)s” is not a kind of institution this rule may cover.")
                       % {"value": bad[0]})
        out["kinds"] = sorted({str(k) for k in kinds})
    if raw.get("aligned_only"):
        out["aligned_only"] = True
    return out


def validate_definition(raw, *, kind: str, purpose: str = "tier", weights_total: int | None = 100,
                        lookup: Callable[[str], Measure | None] = get_measure) -> dict:
    """The definition, checked and normalised (numbers as JSON numbers, keys trimmed);
    ``ValidationError`` keyed by field path otherwise. ``lookup`` finds a measure by key
    (the registry by default; tests pass their own)."""
    errors = _Errors()
    if purpose not in PURPOSE_KINDS:
        raise ValidationError({"purpose": _("Unknown purpose.")})
    if PURPOSE_KINDS[purpose][0] not in (None, kind):
        raise ValidationError({"kind": _("This rule classifies institutions only.")})
    if not isinstance(raw, dict):
        raise ValidationError({"method": _("Choose the method: matrix or score.")})
    method = raw.get("method")
    if method not in METHODS:
        errors.add("method", _("Choose the method: matrix or score."))
        errors.raise_if_any()
    out: dict = {"method": method}
    if method == "matrix":
        axes, bands = {}, {}
        for name in AXES:
            axes[name], bands[name] = _axis(raw.get(name), name, kind, lookup, errors)
        grid = _grid(raw.get("grid"), bands["potential"], bands["adoption"], errors)
        out.update({"potential": axes["potential"], "adoption": axes["adoption"], "grid": grid})
    else:
        normalise = raw.get("normalise", "percent_rank")
        if normalise not in NORMALISE:
            errors.add("normalise", _("Normalise by percent rank or by min–max."))
        cut = raw.get("cut", "score")
        if cut not in CUTS:
            errors.add("cut", _("Cut tiers by score or by share of customers."))
            cut = None
        out.update({"normalise": normalise, "weights": _weights(raw.get("weights"), kind, weights_total, lookup, errors),
                    "cut": cut, "cutoffs": _cutoffs(raw.get("cutoffs"), cut, errors)})
    population = _population(raw.get("population"), kind, purpose, errors)
    if population:
        out["population"] = population
    errors.raise_if_any()
    return out


def measure_keys_of(definition: dict) -> list[str]:
    """The measures a (valid) definition reads, in a stable order."""
    if definition["method"] == "matrix":
        return list(dict.fromkeys([definition["potential"]["measure"], definition["adoption"]["measure"]]))
    return list(definition["weights"])


def describe(definition: dict) -> str:
    """One line for lists and history: the method and the measures."""
    if definition.get("method") == "matrix":
        return _("Matrix: potential %(p)s × adoption %(a)s") % {
            "p": definition["potential"]["measure"], "a": definition["adoption"]["measure"]}
    return _("Score: %(m)s") % {"m": ", ".join(f"{k} × {w}" for k, w in definition.get("weights", {}).items())}
