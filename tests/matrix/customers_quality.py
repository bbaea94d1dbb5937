"""Data quality: change requests (every member, for the customers they see — others are
404), a request's page (its requester, the tenant-wide roles, the managers above; others
404), the duplicates queue, compare, merge, dismiss, merge history and undo (data stewards
and admins; other members 403; tenant B 404 on tenant A's codes), and their API."""

from __future__ import annotations

from . import Row

MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance", "b_admin", "b_rep")
NOT_STEWARDS = ("rep", "rep2", "manager", "analyst", "finance")


# --------------------------------------------------------------------------- data (inside tenant A)


def _base(w):
    """An institution aligned to t1 (the rep's; the manager's district) with 张伟, and the
    chains of both request types. Idempotent within a row's savepoint."""
    import datetime as dt

    from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind
    from customers.models import Hcp, Institution
    from customers.services.alignment import align
    from products.models import ProductLine
    from products.services import product_line_create
    from tests.customers.factories import make_hcp, make_institution

    inst = Institution.objects.filter(external_code="MX-1").first()
    if inst is None:
        line = ProductLine.objects.filter(name="矩阵线").first() or product_line_create(name="矩阵线")
        inst = make_institution("矩阵医院", external_code="MX-1")
        align(customer=inst, territory=w.nodes["a"]["t1"], product_line=line,
              start_date=w.tenants["a"].today() - dt.timedelta(days=5))
        make_hcp("张伟", institution=inst, external_code="MX-H1")
        for key, step in (("customer_change", {"kind": ApproverKind.ROLE, "role": "data_steward"}),
                          ("alignment_challenge", {"kind": ApproverKind.DIRECT_MANAGER})):
            chain = ApprovalChain.objects.create(request_type=key, name=key)
            ApprovalChainStep.objects.create(chain=chain, order=1, **step)
    return inst, Hcp.objects.get(external_code="MX-H1")


def _hcp(w):
    return {"code": _base(w)[1].code}


def _inst(w):
    return {"code": _base(w)[0].code}


def _hcp_kind(w):
    return {"kind": "hcp", "code": _base(w)[1].code}


def _hcp_form(w):
    from customers.forms.changes import HcpChangeForm

    return {**HcpChangeForm.initial_for(_base(w)[1]), "title": "attending", "reason": "矩阵"}


def _inst_form(w):
    from customers.forms.changes import InstitutionChangeForm

    return {**InstitutionChangeForm.initial_for(_base(w)[0]), "grade": "3B", "reason": "矩阵"}


def _new_hcp_form(w):
    return {"institution": str(_base(w)[0].code), "name": "新医生", "reason": "矩阵"}


def _new_inst_form(w):
    return {"name": "矩阵诊所", "kind": "clinic", "province": "上海市", "city": "上海市", "reason": "矩阵"}


def _align_form(w):
    line = _base(w)[0].alignments.get().product_line
    return {"action": "drop", "territory": str(w.nodes["a"]["t1"].code), "product_line": str(line.code),
            "reason": "矩阵"}


def _dcr(w):
    from customers.services.changes import change_submit

    hcp = _base(w)[1]
    rep = w.users["a"]["rep"].membership_row
    dcr = change_submit(requester=rep, kind="edit", record=hcp, reason="矩阵", data={"title": "attending"})
    return {"code": dcr.code}


def _pair(w):
    from customers.services.duplicates import find_for
    from tests.customers.factories import make_hcp

    inst = _base(w)[0]
    (pair,) = find_for(make_hcp("张玮", institution=inst, department=""))
    return {"code": pair.code}


def _merge(w):
    from customers.services.merge import merge
    from tests.customers.factories import make_hcp

    inst, hcp = _base(w)
    done = merge(survivor=hcp, merged=make_hcp("张伟伟", institution=inst, department=""),
                 by=w.users["a"]["data_steward"].membership_row, reason="矩阵")
    return {"code": done.code}


SURVIVOR_A = lambda w: {"survivor": "a"}  # noqa: E731 - a row's data
DEACTIVATE_API = lambda w: {"kind": "deactivate", "hcp": str(_base(w)[1].code), "reason": "矩阵"}  # noqa: E731


def _post(name, role, expected, kwargs=None, data=None):
    return Row(name, role, expected, method="post", kwargs=kwargs, data=data)


def _record_page(name, kwargs, data):
    """Propose for a record: who sees it (200 / 302 after submitting), who does not (404)."""
    return [
        Row(name, "anon", 302, kwargs=kwargs),
        *[Row(name, r, 200, kwargs=kwargs) for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance")],
        *[Row(name, r, 404, kwargs=kwargs) for r in ("rep2", "b_admin", "b_rep")],
        _post(name, "anon", 302, kwargs, data),
        _post(name, "rep", 302, kwargs, data),
        _post(name, "manager", 302, kwargs, data),
        _post(name, "rep2", 404, kwargs, data),
        _post(name, "b_admin", 404, kwargs, data),
    ]


def _steward_page(name, kwargs=None, b_admin=404):
    return [
        Row(name, "anon", 302, kwargs=kwargs),
        *[Row(name, r, 403, kwargs=kwargs) for r in NOT_STEWARDS],
        Row(name, "data_steward", 200, kwargs=kwargs),
        Row(name, "admin", 200, kwargs=kwargs),
        Row(name, "b_admin", b_admin, kwargs=kwargs),
        Row(name, "b_rep", 403, kwargs=kwargs),
    ]


def _steward_post(name, kwargs, data=None, ok=302, api=False):
    anon = 403 if api else 302
    return [
        _post(name, "anon", anon, kwargs, data),
        *[_post(name, r, 403, kwargs, data) for r in ("rep", "manager", "analyst")],
        _post(name, "data_steward", ok, kwargs, data),
        _post(name, "admin", ok, kwargs, data),
        _post(name, "b_admin", 404, kwargs, data),
        _post(name, "b_rep", 403, kwargs, data),
    ]


ROWS = [
    # My change requests: every member has the page (tenant B's own, empty).
    Row("customers:my_changes", "anon", 302),
    *[Row("customers:my_changes", r, 200) for r in MEMBERS],
    Row("customers:my_changes", "rep", 200, query="state=pending"),
    # A request's page.
    Row("customers:change_detail", "anon", 302, kwargs=_dcr),
    *[Row("customers:change_detail", r, 200, kwargs=_dcr)
      for r in ("rep", "manager", "analyst", "admin", "data_steward", "finance")],
    *[Row("customers:change_detail", r, 404, kwargs=_dcr) for r in ("rep2", "b_admin", "b_rep")],
    # Proposals for a record the member sees.
    *_record_page("customers:change_hcp_edit", _hcp, _hcp_form),
    *_record_page("customers:change_institution_edit", _inst, _inst_form),
    *_record_page("customers:change_deactivate", _hcp_kind, lambda w: {"reason": "退休"}),
    Row("customers:change_align", "anon", 302, kwargs=_hcp_kind),
    *[Row("customers:change_align", r, 200, kwargs=_hcp_kind) for r in ("rep", "manager", "admin")],
    *[Row("customers:change_align", r, 404, kwargs=_hcp_kind) for r in ("rep2", "b_admin", "b_rep")],
    _post("customers:change_align", "rep", 302, lambda w: {"kind": "institution", "code": _base(w)[0].code},
          _align_form),
    _post("customers:change_align", "rep2", 404, lambda w: {"kind": "institution", "code": _base(w)[0].code},
          _align_form),
    _post("customers:change_align", "b_admin", 404, lambda w: {"kind": "institution", "code": _base(w)[0].code},
          _align_form),
    # New records: every member may propose one; an institution they do not see is refused (400).
    Row("customers:change_new_hcp", "anon", 302),
    *[Row("customers:change_new_hcp", r, 200) for r in MEMBERS],
    _post("customers:change_new_hcp", "rep", 302, data=_new_hcp_form),
    _post("customers:change_new_hcp", "rep2", 400, data=_new_hcp_form),
    _post("customers:change_new_hcp", "b_admin", 400, data=_new_hcp_form),
    Row("customers:change_new_institution", "anon", 302),
    *[Row("customers:change_new_institution", r, 200) for r in MEMBERS],
    _post("customers:change_new_institution", "rep", 302, data=lambda w: (_base(w), _new_inst_form(w))[1]),
    _post("customers:change_new_institution", "rep", 400, data=lambda w: {"name": "", "reason": ""}),
    # Duplicates and merges: data stewards and admins.
    *_steward_page("customers:duplicate_list", b_admin=200),
    Row("customers:duplicate_list", "data_steward", 200, query="kind=hcp"),
    *_steward_page("customers:duplicate_detail", _pair),
    *_steward_post("customers:duplicate_merge", _pair, SURVIVOR_A),
    _post("customers:duplicate_merge", "data_steward", 400, _pair, lambda w: {"survivor": "x"}),
    *_steward_post("customers:duplicate_dismiss", _pair),
    *_steward_page("customers:merge_list", b_admin=200),
    *_steward_post("customers:merge_undo", _merge),
    Row("customers:merge_undo", "data_steward", 405, kwargs=_merge),
    # API: change requests.
    Row("api-customers-changes-list", "anon", 403),
    *[Row("api-customers-changes-list", r, 200) for r in MEMBERS],
    _post("api-customers-changes-list", "rep", 201, data=DEACTIVATE_API),
    _post("api-customers-changes-list", "rep2", 404, data=DEACTIVATE_API),
    _post("api-customers-changes-list", "b_admin", 404, data=DEACTIVATE_API),
    _post("api-customers-changes-list", "rep", 400, data=lambda w: {"kind": "deactivate"}),
    Row("api-customers-changes-detail", "anon", 403, kwargs=_dcr),
    *[Row("api-customers-changes-detail", r, 200, kwargs=_dcr) for r in ("rep", "manager", "data_steward", "admin")],
    *[Row("api-customers-changes-detail", r, 404, kwargs=_dcr) for r in ("rep2", "b_admin", "b_rep")],
    # API: duplicates and merges.
    Row("api-customers-duplicates-list", "anon", 403),
    *[Row("api-customers-duplicates-list", r, 403) for r in (*NOT_STEWARDS, "b_rep")],
    *[Row("api-customers-duplicates-list", r, 200) for r in ("data_steward", "admin", "b_admin")],
    Row("api-customers-duplicates-detail", "anon", 403, kwargs=_pair),
    Row("api-customers-duplicates-detail", "rep", 403, kwargs=_pair),
    Row("api-customers-duplicates-detail", "data_steward", 200, kwargs=_pair),
    Row("api-customers-duplicates-detail", "b_admin", 404, kwargs=_pair),
    *_steward_post("api-customers-duplicates-merge", _pair, SURVIVOR_A, ok=201, api=True),
    *_steward_post("api-customers-duplicates-dismiss", _pair, ok=200, api=True),
    Row("api-customers-merges-list", "anon", 403),
    *[Row("api-customers-merges-list", r, 403) for r in (*NOT_STEWARDS, "b_rep")],
    *[Row("api-customers-merges-list", r, 200) for r in ("data_steward", "admin", "b_admin")],
    *_steward_post("api-customers-merges-undo", _merge, ok=200, api=True),
]
