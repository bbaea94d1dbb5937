"""``/api/v1/customers/`` core records: every member lists and searches (cut to what they
see); a record by code for who sees it (the rep's territory t1: rep2 and tenant B get
404); creating and correcting for admins and data stewards (403 for the rest); lifecycle
moves for reps, managers, admins and data stewards (analyst and finance: 403).

The matrix sends PATCH bodies as a raw octet stream, which DRF does not parse; the PATCH
rows therefore send no body (a correction of nothing: 200) — the real corrections are in
``tests/customers/test_api_writes.py``.
"""

from __future__ import annotations

import datetime as dt

from . import Row

MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance", "b_admin", "b_rep")
SEE_T1 = ("rep", "manager", "analyst", "admin", "data_steward", "finance")
MASTER = ("admin", "data_steward")
NOT_MASTER = ("rep", "rep2", "manager", "analyst", "finance", "b_rep")
STAGE = ("rep", "manager", "admin", "data_steward")


def _records(w):
    """An institution aligned to t1 and an HCP there (seen through the institution)."""
    from customers.models import Hcp
    from tests.customers.factories import make_hcp, make_institution

    hcp = Hcp.objects.filter(external_code="MX-H1").select_related("institution").first()
    if hcp is not None:
        return hcp.institution, hcp
    from customers.services.alignment import align
    from products.services import product_line_create

    line = product_line_create(name="矩阵产品线")
    inst = make_institution("矩阵医院", external_code="MX-I1")
    align(customer=inst, territory=w.nodes["a"]["t1"], product_line=line,
          start_date=w.tenants["a"].today() - dt.timedelta(days=1))
    return inst, make_hcp("张伟", institution=inst, external_code="MX-H1")


def _hcp(w):
    return {"code": _records(w)[1].code}


def _inst(w):
    return {"code": _records(w)[0].code}


def _new_hcp(w):
    return {"name": "欧阳娜娜", "institution": str(_records(w)[0].code), "phone": "13912345678"}


def _new_inst(w):
    return {"name": "矩阵诊所", "kind": "clinic", "province": "上海市", "city": "上海市"}


def _stage(stage="developing", reason="首次拜访"):
    return lambda w: {"stage": stage, "reason": reason}


def _nothing(w):
    return ""


def _record_rows(base, kwargs, new):
    """Rows for ``api-customers-{base}-*``."""
    rows = [
        # list and create
        Row(f"{base}-list", "anon", 403),
        *[Row(f"{base}-list", r, 200) for r in MEMBERS],
        Row(f"{base}-list", "rep", 200, query="stage=prospect&stage=key&mine=true&sort=-potential"),
        Row(f"{base}-list", "rep", 400, query="stage=famous"),
        Row(f"{base}-list", "analyst", 400, query="territory=not-a-code"),
        Row(f"{base}-list", "analyst", 404, query="page=9999"),
        Row(f"{base}-list", "anon", 403, method="post", data=new),
        *[Row(f"{base}-list", r, 201, method="post", data=new) for r in MASTER],
        *[Row(f"{base}-list", r, 403, method="post", data=new) for r in NOT_MASTER],
        Row(f"{base}-list", "admin", 400, method="post", data=lambda w: {"name": ""}),
        # one record
        Row(f"{base}-detail", "anon", 403, kwargs=kwargs),
        *[Row(f"{base}-detail", r, 200, kwargs=kwargs) for r in SEE_T1],
        *[Row(f"{base}-detail", r, 404, kwargs=kwargs) for r in ("rep2", "b_admin", "b_rep")],
        Row(f"{base}-detail", "anon", 403, method="patch", kwargs=kwargs, data=_nothing),
        *[Row(f"{base}-detail", r, 200, method="patch", kwargs=kwargs, data=_nothing) for r in MASTER],
        *[Row(f"{base}-detail", r, 403, method="patch", kwargs=kwargs, data=_nothing) for r in NOT_MASTER],
        Row(f"{base}-detail", "b_admin", 404, method="patch", kwargs=kwargs, data=_nothing),
        Row(f"{base}-detail", "admin", 405, method="put", kwargs=kwargs, data=_nothing),
        Row(f"{base}-detail", "admin", 405, method="delete", kwargs=kwargs),
        # lifecycle
        Row(f"{base}-stage", "anon", 403, method="post", kwargs=kwargs, data=_stage()),
        *[Row(f"{base}-stage", r, 200, method="post", kwargs=kwargs, data=_stage()) for r in STAGE],
        *[Row(f"{base}-stage", r, 403, method="post", kwargs=kwargs, data=_stage()) for r in ("analyst", "finance")],
        *[Row(f"{base}-stage", r, 404, method="post", kwargs=kwargs, data=_stage()) for r in ("rep2", "b_admin", "b_rep")],
        Row(f"{base}-stage", "rep", 400, method="post", kwargs=kwargs, data=_stage(reason="")),
        Row(f"{base}-stage", "rep", 400, method="post", kwargs=kwargs, data=_stage(stage="famous")),
        Row(f"{base}-stage", "rep", 405, kwargs=kwargs),
        # timeline
        Row(f"{base}-timeline", "anon", 403, kwargs=kwargs),
        *[Row(f"{base}-timeline", r, 200, kwargs=kwargs) for r in SEE_T1],
        *[Row(f"{base}-timeline", r, 404, kwargs=kwargs) for r in ("rep2", "b_admin", "b_rep")],
        Row(f"{base}-timeline", "rep", 400, kwargs=kwargs, query="limit=0"),
    ]
    return rows


ROWS = [
    *_record_rows("api-customers-hcps", _hcp, _new_hcp),
    *_record_rows("api-customers-institutions", _inst, _new_inst),
    # tenant B's admin creating an HCP at tenant A's institution: no such institution for them
    Row("api-customers-hcps-list", "b_admin", 400, method="post", data=_new_hcp),
    Row("api-customers-institutions-list", "b_admin", 201, method="post", data=_new_inst),
    # search: every member, cut to what they see
    Row("api-customers-search", "anon", 403, query="q=zw"),
    *[Row("api-customers-search", r, 200, query="q=zw") for r in MEMBERS],
    Row("api-customers-search", "rep", 200),
    Row("api-customers-search", "rep", 400, query="q=zw&limit=0"),
    Row("api-customers-search", "rep", 405, method="post"),
]
