"""``/expenses/`` claim pages (issue 6): list, form, live preview, HCP search, detail and its
actions, receipts, finance export.

Reps, managers, analysts, admins and finance read claims (data stewards: 403); only reps and
managers file them (others: 403). A rep sees their own claims in every state; nobody else sees
a draft (404); ``rep2`` (another territory) sees none of the rep's (404); the manager, analysts,
admins and finance see submitted ones. Only finance and admins export. The other tenant gets
404 for tenant A's codes (403 where its role may not open the page at all).
"""

from __future__ import annotations

from . import Row

ROLES = ("rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance")
READERS = ("rep", "rep2", "manager", "analyst", "admin", "finance")
FILERS = ("rep", "rep2", "manager")


def PREPARE(w):  # noqa: N802 - the matrix's hook name
    import datetime as dt
    from decimal import Decimal

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from django.utils import timezone

    from approvals.models import ApprovalStep, StepState
    from approvals.services import approval_decide
    from expenses.models import ExpenseCategory, ExpenseClaim, Receipt, SpendCap
    from expenses.services import LineIn, claim_save, claim_submit
    from tests.customers.factories import make_customers_a
    from tests.expenses.conftest import make_chain

    if ExpenseCategory.objects.exists():
        return
    customers = make_customers_a(w)
    meals = ExpenseCategory.objects.create(key="meals", name="矩阵餐费", needs_hcp=True)
    make_chain()
    SpendCap.objects.create(category=meals, annual_limit=Decimal(2000), is_hard=True)
    rep, manager, finance = (w.users["a"][r].membership_row for r in ("rep", "manager", "finance"))
    today = w.tenants["a"].today()

    def claim(purpose, amount, submit=False):
        c, _ = claim_save(rep=rep, purpose=purpose, lines=[LineIn(category=meals, day=today, amount=amount,
                                                                  hcps=[customers.h1])])
        return claim_submit(claim=c, by=rep) if submit else c

    def decide(c, who):
        step = ApprovalStep.objects.get(request_id=c.approval_id, state=StepState.PENDING)
        approval_decide(step=step, actor=who, decision="approved")

    draft = claim("矩阵草稿", "100")
    sent = claim("矩阵已提交", "100", submit=True)
    approved = claim("矩阵已批", "100", submit=True)
    exported = claim("矩阵已导出", "100", submit=True)
    for c in (approved, exported):
        decide(c, manager)
        decide(c, finance)
    ExpenseClaim.objects.filter(pk=exported.pk).update(exported_at=timezone.now() - dt.timedelta(days=1))
    name = "test-matrix/receipt.png"  # one fixed file under MEDIA_ROOT, whatever the tenant ids
    if not default_storage.exists(name):
        default_storage.save(name, ContentFile(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32))
    for c, original in ((draft, "矩阵草稿.png"), (sent, "矩阵已提交.png")):
        Receipt.objects.create(claim=c, file=name, content_type="image/png", size=40, original_name=original,
                               sha256="0" * 64, uploaded_by=rep)


def _code(purpose):
    def kwargs(w):
        from expenses.models import ExpenseClaim

        return {"code": ExpenseClaim.objects.get(purpose=purpose).code}

    return kwargs


def _receipt(original):
    def kwargs(w):
        from expenses.models import Receipt

        return {"code": Receipt.objects.get(original_name=original).code}

    return kwargs


_draft, _sent, _approved = _code("矩阵草稿"), _code("矩阵已提交"), _code("矩阵已批")


def _form(w, **over):
    from customers.models import Hcp
    from expenses.models import ExpenseCategory

    meals = ExpenseCategory.objects.get(key="meals")
    hcp = Hcp.objects.get(name="李娜")
    data = {"code": "", "purpose": "矩阵新报销", "line-TOTAL_FORMS": "1", "line-INITIAL_FORMS": "0",
            "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "100", "line-0-category": str(meals.code),
            "line-0-day": w.tenants["a"].today().isoformat(), "line-0-amount": "88", "line-0-currency": "CNY",
            "line-0-description": "", "line-0-hcps": [str(hcp.code)], "line-0-call": "", "save": "1"}
    data.update(over)
    return data


def _rows(name, expect: dict, *, method="get", kwargs=None, data=None, anon=302, b_admin=403, b_rep=403, query=""):
    return [
        Row(name, "anon", anon, method=method, kwargs=kwargs, data=data, query=query),
        *[Row(name, r, expect.get(r, 403), method=method, kwargs=kwargs, data=data, query=query) for r in ROLES],
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data, query=query),
        Row(name, "b_rep", b_rep, method=method, kwargs=kwargs, data=data, query=query),
    ]


ALL_READ = {r: 200 for r in READERS}
SEE_SENT = {"rep": 200, "rep2": 404, "manager": 200, "analyst": 200, "admin": 200, "finance": 200}
OWN_DRAFT = {"rep": 302, "rep2": 404, "manager": 404}

ROWS = [
    # --------------------------------------------------------------------- list and form
    *_rows("expenses:claim_list", ALL_READ, b_admin=200, b_rep=200),
    Row("expenses:claim_list", "finance", 200, query="state=submitted&from=2000-01-01&to=2999-12-31"),
    Row("expenses:claim_list", "manager", 200, query="rep=not-a-code&from=bad"),
    *_rows("expenses:claim_new", {r: 200 for r in FILERS}, b_rep=200),
    # rep2 does not see 李娜 (400); tenant B's form has no category of tenant A (400)
    *_rows("expenses:claim_new", {"rep": 302, "rep2": 400, "manager": 302}, method="post", data=_form, b_rep=400),
    Row("expenses:claim_new", "rep", 400, method="post", data=lambda w: _form(w, **{"line-0-day": "2999-01-01"})),
    *_rows("expenses:claim_preview", {r: 200 for r in FILERS}, method="post", data=_form, b_rep=200),
    Row("expenses:claim_preview", "rep", 405),
    *_rows("expenses:claim_hcp_options", {r: 200 for r in FILERS}, b_rep=200, query="hcp_q=李&line=1"),
    # --------------------------------------------------------------------- detail and actions
    *_rows("expenses:claim_detail", SEE_SENT, kwargs=_sent, b_admin=404, b_rep=404),
    *_rows("expenses:claim_detail", {"rep": 200, "rep2": 404, "manager": 404, "analyst": 404, "admin": 404,
                                     "finance": 404}, kwargs=_draft, b_admin=404, b_rep=404),
    *_rows("expenses:claim_edit", {"rep": 200, "rep2": 404, "manager": 404}, kwargs=_draft, b_rep=404),
    *_rows("expenses:claim_edit", OWN_DRAFT, method="post", kwargs=_draft, data=_form, b_rep=404),
    Row("expenses:claim_edit", "rep", 400, method="post", kwargs=_draft, data=lambda w: _form(w, purpose="")),
    Row("expenses:claim_edit", "manager", 403, kwargs=_sent),  # sees it, not theirs
    Row("expenses:claim_edit", "rep", 302, kwargs=_sent),  # submitted: back to the page with a message
    *_rows("expenses:claim_submit", OWN_DRAFT, method="post", kwargs=_draft, b_rep=404),
    Row("expenses:claim_submit", "rep", 405, kwargs=_draft),
    Row("expenses:claim_submit", "manager", 403, method="post", kwargs=_sent),
    *_rows("expenses:claim_delete", OWN_DRAFT, method="post", kwargs=_draft, b_rep=404),
    Row("expenses:claim_delete", "rep", 405, kwargs=_draft),
    *_rows("expenses:claim_correct", {"rep": 302, "rep2": 404, "manager": 403}, method="post", kwargs=_approved,
           b_rep=404),
    Row("expenses:claim_correct", "rep", 302, method="post", kwargs=_draft),  # refused with a message
    Row("expenses:claim_correct", "rep", 405, kwargs=_approved),
    # --------------------------------------------------------------------- receipts
    # an upload with no file: the rep gets the page back (400); nobody else reaches the claim
    *_rows("expenses:receipt_upload", {"rep": 400, "rep2": 404, "manager": 404}, method="post", kwargs=_draft,
           b_rep=404),
    Row("expenses:receipt_upload", "manager", 403, method="post", kwargs=_sent),
    Row("expenses:receipt_upload", "rep", 405, kwargs=_draft),
    *_rows("expenses:receipt_download", SEE_SENT, kwargs=_receipt("矩阵已提交.png"), b_admin=404, b_rep=404),
    Row("expenses:receipt_download", "manager", 404, kwargs=_receipt("矩阵草稿.png")),
    Row("expenses:receipt_download", "rep", 200, kwargs=_receipt("矩阵草稿.png")),
    *_rows("expenses:receipt_remove", OWN_DRAFT, method="post", kwargs=_receipt("矩阵草稿.png"), b_rep=404),
    Row("expenses:receipt_remove", "manager", 403, method="post", kwargs=_receipt("矩阵已提交.png")),
    Row("expenses:receipt_remove", "rep", 405, kwargs=_receipt("矩阵草稿.png")),
    # --------------------------------------------------------------------- finance export
    *_rows("expenses:export", {"admin": 200, "finance": 200}, b_admin=200),
    *_rows("expenses:export", {"admin": 200, "finance": 200}, method="post", data=lambda w: {"format": "csv"},
           b_admin=302),  # tenant B: nothing to export
    Row("expenses:export", "finance", 400, method="post", data=lambda w: {"format": "pdf"}),
    *_rows("expenses:export_again", {"admin": 200, "finance": 200}, b_admin=302,
           query="from=2000-01-01&to=2999-12-31&format=csv"),
    Row("expenses:export_again", "finance", 302, query="from=bad"),
]
