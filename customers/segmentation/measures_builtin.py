"""The built-in measures: attributes of the customer master itself.

Activity and results (calls, sales, event attendance, spend) come from the apps that own
them, registered in their ``AppConfig.ready()``; until then a rule can only use these.
Ranks turn categories into numbers (a higher rank is more potential): hospital grade
三级甲等 = 7 … 一级 = 1; title chief = 4 … resident = 1; lifecycle stage (an adoption
proxy) prospect = 1, developing = 2, active = 3, key = 4, dormant = 1.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from .measures import Measure, register_measure

GRADE_RANK = {"3A": 7, "3B": 6, "3C": 5, "2A": 4, "2B": 3, "2C": 2, "1": 1}
TITLE_RANK = {"chief": 4, "associate_chief": 3, "attending": 2, "resident": 1, "chief_pharmacist": 3,
              "pharmacist": 2, "nurse": 1}
STAGE_RANK = {"prospect": 1, "developing": 2, "active": 3, "key": 4, "dormant": 1}


def _case(column: str, ranks: dict[str, int]) -> str:
    whens = " ".join(f"WHEN '{k}' THEN {v}" for k, v in ranks.items())
    return f"CASE {column} {whens} END"


_LIVE_HCPS = "status = 'active' AND stage <> 'terminated'"

BUILTIN = [
    # --- HCPs
    Measure(key="hcp.potential", label=_("HCP: potential (yearly value)"), kind="hcp", expr="c.potential", order=10),
    Measure(key="hcp.title_rank", label=_("HCP: title rank (chief 4 … resident 1)"), kind="hcp",
            expr=_case("c.title", TITLE_RANK), order=20),
    Measure(key="hcp.kol", label=_("HCP: key opinion leader (1 or 0)"), kind="hcp",
            expr="CASE WHEN c.is_kol THEN 1 ELSE 0 END", order=30),
    Measure(key="hcp.stage_rank", label=_("HCP: lifecycle stage (prospect 1 … key 4)"), kind="hcp",
            expr=_case("c.stage", STAGE_RANK), order=40),
    Measure(key="hcp.institution_grade_rank", label=_("HCP: grade of the primary institution (三甲 7 … 一级 1)"),
            kind="hcp", order=50, per_institution=True,
            sql=f"SELECT i.id, {_case('i.grade', GRADE_RANK)} FROM customers_institution i "
                "WHERE i.tenant_id = %(tenant)s"),
    Measure(key="hcp.institution_beds", label=_("HCP: beds of the primary institution"), kind="hcp", order=60,
            per_institution=True,
            sql="SELECT i.id, i.beds FROM customers_institution i WHERE i.tenant_id = %(tenant)s"),
    # --- institutions
    Measure(key="institution.potential", label=_("Institution: potential (yearly value)"), kind="institution",
            expr="c.potential", order=10),
    Measure(key="institution.beds", label=_("Institution: beds"), kind="institution", expr="c.beds", order=20),
    Measure(key="institution.grade_rank", label=_("Institution: grade rank (三甲 7 … 一级 1)"), kind="institution",
            expr=_case("c.grade", GRADE_RANK), order=30),
    Measure(key="institution.hcp_count", label=_("Institution: number of HCPs"), kind="institution", missing=0,
            order=40,
            sql=f"SELECT institution_id, count(*) FROM customers_hcp WHERE tenant_id = %(tenant)s AND {_LIVE_HCPS} "
                "GROUP BY institution_id"),
    Measure(key="institution.department_count", label=_("Institution: number of departments"), kind="institution",
            missing=0, order=50,
            sql="SELECT institution_id, count(*) FROM customers_department WHERE tenant_id = %(tenant)s "
                "AND is_active GROUP BY institution_id"),
    Measure(key="institution.stage_rank", label=_("Institution: lifecycle stage (prospect 1 … key 4)"),
            kind="institution", expr=_case("c.stage", STAGE_RANK), order=60),
]


def register_builtin() -> None:
    for measure in BUILTIN:
        register_measure(measure)
