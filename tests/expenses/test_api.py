"""The expenses API: create (idempotent by code), change, submit, correct and delete claims;
receipts up and down; budgets, caps and categories; every refusal a 400 naming the field with
nothing saved; a fixed number of queries per list; 403 for roles that may not, 404 for what
the caller does not see (another tenant's codes on every detail endpoint included)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from approvals.models import ApprovalStep, StepState
from approvals.services import approval_decide
from expenses.models import Budget, ClaimState, ExpenseClaim, ExpenseLine, LineHcp, Receipt
from expenses.services import receipt_add
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.usefixtures("english")

LIST = "api-expenses-claims-list"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x00" * 200 + b"\xff\xd9"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _as(client, spend, role, tenant="a"):
    client.force_login(spend.world.users[tenant][role])
    return client


def _url(name, obj):
    return reverse(name, kwargs={"code": obj.code if hasattr(obj, "code") else obj})


def _body(spend, **over) -> dict:
    c = spend.customers
    body = {"code": str(uuid.uuid4()), "purpose": "学术晚餐 Dinner",
            "lines": [{"category": str(spend.categories["meals"].code), "day": spend.today().isoformat(),
                       "amount": "600.00", "hcps": [str(c.h1.code), str(c.zw.code)], "description": "两位专家"},
                      {"category": str(spend.categories["travel"].code), "day": spend.today().isoformat(),
                       "amount": "100.25", "currency": "USD"}]}
    body.update(over)
    return body


def _line(spend, **over) -> dict:
    line = {"category": str(spend.categories["meals"].code), "day": spend.today().isoformat(), "amount": "300",
            "hcps": [str(spend.customers.h1.code)]}
    line.update(over)
    return line


def _post(client, name, body, **kwargs):
    return client.post(reverse(name, kwargs=kwargs or None), body, content_type="application/json")


def _decide(claim, member, decision="approved", comment=""):
    step = ApprovalStep.objects.get(request_id=claim.approval_id, state=StepState.PENDING)
    return approval_decide(step=step, actor=member, decision=decision, comment=comment)


# --------------------------------------------------------------------------- create, change, delete


def test_create_twice_with_the_same_code_makes_one_claim(spend, client):
    _as(client, spend, "rep")
    body = _body(spend)
    first = _post(client, LIST, body)
    assert first.status_code == 201, first.json()
    again = _post(client, LIST, body)
    assert again.status_code == 200 and again.json()["code"] == first.json()["code"] == body["code"]
    data = first.json()
    assert data["state"] == "draft" and data["editable"] and data["approval"] is None
    assert data["rep"] == {"code": str(spend.m("rep").code), "name": "rep a"}
    assert data["territory"]["name"] == "浦东一区" and data["total"] == "1311.78" and data["currency"] == "CNY"
    meals, travel = data["lines"]
    assert meals["category"] == {"code": str(spend.categories["meals"].code), "key": "meals", "name": "餐费 Meals"}
    assert (meals["day"], meals["amount"], meals["currency"], meals["base_amount"]) == (
        spend.today().isoformat(), "600.000", "CNY", "600.00")
    assert [(h["code"], h["name"], h["share"]) for h in meals["hcps"]] == [
        (str(spend.customers.h1.code), "李娜", "300.00"), (str(spend.customers.zw.code), "张伟", "300.00")]
    assert (travel["currency"], Decimal(travel["rate"]), travel["base_amount"], travel["hcps"]) == (
        "USD", Decimal("7.1"), "711.78", [])
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.count() == 1 and ExpenseLine.objects.count() == 2
        assert LineHcp.objects.count() == 2


def test_another_reps_code_is_refused(spend, client):
    body = _body(spend)
    assert _post(_as(client, spend, "rep"), LIST, body).status_code == 201
    response = _post(_as(client, spend, "rep2"), LIST, body)
    assert response.status_code == 400 and "code" in response.json()


def test_patch_keeps_what_is_not_given_and_put_replaces_the_lines(spend, client):
    _as(client, spend, "rep")
    created = _post(client, LIST, _body(spend)).json()
    detail = _url("api-expenses-claims-detail", created["code"])
    patched = client.patch(detail, {"purpose": "改 Changed"}, content_type="application/json")
    assert patched.status_code == 200, patched.json()
    assert patched.json()["purpose"] == "改 Changed"
    assert [ln["code"] for ln in patched.json()["lines"]] == [ln["code"] for ln in created["lines"]]
    put = client.put(detail, {"purpose": "只剩一项", "lines": [_line(spend, amount="88.8")]},
                     content_type="application/json")
    assert put.status_code == 200, put.json()
    assert put.json()["total"] == "88.80" and len(put.json()["lines"]) == 1
    # a PUT without the lines is refused by field, and nothing changes
    bad = client.put(detail, {"purpose": "x"}, content_type="application/json")
    assert bad.status_code == 400 and "lines" in bad.json()
    with spend.world.scope("a"):
        claim = ExpenseClaim.objects.get()
        assert claim.purpose == "只剩一项" and claim.total == Decimal("88.80")


def test_delete_only_a_draft_never_submitted(spend, client):
    with spend.world.scope("a"):
        draft = spend.claim()
        sent = spend.claim(spend.line("travel", "100", hcps=[]), submit=True)
    _as(client, spend, "rep")
    assert client.delete(_url("api-expenses-claims-detail", sent)).status_code == 400
    assert client.delete(_url("api-expenses-claims-detail", draft)).status_code == 204
    with spend.world.scope("a"):
        assert list(ExpenseClaim.objects.values_list("pk", flat=True)) == [sent.pk]


# --------------------------------------------------------------------------- submit, correct


def test_submit_approve_and_correct_through_the_api(spend, client):
    _as(client, spend, "rep")
    body = _body(spend, lines=[_line(spend, amount="800")])
    code = _post(client, LIST, body).json()["code"]
    submitted = client.post(_url("api-expenses-claims-submit", code))
    assert submitted.status_code == 200, submitted.json()
    data = submitted.json()
    assert data["state"] == "submitted" and not data["editable"] and data["submitted_at"]
    assert data["approval"]["state"] == "pending" and uuid.UUID(data["approval"]["code"])
    # a submitted claim no longer changes, nor is it submitted twice
    again = client.post(_url("api-expenses-claims-submit", code))
    assert again.status_code == 400 and "claim" in again.json()
    change = client.patch(_url("api-expenses-claims-detail", code), {"purpose": "x"}, content_type="application/json")
    assert change.status_code == 400 and "claim" in change.json()
    # the budgets moved
    budgets = {b["name"]: b for b in _as(client, spend, "finance").get(reverse("api-expenses-budgets-list"))
               .json()["results"]}
    assert budgets["浦东一区 2026"]["committed"] == "800.00" and budgets["浦东一区 2026"]["used_percent"] == 26
    with spend.world.scope("a"):
        claim = ExpenseClaim.objects.get(code=code)
        _decide(claim, spend.m("manager"))
        _decide(claim, spend.m("finance"))
    _as(client, spend, "rep")
    assert client.get(_url("api-expenses-claims-detail", code)).json()["state"] == "approved"
    correction = client.post(_url("api-expenses-claims-correct", code))
    assert correction.status_code == 201, correction.json()
    new = correction.json()
    assert new["corrects"] == code and new["state"] == "draft" and new["code"] != code
    assert [ln["amount"] for ln in new["lines"]] == ["800.000"]
    twice = client.post(_url("api-expenses-claims-correct", code))
    assert twice.status_code == 400 and "already" in twice.json()["claim"][0]
    fixed = client.put(_url("api-expenses-claims-detail", new["code"]),
                       {"purpose": new["purpose"], "lines": [_line(spend, amount="700")]},
                       content_type="application/json")
    assert fixed.status_code == 200 and fixed.json()["total"] == "700.00"
    assert client.post(_url("api-expenses-claims-submit", new["code"])).json()["state"] == "submitted"


def test_submit_over_a_hard_cap_is_refused_with_the_numbers(spend, client):
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="1800"), submit=True)
        claim = spend.claim(spend.line(amount="300"))
    response = _as(client, spend, "rep").post(_url("api-expenses-claims-submit", claim))
    assert response.status_code == 400
    message = response.json()["lines"][0]
    assert "2,000.00" in message and "1,800.00" in message and "李娜" in message
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.get(pk=claim.pk).state == ClaimState.DRAFT
        assert Budget.objects.get(pk=spend.budgets["t1"].pk).committed == Decimal(1800)


# --------------------------------------------------------------------------- bad input


BAD_LINES = [
    ({"amount": "-5"}, "line-0-amount", "more than zero"),
    ({"amount": 0}, "line-0-amount", "more than zero"),
    ({"amount": "12.345"}, "line-0-amount", "2 decimals"),
    ({"amount": 12.345}, "line-0-amount", "2 decimals"),
    ({"amount": "abc"}, "line-0-amount", "not an amount"),
    ({"amount": "10.5", "currency": "JPY"}, "line-0-amount", "no decimals"),
    ({"day": "TOMORROW"}, "line-0-day", "future"),
    ({"day": "yesterday"}, "line-0-day", "format"),
    ({"hcps": ["H3"]}, "line-0-hcps", "not among your customers"),
    ({"hcps": ["B"]}, "line-0-hcps", "not among your customers"),
    ({"hcps": ["not-a-code"]}, "line-0-hcps", "UUID"),
    ({"hcps": []}, "line-0-hcps", "add one at least"),
    ({"category": str(uuid.uuid4())}, "line-0-category", "Choose a category"),
    ({"call": str(uuid.uuid4())}, "line-0-call", "your own calls"),
]


def test_bad_lines_are_refused_by_field_and_nothing_saved(spend, client):
    """Each case on one world (a refused create saves nothing, so the cases cannot meet)."""
    c = spend.customers
    _as(client, spend, "rep")
    failures = []
    for case, field, words in BAD_LINES:
        line = dict(case)
        if line.get("day") == "TOMORROW":
            line["day"] = (spend.today() + dt.timedelta(days=1)).isoformat()
        if "hcps" in line:
            line["hcps"] = [{"H3": str(c.h3.code), "B": str(c.b_hcp.code)}.get(h, h) for h in line["hcps"]]
        response = _post(client, LIST, _body(spend, lines=[_line(spend, **line)]))
        got = response.json() if response.status_code == 400 else {}
        if field not in got or words not in " ".join(got[field]):
            failures.append((case, response.status_code, got))
    assert not failures, failures
    with spend.world.scope("a"):
        assert not ExpenseClaim.objects.exists() and not ExpenseLine.objects.exists()


def test_the_second_line_is_named(spend, client):
    body = _body(spend, lines=[_line(spend), _line(spend, day="2026-02-30")])
    response = _post(_as(client, spend, "rep"), LIST, body)
    assert response.status_code == 400 and list(response.json()) == ["line-1-day"]


def test_bad_claims_are_refused_by_field(spend, client):
    _as(client, spend, "rep")
    for over, field in [({"purpose": "  "}, "purpose"), ({"purpose": "x" * 201}, "purpose"), ({"lines": []}, "lines"),
                        ({"code": "not-a-uuid"}, "code")]:
        response = _post(client, LIST, _body(spend, **over))
        assert response.status_code == 400 and field in response.json(), (over, response.json())
    with spend.world.scope("a"):
        assert not ExpenseClaim.objects.exists()


# --------------------------------------------------------------------------- receipts


def test_receipts_up_down_and_removed(spend, client):
    with spend.world.scope("a"):
        claim = spend.claim()
    _as(client, spend, "rep")
    up = client.post(_url("api-expenses-claims-receipts", claim),
                     {"receipt": SimpleUploadedFile("发票.jpg", JPEG, content_type="image/jpeg")})
    assert up.status_code == 201, up.json()
    receipt = up.json()
    assert receipt["content_type"] == "image/jpeg" and receipt["size"] == len(JPEG)
    assert receipt["download_url"].endswith(_url("api-expenses-receipts-file", receipt["code"]))
    shown = client.get(_url("api-expenses-claims-detail", claim)).json()["receipts"]
    assert [r["code"] for r in shown] == [receipt["code"]]
    download = client.get(_url("api-expenses-receipts-file", receipt["code"]))
    assert download.status_code == 200 and download["Content-Type"] == "image/jpeg"
    assert b"".join(download.streaming_content) == JPEG and "attachment" in download["Content-Disposition"]
    # an executable renamed .jpg, no file at all: refused by field
    bad = client.post(_url("api-expenses-claims-receipts", claim),
                      {"receipt": SimpleUploadedFile("invoice.jpg", EXE, content_type="image/jpeg")})
    assert bad.status_code == 400 and "whatever its name says" in bad.json()["receipt"][0]
    assert client.post(_url("api-expenses-claims-receipts", claim), {}).json().keys() == {"receipt"}
    assert client.delete(_url("api-expenses-receipts-detail", receipt["code"])).status_code == 204
    with spend.world.scope("a"):
        assert not Receipt.objects.exists()


def test_receipts_are_served_only_to_who_sees_the_claim(spend, client):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line("travel", "100", hcps=[]))
        receipt = receipt_add(claim=claim, upload=SimpleUploadedFile("a.jpg", JPEG), by=spend.m("rep"))
    file_url = _url("api-expenses-receipts-file", receipt)
    # a draft: only its rep
    for role in ("manager", "finance", "rep2"):
        assert _as(client, spend, role).get(file_url).status_code == 404, role
    with spend.world.scope("a"):
        from expenses.services import claim_submit

        claim_submit(claim=claim, by=spend.m("rep"))
    for role in ("rep", "manager", "finance", "analyst", "admin"):
        response = _as(client, spend, role).get(file_url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == JPEG, role
    assert _as(client, spend, "rep2").get(file_url).status_code == 404
    assert _as(client, spend, "data_steward").get(file_url).status_code == 403
    for role in ("admin", "rep"):
        assert _as(client, spend, role, "b").get(file_url).status_code == 404
    # someone who sees it but is not its rep removes nothing; a submitted claim keeps its receipts
    assert _as(client, spend, "manager").delete(_url("api-expenses-receipts-detail", receipt)).status_code == 403
    assert _as(client, spend, "rep").delete(_url("api-expenses-receipts-detail", receipt)).status_code == 400


# --------------------------------------------------------------------------- who may


def test_roles_and_visibility_of_claims(spend, client):
    with spend.world.scope("a"):
        draft = spend.claim()
        sent = spend.claim(spend.line("travel", "100", hcps=[]), submit=True)
    codes = lambda c: {r["code"] for r in c.get(reverse(LIST)).json()["results"]}  # noqa: E731
    detail = lambda x: _url("api-expenses-claims-detail", x)  # noqa: E731
    assert codes(_as(client, spend, "rep")) == {str(draft.code), str(sent.code)}
    for role in ("manager", "finance", "analyst", "admin"):
        assert codes(_as(client, spend, role)) == {str(sent.code)}, role
        assert client.get(detail(draft)).status_code == 404
    assert codes(_as(client, spend, "rep2")) == set() and client.get(detail(sent)).status_code == 404
    assert _as(client, spend, "data_steward").get(reverse(LIST)).status_code == 403
    # who sees a claim but did not make it changes nothing of it
    _as(client, spend, "manager")
    assert client.patch(detail(sent), {"purpose": "x"}, content_type="application/json").status_code == 403
    assert client.post(_url("api-expenses-claims-submit", sent)).status_code == 403
    assert client.post(_url("api-expenses-claims-correct", sent)).status_code == 403
    assert client.delete(detail(sent)).status_code == 403
    # roles that do not file claims
    for role in ("analyst", "admin", "finance"):
        assert _post(_as(client, spend, role), LIST, _body(spend)).status_code == 403, role
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.count() == 2


def test_list_filters(spend, client):
    with spend.world.scope("a"):
        draft = spend.claim()
        sent = spend.claim(spend.line("travel", "100", hcps=[]), submit=True)
    _as(client, spend, "rep")
    codes = lambda **q: {r["code"] for r in client.get(reverse(LIST), q).json()["results"]}  # noqa: E731
    assert codes(state="draft") == {str(draft.code)} and codes(state="submitted") == {str(sent.code)}
    assert codes(rep=str(spend.m("rep").code)) == {str(draft.code), str(sent.code)}
    assert codes(rep=str(spend.m("rep2").code)) == set()
    today = spend.today()
    assert len(codes(date_from=(today - dt.timedelta(days=1)).isoformat(),
                     date_to=(today + dt.timedelta(days=1)).isoformat())) == 2
    assert codes(date_from=(today + dt.timedelta(days=2)).isoformat()) == set()
    assert client.get(reverse(LIST), {"state": "lost"}).status_code == 400


def test_another_tenants_codes_are_404_on_every_detail_endpoint(spend, client):
    with spend.world.scope("a"):
        claim = spend.claim(spend.line("travel", "100", hcps=[]))
        receipt = receipt_add(claim=claim, upload=SimpleUploadedFile("a.jpg", JPEG), by=spend.m("rep"))
        claim = spend.claim(spend.line("travel", "50", hcps=[]), submit=True)
    a = {"claims-detail": claim, "claims-submit": claim, "claims-correct": claim, "claims-receipts": claim,
         "receipts-detail": receipt, "receipts-file": receipt, "budgets-detail": spend.budgets["t1"],
         "caps-detail": spend.caps["meals"], "categories-detail": spend.categories["meals"]}
    posts = {"claims-submit", "claims-correct", "claims-receipts"}
    for role in ("admin", "rep"):
        _as(client, spend, role, "b")
        for name, obj in a.items():
            url = _url(f"api-expenses-{name}", obj)
            response = client.post(url) if name in posts else client.get(url)
            if name == "budgets-detail" and role == "rep":
                assert response.status_code == 403  # reps read no budgets at all
            else:
                assert response.status_code == 404, (role, name)
        assert client.delete(_url("api-expenses-claims-detail", claim)).status_code == 404
        assert client.delete(_url("api-expenses-receipts-detail", receipt)).status_code == 404
        for name in ("claims", "caps", "categories"):
            codes = {r["code"] for r in client.get(reverse(f"api-expenses-{name}-list")).json()["results"]}
            assert not codes & {str(claim.code), str(spend.caps["meals"].code), str(spend.categories["meals"].code)}
    with spend.world.scope("a"):
        assert Receipt.objects.count() == 1 and ExpenseClaim.objects.count() == 2


# --------------------------------------------------------------------------- spend control


def test_budgets_per_role(spend, client):
    with spend.world.scope("a"):
        beijing = Budget.objects.create(name="北京地区 2026", node=spend.world.nodes["a"]["other"],
                                        start_date=spend.budgets["t1"].start_date,
                                        end_date=spend.budgets["t1"].end_date, amount=Decimal(1000))
        spend.claim(spend.line("travel", "600", hcps=[]), submit=True)
    names = lambda c: {b["name"] for b in c.get(reverse("api-expenses-budgets-list")).json()["results"]}  # noqa: E731
    assert names(_as(client, spend, "manager")) == {"上海地区 2026", "浦东一区 2026"}
    assert _as(client, spend, "manager").get(_url("api-expenses-budgets-detail", beijing)).status_code == 404
    for role in ("finance", "admin", "analyst"):
        assert names(_as(client, spend, role)) == {"上海地区 2026", "浦东一区 2026", "北京地区 2026"}, role
    for role in ("rep", "rep2", "data_steward"):
        assert _as(client, spend, role).get(reverse("api-expenses-budgets-list")).status_code == 403, role
    t1 = _as(client, spend, "finance").get(_url("api-expenses-budgets-detail", spend.budgets["t1"])).json()
    assert (t1["amount"], t1["committed"], t1["spent"], t1["used"], t1["used_percent"], t1["is_hard"]) == (
        "3000.00", "600.00", "0.00", "600.00", 20, True)
    assert t1["node"]["name"] == "浦东一区" and t1["parent"] == str(spend.budgets["district"].code)
    on = {b["name"] for b in client.get(reverse("api-expenses-budgets-list"),
                                        {"node": str(spend.world.nodes["a"]["t1"].code)}).json()["results"]}
    assert on == {"浦东一区 2026"}


def test_caps_and_categories_for_every_expense_reader(spend, client):
    for role in ("rep", "manager", "analyst", "admin", "finance"):
        _as(client, spend, role)
        caps = client.get(reverse("api-expenses-caps-list")).json()["results"]
        assert {(c["category"]["key"] if c["category"] else None, c["annual_limit"], c["is_hard"]) for c in caps} == {
            ("meals", "2000.00", True), (None, "5000.00", False)}, role
        keys = [c["key"] for c in client.get(reverse("api-expenses-categories-list")).json()["results"]]
        assert keys == ["meals", "travel", "venue", "speaker"]
    assert _as(client, spend, "data_steward").get(reverse("api-expenses-caps-list")).status_code == 403
    assert client.get(reverse("api-expenses-categories-list")).status_code == 403


# --------------------------------------------------------------------------- queries


def test_claim_list_queries_are_fixed(spend, client):
    c = spend.customers
    with spend.world.scope("a"):
        claim = spend.claim()
        receipt_add(claim=claim, upload=SimpleUploadedFile("a.jpg", JPEG), by=spend.m("rep"))
    _as(client, spend, "rep")
    with assert_max_queries(12) as few:
        assert client.get(reverse(LIST)).status_code == 200
    with spend.world.scope("a"):
        for i in range(15):
            claim = spend.claim(spend.line(amount="50", hcps=[c.h1, c.zw]), spend.line("travel", str(10 + i), hcps=[]))
            receipt_add(claim=claim, upload=SimpleUploadedFile("a.jpg", JPEG), by=spend.m("rep"))
    with assert_max_queries(len(few.captured_queries)):
        data = client.get(reverse(LIST)).json()
    assert len(data["results"]) == 16 and all(r["receipts"] for r in data["results"])
    assert sum(len(ln["hcps"]) for r in data["results"] for ln in r["lines"]) == 31
