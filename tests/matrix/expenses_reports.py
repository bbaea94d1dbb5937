"""``/expenses/flags/`` and ``/expenses/transfers/``: the spend-against-value flags (R20) and
the transfer-of-value report with its exports (issue 6).

Managers, analysts and admins read the flags (a manager only those of the HCPs they see);
finance, admins and analysts read the transfer-of-value report and export it. Every other
role gets 403; the other tenant's admin opens its own (empty) pages, its rep gets 403. A
bad period is refused with 400.
"""

from __future__ import annotations

from . import Row

ROLES = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")


def _rows(name, expect: dict, *, method="get", kwargs=None, data=None, anon=302, b_admin=403, b_rep=403, query=""):
    return [
        Row(name, "anon", anon, method=method, kwargs=kwargs, data=data, query=query),
        *[Row(name, r, expect.get(r, 403), method=method, kwargs=kwargs, data=data, query=query) for r in ROLES],
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data, query=query),
        Row(name, "b_rep", b_rep, method=method, kwargs=kwargs, data=data, query=query),
    ]


FLAGS = {"manager": 200, "analyst": 200, "admin": 200}
TRANSFERS = {"finance": 200, "analyst": 200, "admin": 200}
BAD_PERIOD = "start=2026-03-01&end=2026-02-01"

ROWS = [
    *_rows("expenses:flag_list", FLAGS, b_admin=200),
    Row("expenses:flag_list", "manager", 200, query="line=not-a-code"),
    *_rows("expenses:transfer_report", TRANSFERS, b_admin=200),
    Row("expenses:transfer_report", "finance", 200, query="by=institution&start=2026-01-01&end=2026-06-30"),
    Row("expenses:transfer_report", "finance", 400, query=BAD_PERIOD),
    *_rows("expenses:transfer_export", TRANSFERS, kwargs=lambda w: {"fmt": "csv"}, b_admin=200),
    *_rows("expenses:transfer_export", TRANSFERS, kwargs=lambda w: {"fmt": "xlsx"}, b_admin=200),
    Row("expenses:transfer_export", "finance", 404, kwargs=lambda w: {"fmt": "pdf"}),
    Row("expenses:transfer_export", "admin", 400, kwargs=lambda w: {"fmt": "csv"}, query=BAD_PERIOD),
]
