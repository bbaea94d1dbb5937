"""The customer lists, search, customer pages, lifecycle moves and master-data forms.

Lists and search answer every member (each sees their own part: tests/customers); a record
answers only those who see it (rep2's territory is elsewhere: 404), and tenant B never
(404). Master data changes are for admins and data stewards; analysts and finance read.
"""

from __future__ import annotations

from . import Row

A_MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
ALL = (*A_MEMBERS, "b_admin", "b_rep")


def cust(w):
    """Tenant A's customers (tests/customers/factories.py), made once per URL by ``PREPARE``
    and found by every row after it (called in A's scope)."""
    from customers.models import Hcp
    from tests.customers.factories import Customers, make_customers_a

    h1 = Hcp.objects.filter(external_code="D001").select_related("institution").first()
    if h1 is None:
        return make_customers_a(w)
    return Customers(h1=h1, i1=h1.institution.__class__.objects.get(external_code="H001"))


def PREPARE(w):  # noqa: N802 - the hook's name in tests/test_permission_matrix.py
    cust(w)


def _h1(w):
    return {"code": cust(w).h1.code}


def _i1(w):
    return {"code": cust(w).i1.code}


def _stage_hcp(w):
    return {"kind": "hcp", "code": cust(w).h1.code}


def _stage_data(w):
    return {"stage": "developing", "reason": "矩阵"}


def _everyone(name, *, kwargs=None, query=""):
    return [Row(name, "anon", 302, kwargs=kwargs, query=query),
            *[Row(name, r, 200, kwargs=kwargs, query=query) for r in ALL]]


def _record(name, kwargs):
    """A record aligned to rep's territory t1: rep2 (t3) does not see it."""
    return [Row(name, "anon", 302, kwargs=kwargs), Row(name, "rep2", 404, kwargs=kwargs),
            *[Row(name, r, 200, kwargs=kwargs) for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance")],
            Row(name, "b_admin", 404, kwargs=kwargs), Row(name, "b_rep", 404, kwargs=kwargs)]


def _master(name, kwargs=None, *, b_admin=200):
    return [Row(name, "anon", 302, kwargs=kwargs),
            *[Row(name, r, 403, kwargs=kwargs) for r in ("rep", "rep2", "manager", "analyst", "finance")],
            Row(name, "admin", 200, kwargs=kwargs), Row(name, "data_steward", 200, kwargs=kwargs),
            Row(name, "b_admin", b_admin, kwargs=kwargs), Row(name, "b_rep", 403, kwargs=kwargs)]


def _master_post(name, kwargs, data, *, ok=302, b=404):
    return [Row(name, "anon", 302, method="post", kwargs=kwargs, data=data),
            *[Row(name, r, 403, method="post", kwargs=kwargs, data=data)
              for r in ("rep", "rep2", "manager", "analyst", "finance", "b_rep")],
            *[Row(name, r, ok, method="post", kwargs=kwargs, data=data) for r in ("admin", "data_steward")],
            Row(name, "b_admin", b, method="post", kwargs=kwargs, data=data)]


def _affiliation(w):
    from customers.models import Affiliation

    c = cust(w)
    aff = Affiliation.objects.filter(hcp=c.h1).first() or Affiliation.objects.create(hcp=c.h1, institution=c.i1)
    return {"kind": "affiliation", "code": aff.code}


ROWS = [
    *_everyone("customers:hcp_options", query="hcp_q=zw"),
    *_master_post("customers:affiliation_add", _h1, lambda w: {"institution": str(cust(w).i1.code)}),
    *_master_post("customers:kol_link_add", _h1, lambda w: {"target": str(cust(w).h1.code), "kind": "peer"}),
    *_master_post("customers:supply_add", _i1, lambda w: {"supplier": str(cust(w).i1.code)}),
    *_master_post("customers:relation_end", _affiliation, None),
    *_everyone("customers:hcp_list"),
    *_everyone("customers:institution_list"),
    *_everyone("customers:search", query="q=zw"),
    *_everyone("customers:institution_options", query="institution_q=sh"),
    *_everyone("customers:export", kwargs=lambda w: {"list_name": "hcps", "fmt": "csv"}),
    *_record("customers:hcp_detail", _h1),
    *_record("customers:institution_detail", _i1),
    *_master("customers:hcp_new"),
    *_master("customers:institution_new"),
    *_master("customers:hcp_edit", _h1, b_admin=404),
    *_master("customers:institution_edit", _i1, b_admin=404),
    # Lifecycle: reps, managers, admins and stewards move what they see; analysts and finance read.
    Row("customers:stage_change", "anon", 302, method="post", kwargs=_stage_hcp, data=_stage_data),
    *[Row("customers:stage_change", r, 302, method="post", kwargs=_stage_hcp, data=_stage_data)
      for r in ("rep", "manager", "admin", "data_steward")],
    Row("customers:stage_change", "rep2", 404, method="post", kwargs=_stage_hcp, data=_stage_data),
    *[Row("customers:stage_change", r, 403, method="post", kwargs=_stage_hcp, data=_stage_data)
      for r in ("analyst", "finance")],
    *[Row("customers:stage_change", r, 404, method="post", kwargs=_stage_hcp, data=_stage_data) for r in ("b_admin", "b_rep")],
    Row("customers:stage_change", "b_admin", 404, method="post", kwargs=_stage_hcp, data=_stage_data),
    Row("customers:stage_change", "rep", 405, kwargs=_stage_hcp),
    # Deactivate / reactivate: master data.
    Row("customers:record_status", "anon", 302, method="post", kwargs=_stage_hcp, data=lambda w: {"active": "0"}),
    *[Row("customers:record_status", r, 403, method="post", kwargs=_stage_hcp, data=lambda w: {"active": "0"})
      for r in ("rep", "rep2", "manager", "analyst", "finance", "b_rep")],
    *[Row("customers:record_status", r, 302, method="post", kwargs=_stage_hcp, data=lambda w: {"active": "0"})
      for r in ("admin", "data_steward")],
    Row("customers:record_status", "b_admin", 404, method="post", kwargs=_stage_hcp, data=lambda w: {"active": "0"}),
    # Bulk actions and saved filters: any member, on what they see (tests/customers/test_pages.py).
    Row("customers:bulk_action", "anon", 302, method="post", kwargs=lambda w: {"list_name": "hcps"}),
    *[Row("customers:bulk_action", r, 302, method="post", kwargs=lambda w: {"list_name": "hcps"},
          data=lambda w: {"action": "stage", "stage": "active", "reason": "x", "codes": [str(cust(w).h1.code)]})
      for r in ALL],
    Row("customers:bulk_action", "rep", 404, method="post", kwargs=lambda w: {"list_name": "nope"}),
    Row("customers:saved_filter_save", "anon", 302, method="post", kwargs=lambda w: {"list_name": "hcps"}),
    *[Row("customers:saved_filter_save", r, 302, method="post", kwargs=lambda w: {"list_name": "hcps"},
          data=lambda w: {"name": "矩阵", "query": "q=zw"}) for r in ALL],
    Row("customers:saved_filter_delete", "anon", 302, method="post", kwargs=lambda w: {"code": _saved(w).code}),
    Row("customers:saved_filter_delete", "rep", 302, method="post", kwargs=lambda w: {"code": _saved(w).code}),
    *[Row("customers:saved_filter_delete", r, 404, method="post", kwargs=lambda w: {"code": _saved(w).code})
      for r in ("rep2", "manager", "admin", "b_admin", "b_rep")],
]


def _saved(w):
    from customers.models import SavedFilter

    saved = SavedFilter.objects.first()
    if saved is None:
        saved = SavedFilter.objects.create(owner=w.users["a"]["rep"].membership_row, list_name="hcps", name="矩阵",
                                           query="q=zw")
    return saved
