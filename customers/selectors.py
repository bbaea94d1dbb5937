"""Read queries of the customer master, always scoped to what the user sees.

Pages and the API call these; none of them loops over rows. A list is one query for the
page and one capped count; search is one query per kind.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, F, FloatField, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Greatest
from django.http import Http404

from accounts.models import OrgNode
from accounts.visibility import sees_whole_tenant

from . import lookups  # noqa: F401 - registers __prefix
from .models import (
    Alignment,
    Grade,
    Hcp,
    Institution,
    InstitutionKind,
    Specialty,
    Stage,
    Status,
    Tier,
)
from .pinyin import normalise_query
from .visibility import customer_visible_q

COUNT_CAP = 10_000
SEARCH_MIN_SIMILARITY = 0.3


# --------------------------------------------------------------------------- single records


def hcp_for(user, code) -> Hcp:
    """The HCP with ``code`` if ``user`` sees it (merged records too: their page says where
    they went); else 404 — another tenant's code is simply not there."""
    hcp = (Hcp.objects.filter(code=code).filter(customer_visible_q(Hcp, user))
           .select_related("institution", "department", "merged_into").first())
    if hcp is None:
        raise Http404
    return hcp


def institution_for(user, code) -> Institution:
    inst = (Institution.objects.filter(code=code).filter(customer_visible_q(Institution, user))
            .select_related("merged_into").first())
    if inst is None:
        raise Http404
    return inst


# --------------------------------------------------------------------------- lists


@dataclass(frozen=True)
class Sort:
    key: str
    label: str
    order: tuple


def _sorts():
    from django.utils.translation import gettext_lazy as _

    return {
        "name": Sort("name", _("Name (A–Z by pinyin)"), ("name_pinyin", "id")),
        "-name": Sort("-name", _("Name (Z–A by pinyin)"), ("-name_pinyin", "-id")),
        "-potential": Sort("-potential", _("Potential, highest first"), ("-potential", "id")),
        "-updated": Sort("-updated", _("Recently changed"), ("-updated_at", "-id")),
    }


SORTS = _sorts()


def _choice(params, key, choices) -> list[str]:
    values = params.getlist(key) if hasattr(params, "getlist") else ([params[key]] if params.get(key) else [])
    return [v for v in values if v in choices.values and v != ""] + (
        [""] if "none" in values and "" in choices.values else [])


TRUE = {"1", "true", "on", "yes", "y"}


def _flag(params, key: str) -> bool:
    return str(params.get(key) or "").strip().lower() in TRUE


def _uuid(value):
    import uuid

    try:
        return uuid.UUID(str(value).strip())
    except ValueError:
        return None


_NO_NODE = OrgNode(path="/nothing/")  # a filter by an unknown territory finds nothing, not everything


def _territory(params) -> OrgNode | None:
    code = (params.get("territory") or "").strip()
    if not code:
        return None
    uid = _uuid(code)
    node = OrgNode.objects.filter(code=uid).only("id", "path").first() if uid else None
    return node or _NO_NODE


def _aligned_under(node: OrgNode, field: str, day: dt.date):
    """Ids aligned on ``day`` to ``node`` or a node under it (``IN``, not a correlated EXISTS:
    see ``customers.visibility``)."""
    nodes = OrgNode.objects.filter(path__startswith=node.path).values("id")
    return (Alignment.objects.active_on(day).filter(**{f"{field}__isnull": False}, territory_id__in=nodes)
            .values(f"{field}_id"))


def _common_filters(qs, model, user, params, day):
    show = params.get("show", "")
    if show == "all":
        qs = qs.live()
    elif show == "inactive":
        qs = qs.filter(status=Status.INACTIVE)
    else:
        qs = qs.in_lists().filter(status=Status.ACTIVE)
    stages = _choice(params, "stage", Stage)
    if stages:
        qs = qs.filter(stage__in=stages)
    tiers = _choice(params, "tier", Tier)
    if tiers:
        qs = qs.filter(tier__in=tiers)
    if _flag(params, "mine"):
        qs = qs.filter(customer_visible_q(model, user, on=day, mine=True))
    node = _territory(params)
    if node is not None:
        if model is Hcp:
            qs = qs.filter(Q(pk__in=_aligned_under(node, "hcp", day))
                           | Q(institution_id__in=_aligned_under(node, "institution", day)))
        else:
            qs = qs.filter(pk__in=_aligned_under(node, "institution", day))
    q = normalise_query(params.get("q", ""))
    if q:
        qs = qs.filter(_match_q(q))
    return qs


def _match_q(q: str) -> Q:
    """Prefix of the Chinese name, the pinyin or the initials (index ranges: ``^@``).
    Typos and other readings are for the search box (``search``), not the list filter."""
    if any("\u3400" <= ch <= "\u9fff" for ch in q):
        return Q(name__prefix=q)
    return Q(initials__prefix=q) | Q(name_pinyin__prefix=q)


def hcp_list(user, params, *, day: dt.date | None = None) -> QuerySet:
    qs = Hcp.objects.filter(customer_visible_q(Hcp, user, on=day))
    qs = _common_filters(qs, Hcp, user, params, day or _today())
    specialties = _choice(params, "specialty", Specialty)
    if specialties:
        qs = qs.filter(specialty__in=specialties)
    if _flag(params, "kol"):
        qs = qs.filter(is_kol=True)
    if _flag(params, "target"):
        qs = qs.filter(is_target=True)
    institution = (params.get("institution") or "").strip()
    if institution:
        qs = qs.filter(institution__code=_uuid(institution)) if _uuid(institution) else qs.none()
    city = (params.get("city") or "").strip()
    if city:
        qs = qs.filter(institution__city=city)
    sort = SORTS.get(params.get("sort") or "name", SORTS["name"])
    return qs.select_related("institution", "department").order_by(*sort.order)


def institution_list(user, params, *, day: dt.date | None = None) -> QuerySet:
    qs = Institution.objects.filter(customer_visible_q(Institution, user, on=day))
    qs = _common_filters(qs, Institution, user, params, day or _today())
    kinds = _choice(params, "kind", InstitutionKind)
    if kinds:
        qs = qs.filter(kind__in=kinds)
    grades = _choice(params, "grade", Grade)
    if grades:
        qs = qs.filter(grade__in=grades)
    for field in ("province", "city"):
        value = (params.get(field) or "").strip()
        if value:
            qs = qs.filter(**{field: value})
    sort = SORTS.get(params.get("sort") or "name", SORTS["name"])
    return qs.order_by(*sort.order)


def capped_count(qs: QuerySet, cap: int = COUNT_CAP) -> tuple[int, bool]:
    """``(n, more)``: the exact count up to ``cap`` rows (one query that stops there), so a
    list of 200,000 visible HCPs never counts them all on every page."""
    n = qs.order_by().values("pk")[: cap + 1].count()
    return min(n, cap), n > cap


def _today() -> dt.date:
    from sfe.core.tenancy import current_tenant

    return current_tenant().today()


# --------------------------------------------------------------------------- search


def _is_han(q: str) -> bool:
    return any("\u3400" <= ch <= "\u9fff" for ch in q)


def _prefix_ranked(qs, q: str):
    """Prefix matches (index ranges even under row security: ``^@``), best first."""
    if _is_han(q):
        rank = Case(When(name=q, then=Value(0)), default=Value(1), output_field=IntegerField())
        return qs.filter(name__prefix=q).annotate(rank=rank).order_by("rank", "name_pinyin", "id")
    rank = Case(When(initials=q, then=Value(0)), When(name_pinyin=q, then=Value(0)), default=Value(1),
                output_field=IntegerField())
    return (qs.filter(Q(initials__prefix=q) | Q(name_pinyin__prefix=q)).annotate(rank=rank)
            .order_by("rank", "name_pinyin", "id"))


def _fuzzy(qs, model, user, q: str, exclude: list[int], limit: int):
    """Typos, infixes and other readings of heteronyms (three letters or more).

    A viewer of the whole tenant gets the tenant's best trigram matches from
    ``sfe_fuzzy_<model>`` (an index search, see migration 0003); anyone else has a limited
    set of customers, and the similarity is computed over that set only.
    """
    from django.contrib.postgres.search import TrigramSimilarity
    from django.db.models.expressions import RawSQL

    table = "hcp" if model is Hcp else "institution"
    if sees_whole_tenant(user):
        qs = qs.filter(pk__in=RawSQL(f"SELECT sfe_fuzzy_{table}(%s, %s)", [q, 200]))  # noqa: S611 - fixed SQL
    else:
        field = "name" if _is_han(q) else "name_pinyin"
        qs = qs.filter(Q(**{f"{field}__trigram_similar": q}) | Q(search_alt__contains=q))
    sim = Greatest(TrigramSimilarity("name_pinyin", q), TrigramSimilarity("name", q), output_field=FloatField())
    return list(qs.exclude(pk__in=exclude).annotate(similarity=sim).order_by(F("similarity").desc(), "id")[:limit])


def _search(qs, model, user, q: str, limit: int) -> list:
    q = normalise_query(q)
    if not q:
        return []
    found = list(_prefix_ranked(qs, q)[:limit])
    if len(found) < limit and len(q) >= 3:
        found += _fuzzy(qs, model, user, q, [r.pk for r in found], limit - len(found))
    return found


def search_hcps(user, q: str, limit: int = 10) -> list[Hcp]:
    qs = Hcp.objects.live().filter(customer_visible_q(Hcp, user)).select_related("institution", "department")
    return _search(qs, Hcp, user, q, limit)


def search_institutions(user, q: str, limit: int = 5) -> list[Institution]:
    qs = Institution.objects.live().filter(customer_visible_q(Institution, user))
    return _search(qs, Institution, user, q, limit)


def search(user, q: str, limit: int = 10) -> dict:
    """As-you-type results: ``{"hcps": [...], "institutions": [...]}``, two queries."""
    return {"hcps": search_hcps(user, q, limit), "institutions": search_institutions(user, q, max(3, limit // 2))}


# --------------------------------------------------------------------------- customer page


def current_alignments(customer, day: dt.date | None = None) -> list[Alignment]:
    field = "hcp" if isinstance(customer, Hcp) else "institution"
    return list(Alignment.objects.filter(**{field: customer}).active_on(day or _today())
                .select_related("territory", "product_line").order_by("product_line__name", "territory__name"))


def alignment_history(customer) -> list[Alignment]:
    field = "hcp" if isinstance(customer, Hcp) else "institution"
    return list(Alignment.objects.filter(**{field: customer}).select_related("territory", "product_line")
                .order_by("-start_date", "product_line__name"))


def sees_everything(user) -> bool:
    return sees_whole_tenant(user)
