"""``/api/v1/expenses/``: claims, receipts, budgets, caps and categories (issue 6).

Reps, managers, analysts, admins and finance read claims (each what ``expenses.visibility``
shows them: a draft only to its rep; rep2, outside the rep's territory, none of the rep's:
404); data stewards get 403 everywhere. Reps and managers file claims (analysts, admins and
finance: 403); only a claim's rep changes, submits, corrects or deletes it and adds or removes
its receipts — whoever else sees it gets 403. Budgets are for managers (their nodes),
analysts, admins and finance (reps 403); caps and categories for every expense reader. The
other tenant gets 404 for tenant A's codes (403 where its role may not use the endpoint).

The matrix posts form data: a claim's lines go as ``lines[0]category`` … (DRF's form
nesting). Its PATCH and PUT bodies are a raw octet stream, which DRF does not parse: the
claim's rep gets 415 (past the role and visibility checks), everyone else 403 or 404 before
the body is read; the real changes are in ``tests/expenses/test_api.py``. The receipt files ``PREPARE`` writes are removed when
the test process ends.
"""

from __future__ import annotations

import atexit
import datetime as dt

from . import Row

A = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
ALL = (*A, "b_admin", "b_rep")
READERS = ("rep", "rep2", "manager", "analyst", "admin", "finance")
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 64 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64
_FILES: list[str] = []


def _cleanup() -> None:
    from django.core.files.storage import default_storage

    for name in _FILES:
        try:
            default_storage.delete(name)
        except OSError:  # pragma: no cover - gone already
            pass


atexit.register(_cleanup)


def _receipt(claim, rep):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from expenses.services import receipt_add

    receipt = receipt_add(claim=claim, upload=SimpleUploadedFile("矩阵发票.jpg", JPEG), by=rep)
    _FILES.append(receipt.file.name)
    return receipt


def PREPARE(w):  # noqa: N802 - the hook's name in tests/test_permission_matrix.py
    """Tenant A: a category, a claim chain (manager, then finance), a budget on t1 and one on
    北京地区, a soft cap; the rep's draft (with a receipt), submitted claim (with a receipt)
    and approved claim."""
    from decimal import Decimal

    from approvals.models import ApprovalStep, StepState
    from approvals.services import approval_decide
    from expenses.models import Budget, ExpenseCategory, SpendCap
    from expenses.services import LineIn, claim_save, claim_submit
    from tests.approvals.conftest import make_chain

    if ExpenseCategory.objects.filter(key="mx-travel").exists():
        return
    today = w.tenants["a"].today()
    category = ExpenseCategory.objects.create(key="mx-travel", name="矩阵差旅")
    make_chain(w, request_type="expense_claim", steps=[{"kind": "direct_manager"}, {"kind": "role", "role": "finance"}])
    start, end = today - dt.timedelta(days=100), today + dt.timedelta(days=100)
    Budget.objects.create(name="矩阵预算", node=w.nodes["a"]["t1"], start_date=start, end_date=end, amount=Decimal(9000))
    Budget.objects.create(name="矩阵北京预算", node=w.nodes["a"]["other"], start_date=start, end_date=end,
                          amount=Decimal(9000))
    SpendCap.objects.create(category=None, annual_limit=Decimal(5000), is_hard=False)
    rep = w.users["a"]["rep"].membership_row

    def claim(purpose):
        return claim_save(rep=rep, purpose=purpose, lines=[LineIn(category=category, day=today, amount="100")])[0]

    _receipt(claim("矩阵草稿"), rep)
    sent = claim("矩阵已提交")
    _receipt(sent, rep)
    claim_submit(claim=sent, by=rep)
    approved = claim_submit(claim=claim("矩阵已批准"), by=rep)
    for role in ("manager", "finance"):
        step = ApprovalStep.objects.get(request_id=approved.approval_id, state=StepState.PENDING)
        approval_decide(step=step, actor=w.users["a"][role].membership_row, decision="approved")


def _claim(purpose):
    def kwargs(w):
        from expenses.models import ExpenseClaim

        return {"code": ExpenseClaim.objects.get(purpose=purpose).code}
    return kwargs


def _receipt_of(purpose):
    def kwargs(w):
        from expenses.models import Receipt

        return {"code": Receipt.objects.get(claim__purpose=purpose).code}
    return kwargs


def _budget(name):
    def kwargs(w):
        from expenses.models import Budget

        return {"code": Budget.objects.get(name=name).code}
    return kwargs


def _cap(w):
    from expenses.models import SpendCap

    return {"code": SpendCap.objects.get(category=None).code}


def _category(w):
    from expenses.models import ExpenseCategory

    return {"code": ExpenseCategory.objects.get(key="mx-travel").code}


def _new_claim(amount="100"):
    def data(w):
        return {"purpose": "矩阵新报销", "lines[0]category": str(_category(w)["code"]),
                "lines[0]day": w.tenants["a"].today().isoformat(), "lines[0]amount": amount}
    return data


def _exe(w):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return {"receipt": SimpleUploadedFile("invoice.jpg", EXE, content_type="image/jpeg")}


def _rows(name, expected: dict, *, method="get", kwargs=None, data=None, query=""):
    """``expected``: status per role (A's roles and ``b_admin``/``b_rep``); anon is 403."""
    return [Row(name, "anon", 403, method=method, kwargs=kwargs, data=data, query=query),
            *[Row(name, r, expected[r], method=method, kwargs=kwargs, data=data, query=query) for r in ALL]]


def _st(default, **extra):
    return {r: default for r in ALL} | {"data_steward": 403} | extra


SENT, DRAFT, APPROVED = _claim("矩阵已提交"), _claim("矩阵草稿"), _claim("矩阵已批准")
#: Who sees the rep's submitted claim (and its receipts).
SEES_SENT = {"rep": 200, "manager": 200, "analyst": 200, "admin": 200, "finance": 200}
#: Who sees it but is not its rep: 403 on the rep's actions.
NOT_ITS_REP = {"manager": 403, "analyst": 403, "admin": 403, "finance": 403}

ROWS = [
    # --------------------------------------------------------------------- claims
    *_rows("api-expenses-claims-list", _st(200, b_admin=200, b_rep=200)),
    Row("api-expenses-claims-list", "manager", 400, query="state=lost"),
    *_rows("api-expenses-claims-list", _st(403, rep=201, rep2=201, manager=201, b_rep=400), method="post",
           data=_new_claim()),
    Row("api-expenses-claims-list", "rep", 400, method="post", data=_new_claim("-5")),
    *_rows("api-expenses-claims-detail", _st(404, **SEES_SENT), kwargs=SENT),
    Row("api-expenses-claims-detail", "rep", 200, kwargs=DRAFT),
    Row("api-expenses-claims-detail", "manager", 404, kwargs=DRAFT),
    *_rows("api-expenses-claims-detail", _st(404, rep=415), method="patch", kwargs=DRAFT),
    Row("api-expenses-claims-detail", "manager", 403, method="patch", kwargs=SENT),
    *_rows("api-expenses-claims-detail", _st(404, rep=415), method="put", kwargs=DRAFT),
    Row("api-expenses-claims-detail", "manager", 403, method="put", kwargs=SENT),
    *_rows("api-expenses-claims-detail", _st(404, rep=204), method="delete", kwargs=DRAFT),
    Row("api-expenses-claims-detail", "rep", 400, method="delete", kwargs=SENT),
    Row("api-expenses-claims-detail", "finance", 403, method="delete", kwargs=SENT),
    *_rows("api-expenses-claims-submit", _st(404, rep=200), method="post", kwargs=DRAFT),
    *_rows("api-expenses-claims-submit", _st(404, rep=400, **NOT_ITS_REP), method="post", kwargs=SENT),
    Row("api-expenses-claims-submit", "rep", 405, kwargs=DRAFT),
    *_rows("api-expenses-claims-correct", _st(404, rep=201, **NOT_ITS_REP), method="post", kwargs=APPROVED),
    Row("api-expenses-claims-correct", "rep", 400, method="post", kwargs=DRAFT),
    *_rows("api-expenses-claims-receipts", _st(404, rep=400), method="post", kwargs=DRAFT, data=_exe),
    Row("api-expenses-claims-receipts", "manager", 403, method="post", kwargs=SENT, data=_exe),
    Row("api-expenses-claims-receipts", "rep", 400, method="post", kwargs=SENT, data=_exe),
    # --------------------------------------------------------------------- receipts
    *_rows("api-expenses-receipts-detail", _st(404, **SEES_SENT), kwargs=_receipt_of("矩阵已提交")),
    *_rows("api-expenses-receipts-detail", _st(404, rep=204), method="delete", kwargs=_receipt_of("矩阵草稿")),
    Row("api-expenses-receipts-detail", "rep", 400, method="delete", kwargs=_receipt_of("矩阵已提交")),
    Row("api-expenses-receipts-detail", "manager", 403, method="delete", kwargs=_receipt_of("矩阵已提交")),
    *_rows("api-expenses-receipts-file", _st(404, **SEES_SENT), kwargs=_receipt_of("矩阵已提交")),
    Row("api-expenses-receipts-file", "rep", 200, kwargs=_receipt_of("矩阵草稿")),
    Row("api-expenses-receipts-file", "manager", 404, kwargs=_receipt_of("矩阵草稿")),
    # --------------------------------------------------------------------- spend control
    *_rows("api-expenses-budgets-list", _st(403, manager=200, analyst=200, admin=200, finance=200, b_admin=200)),
    *_rows("api-expenses-budgets-detail", _st(403, manager=200, analyst=200, admin=200, finance=200, b_admin=404),
           kwargs=_budget("矩阵预算")),
    Row("api-expenses-budgets-detail", "manager", 404, kwargs=_budget("矩阵北京预算")),
    Row("api-expenses-budgets-detail", "finance", 200, kwargs=_budget("矩阵北京预算")),
    *_rows("api-expenses-caps-list", _st(200)),
    *_rows("api-expenses-caps-detail", _st(200, b_admin=404, b_rep=404), kwargs=_cap),
    *_rows("api-expenses-categories-list", _st(200)),
    *_rows("api-expenses-categories-detail", _st(200, b_admin=404, b_rep=404), kwargs=_category),
]
