"""``/expenses/`` spend control: budgets, caps, categories, exchange rates (issue 6).

The budget list is for managers (their part of the organisation), analysts, admins and
finance; reps and data stewards get 403. Creating, editing, allocating and deleting budgets
and the configuration pages (caps, categories, rates) are for admins and finance. The other
tenant gets 404 for tenant A's codes, its own (empty) lists, and a form posted with tenant
A's node or category codes is refused (400: not a valid choice).
"""

from __future__ import annotations

import datetime as dt

from . import Row

ROLES = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
CONFIG = {"admin": 200, "finance": 200}
CONFIG_POST = {"admin": 302, "finance": 302}


def _year(w):
    y = w.tenants["a"].today().year
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def PREPARE(w):  # noqa: N802 - the matrix's hook name
    from expenses.models import Budget, ExchangeRate, ExpenseCategory, SpendCap

    if Budget.objects.filter(name="矩阵上海").exists():
        return
    meals = ExpenseCategory.objects.create(key="mx-meals", name="矩阵餐费", needs_hcp=True)
    ExpenseCategory.objects.create(key="mx-travel", name="矩阵差旅")
    SpendCap.objects.create(category=meals, annual_limit=2000, is_hard=True)
    ExchangeRate.objects.create(currency="USD", rate="7.1", valid_from=w.tenants["a"].today() - dt.timedelta(days=9))
    start, end = _year(w)
    nodes = w.nodes["a"]
    parent = Budget.objects.create(name="矩阵上海", node=nodes["district"], start_date=start, end_date=end, amount=10000)
    Budget.objects.create(name="矩阵浦东", node=nodes["t1"], start_date=start, end_date=end, amount=2000, parent=parent)
    Budget.objects.create(name="矩阵空", node=nodes["t2"], start_date=start, end_date=end, amount=100)


def _budget(name):
    def kwargs(w):
        from expenses.models import Budget

        return {"code": Budget.objects.get(name=name).code}

    return kwargs


def _cap(w):
    from expenses.models import SpendCap

    return {"code": SpendCap.objects.get(category__key="mx-meals", is_active=True).code}


def _category(w):
    from expenses.models import ExpenseCategory

    return {"code": ExpenseCategory.objects.get(key="mx-meals").code}


def _budget_form(node="t2", amount="1000", **over):
    def data(w):
        start, end = _year(w)
        d = {"name": "矩阵新预算", "node": str(w.nodes["a"][node].code), "category": "", "campaign": "",
             "start_date": start.isoformat(), "end_date": end.isoformat(), "amount": amount, "is_hard": ""}
        d.update(over)
        return d

    return data


def _cap_form(w):
    from expenses.models import ExpenseCategory

    return {"category": str(ExpenseCategory.objects.get(key="mx-travel").code), "annual_limit": "3000",
            "warn_percent": "80", "is_hard": "on"}


def _rate_form(w):
    return {"currency": "EUR", "rate": "7.8", "valid_from": w.tenants["a"].today().isoformat()}


def _rows(name, expect: dict, *, method="get", kwargs=None, data=None, anon=302, b_admin=403, b_rep=403, query=""):
    return [
        Row(name, "anon", anon, method=method, kwargs=kwargs, data=data, query=query),
        *[Row(name, r, expect.get(r, 403), method=method, kwargs=kwargs, data=data, query=query) for r in ROLES],
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data, query=query),
        Row(name, "b_rep", b_rep, method=method, kwargs=kwargs, data=data, query=query),
    ]


ROWS = [
    # --------------------------------------------------------------------- budgets
    *_rows("expenses:budget_list", {"manager": 200, "analyst": 200, "admin": 200, "finance": 200}, b_admin=200),
    Row("expenses:budget_list", "manager", 200, query="year=1999&node=not-a-code"),
    *_rows("expenses:budget_new", CONFIG, b_admin=200),
    *_rows("expenses:budget_new", CONFIG_POST, method="post", data=_budget_form(), b_admin=400),
    Row("expenses:budget_new", "admin", 400, method="post", data=_budget_form(amount="1.001")),
    *_rows("expenses:budget_edit", CONFIG, kwargs=_budget("矩阵浦东"), b_admin=404),
    *_rows("expenses:budget_edit", CONFIG_POST, method="post", kwargs=_budget("矩阵浦东"),
           data=_budget_form(node="t1", amount="2500", name="矩阵浦东"), b_admin=404),
    Row("expenses:budget_edit", "finance", 400, method="post", kwargs=_budget("矩阵浦东"),
        data=_budget_form(node="other", amount="2500")),  # 北京地区 is not under 上海地区
    *_rows("expenses:budget_allocate", CONFIG, kwargs=_budget("矩阵上海"), b_admin=404),
    *_rows("expenses:budget_allocate", CONFIG_POST, method="post", kwargs=_budget("矩阵上海"),
           data=_budget_form(), b_admin=404),
    Row("expenses:budget_allocate", "admin", 400, method="post", kwargs=_budget("矩阵上海"),
        data=_budget_form(amount="8000.01")),  # 2,000 allocated already
    *_rows("expenses:budget_delete", CONFIG, kwargs=_budget("矩阵空"), b_admin=404),
    *_rows("expenses:budget_delete", CONFIG_POST, method="post", kwargs=_budget("矩阵空"), b_admin=404),
    Row("expenses:budget_delete", "admin", 400, method="post", kwargs=_budget("矩阵上海")),  # allocated from
    # --------------------------------------------------------------------- caps
    *_rows("expenses:cap_list", CONFIG, b_admin=200),
    *_rows("expenses:cap_list", CONFIG_POST, method="post", data=_cap_form, b_admin=400),
    Row("expenses:cap_list", "finance", 400, method="post", data=lambda w: {**_cap_form(w), "annual_limit": "0"}),
    *_rows("expenses:cap_edit", CONFIG, kwargs=_cap, b_admin=404),
    *_rows("expenses:cap_edit", CONFIG_POST, method="post", kwargs=_cap,
           data=lambda w: {"annual_limit": "2500", "warn_percent": "70", "is_hard": "on"}, b_admin=404),
    Row("expenses:cap_edit", "admin", 400, method="post", kwargs=_cap,
        data=lambda w: {"annual_limit": "2500", "warn_percent": "0"}),
    *_rows("expenses:cap_deactivate", CONFIG_POST, method="post", kwargs=_cap, b_admin=404),
    Row("expenses:cap_deactivate", "admin", 405, kwargs=_cap),
    # --------------------------------------------------------------------- categories
    *_rows("expenses:category_list", CONFIG, b_admin=200),
    *_rows("expenses:category_list", CONFIG_POST, method="post",
           data=lambda w: {"name": "矩阵新类别", "key": "mx-new", "position": "1", "is_active": "on"}, b_admin=302),
    Row("expenses:category_list", "admin", 400, method="post",
        data=lambda w: {"name": "矩阵重复", "key": "mx-meals", "position": "1"}),
    *_rows("expenses:category_edit", CONFIG, kwargs=_category, b_admin=404),
    *_rows("expenses:category_edit", CONFIG_POST, method="post", kwargs=_category,
           data=lambda w: {"name": "矩阵餐费改", "key": "mx-meals", "position": "0", "is_active": "on"}, b_admin=404),
    Row("expenses:category_edit", "finance", 400, method="post", kwargs=_category,
        data=lambda w: {"name": "矩阵餐费改", "key": "mx-travel", "position": "0"}),
    # --------------------------------------------------------------------- exchange rates
    *_rows("expenses:rate_list", CONFIG, b_admin=200),
    *_rows("expenses:rate_list", CONFIG_POST, method="post", data=_rate_form, b_admin=302),
    Row("expenses:rate_list", "admin", 400, method="post", data=lambda w: {**_rate_form(w), "currency": "CNY"}),
]
