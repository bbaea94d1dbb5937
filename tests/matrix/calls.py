"""``/calls/`` and ``/api/v1/calls/``: every member reads the calls they see (a rep their own,
rep2 not the rep's: 404; the manager the team's; tenant-wide roles all); reps and managers
log calls and change only their own (someone else's they see: 403); tasks are their
assignee's; settings and key messages are the admin's. The other tenant gets its own
(empty) lists and 404 for tenant A's calls, tasks and messages."""

from __future__ import annotations

import datetime as dt

from . import Row

MEMBERS = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
NOT_LOGGERS = ("analyst", "admin", "data_steward", "finance")
NOTE = "矩阵拜访"


def PREPARE(w):  # noqa: N802 - the hook's name in tests/test_permission_matrix.py
    """Tenant A's customers, a brand with a key message, one submitted call of the rep (on
    张伟) with its follow-up task. Made once per URL."""
    import uuid

    from django.utils import timezone

    from calls.models import Call
    from calls.services import call_save, key_message_create, parse_call_input
    from products.services import brand_create
    from tests.calls.conftest import backdate_customers
    from tests.customers.factories import make_customers_a

    if Call.objects.filter(notes=NOTE).exists():
        return
    c = make_customers_a(w)
    brand = brand_create(product_line=c.line, name="矩阵药")
    message = key_message_create(brand=brand, text="矩阵信息")
    backdate_customers()
    call_save(rep=w.users["a"]["rep"].membership_row, code=uuid.uuid4(), submit=True, data=parse_call_input({
        "hcp": str(c.zw.code), "at": (timezone.now() - dt.timedelta(hours=1)).isoformat(), "notes": NOTE,
        "next_step": "矩阵任务", "products": [{"brand": str(brand.code), "messages": [str(message.code)]}]}))


def _call(w):
    from calls.models import Call

    return Call.objects.get(notes=NOTE)


def _code(w):
    return {"code": _call(w).code}


def _task_code(w):
    from calls.models import FollowUp

    return {"code": FollowUp.objects.get(call=_call(w)).code}


def _km_code(w):
    from calls.models import KeyMessage

    return {"code": KeyMessage.objects.get(text="矩阵信息").code}


def _form(w):
    from django.utils import timezone

    from customers.models import Hcp

    return {"code": "7b0e6c36-2a0b-4a8e-9d59-0d9d2b3f7a11", "call_type": "f2f", "action": "submit",
            "hcp": str(Hcp.objects.get(name="张伟").code), "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")}


def _api_form(w):
    data = _form(w)
    data.pop("action")
    return data


def _settings(w):
    return {"lock_after_days": "5", "checkin": "optional", "far_distance_m": "500", "late_hours": "12"}


def _rows(name, expect: dict, *, method="get", kwargs=None, data=None, query=""):
    return [Row(name, role, status, method=method, kwargs=kwargs, data=data, query=query)
            for role, status in expect.items()]


def _all(status_members, *, anon, b_admin, b_rep, **over):
    expect = {"anon": anon, **dict.fromkeys(MEMBERS, status_members), "b_admin": b_admin, "b_rep": b_rep}
    expect.update(over)
    return expect


LOGGER_ONLY = dict.fromkeys(NOT_LOGGERS, 403)

ROWS = [
    # --- pages
    *_rows("calls:call_list", _all(200, anon=302, b_admin=200, b_rep=200)),
    *_rows("calls:call_list", _all(200, anon=302, b_admin=200, b_rep=200), query="who=team&flagged=1&status=submitted"),
    *_rows("calls:call_new", _all(200, anon=302, b_admin=403, b_rep=200, **LOGGER_ONLY)),
    *_rows("calls:call_new", _all(302, anon=302, b_admin=403, b_rep=400, rep2=400, **LOGGER_ONLY),
           method="post", data=_form),
    *_rows("calls:call_detail", _all(200, anon=302, b_admin=404, b_rep=404, rep2=404), kwargs=_code),
    *_rows("calls:call_edit", _all(403, anon=302, b_admin=403, b_rep=404, rep=200, rep2=404), kwargs=_code),
    *_rows("calls:call_edit", _all(403, anon=302, b_admin=403, b_rep=404, rep=400, rep2=404), kwargs=_code,
           method="post", data=_form),
    *_rows("calls:hcp_options", _all(200, anon=302, b_admin=403, b_rep=200, **LOGGER_ONLY), query="q=zhang"),
    *_rows("calls:task_list", _all(200, anon=302, b_admin=200, b_rep=200)),
    *_rows("calls:task_list", _all(302, anon=302, b_admin=302, b_rep=302), method="post",
           data=lambda w: {"title": "矩阵新任务"}),
    *_rows("calls:task_done", _all(403, anon=302, b_admin=404, b_rep=404, rep=302, rep2=404), kwargs=_task_code,
           method="post"),
    *_rows("calls:settings", _all(403, anon=302, b_admin=200, b_rep=403, admin=200)),
    *_rows("calls:settings", _all(403, anon=302, b_admin=302, b_rep=403, admin=302), method="post", data=_settings),
    *_rows("calls:key_messages", _all(403, anon=302, b_admin=200, b_rep=403, admin=200)),
    *_rows("calls:key_message_change", _all(403, anon=302, b_admin=404, b_rep=403, admin=302), kwargs=_km_code,
           method="post", data=lambda w: {"op": "deactivate"}),
    # --- API
    *_rows("api-calls-calls-list", _all(200, anon=403, b_admin=200, b_rep=200)),
    *_rows("api-calls-calls-list", _all(201, anon=403, b_admin=403, b_rep=400, rep2=400, **LOGGER_ONLY),
           method="post", data=_api_form),
    *_rows("api-calls-calls-detail", _all(200, anon=403, b_admin=404, b_rep=404, rep2=404), kwargs=_code),
    *_rows("api-calls-tasks-list", _all(200, anon=403, b_admin=200, b_rep=200)),
    *_rows("api-calls-tasks-list", _all(201, anon=403, b_admin=201, b_rep=201), method="post",
           data=lambda w: {"title": "矩阵接口任务"}),
    *_rows("api-calls-tasks-done", _all(403, anon=403, b_admin=404, b_rep=404, rep=200, rep2=404), kwargs=_task_code,
           method="post"),
]
