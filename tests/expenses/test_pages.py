"""The claim pages per role: the form (save, submit in one request, errors beside their fields,
everything typed kept), the live cap and budget warning, the list (who sees what, filters,
bounded queries) and the detail (lines, approval, actions only for whom they apply), with the
other tenant and an unrelated rep getting 404."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from approvals.models import ApprovalStep, StepState
from approvals.services import approval_decide
from expenses.models import Budget, ClaimState, ExpenseClaim, LineHcp
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.usefixtures("english")


def _login(client, spend, role, tenant="a"):
    client.force_login(spend.world.users[tenant][role])
    return client


def _detail(claim):
    return reverse("expenses:claim_detail", kwargs={"code": claim.code})


def _line(i, spend, *, category="meals", day=None, amount="", currency="CNY", description="", hcps=(), call=""):
    p = f"line-{i}-"
    return {p + "category": str(spend.categories[category].code) if category else "",
            p + "day": (day or spend.today()).isoformat() if day != "" else "", p + "amount": amount,
            p + "currency": currency, p + "description": description, p + "hcps": [str(h.code) for h in hcps],
            p + "call": call}


def _form(spend, *lines, purpose="学术晚餐 Dinner", **extra) -> dict:
    data = {"code": "", "purpose": purpose, "line-TOTAL_FORMS": str(len(lines)), "line-INITIAL_FORMS": "0",
            "line-MIN_NUM_FORMS": "0", "line-MAX_NUM_FORMS": "100"}
    for line in lines:
        data.update(line)
    data.update(extra)
    return data


def _row(html: str, prefix: str) -> str:
    """The markup of one line row of the form."""
    start = html.index(f'data-claim-line="{prefix}"')
    end = html.find("data-claim-line=", start + 10)
    return html[start:end if end != -1 else None]


def _decide(claim, member, decision="approved", comment=""):
    step = ApprovalStep.objects.get(request_id=claim.approval_id, state=StepState.PENDING)
    return approval_decide(step=step, actor=member, decision=decision, comment=comment)


# --------------------------------------------------------------------------- the form


def test_rep_files_a_dinner_with_two_hcps_and_submits_in_one_request(spend, client):
    c = spend.customers
    _login(client, spend, "rep")
    assert client.get(reverse("expenses:claim_new")).status_code == 200
    data = _form(spend, _line(0, spend, amount="600", hcps=[c.h1, c.zw], description="晚餐"),
                 _line(1, spend, category="travel", amount="250.50"), submit="1")
    response = client.post(reverse("expenses:claim_new"), data)
    assert response.status_code == 302
    with spend.world.scope("a"):
        claim = ExpenseClaim.objects.get()
        assert response["Location"] == _detail(claim)
        assert claim.state == ClaimState.SUBMITTED and claim.total == Decimal("850.50")
        assert sorted(LineHcp.objects.filter(line__claim=claim).values_list("amount", flat=True)) == [300, 300]
        assert Budget.objects.get(pk=spend.budgets["t1"].pk).committed == Decimal("850.50")
        approval_code = claim.approval.code
    page = client.get(_detail(claim)).content.decode()
    assert "李娜" in page and "张伟" in page and "850.50" in page
    assert reverse("approvals:detail", kwargs={"code": approval_code}) in page


def test_save_draft_then_edit_keeps_lines_and_changes_them(spend, client):
    c = spend.customers
    _login(client, spend, "rep")
    response = client.post(reverse("expenses:claim_new"), _form(spend, _line(0, spend, amount="300", hcps=[c.h1]),
                                                                   save="1"))
    assert response.status_code == 302
    with spend.world.scope("a"):
        claim = ExpenseClaim.objects.get()
        assert claim.state == ClaimState.DRAFT
    edit = reverse("expenses:claim_edit", kwargs={"code": claim.code})
    page = client.get(edit).content.decode()
    assert 'value="300"' in page and "李娜" in page and str(c.h1.code) in page
    data = _form(spend, _line(0, spend, amount="320", hcps=[c.h1, c.zw]), purpose="改 changed",
                 **{"line-INITIAL_FORMS": "1"}, save="1")
    assert client.post(edit, data).status_code == 302
    with spend.world.scope("a"):
        claim.refresh_from_db()
        assert claim.purpose == "改 changed" and claim.total == Decimal(320) and claim.state == ClaimState.DRAFT
        assert LineHcp.objects.filter(line__claim=claim).count() == 2
    # someone else cannot edit it: the manager sees no draft (404); rep2 neither
    assert _login(client, spend, "manager").get(edit).status_code == 404
    assert _login(client, spend, "rep2").get(edit).status_code == 404
    assert _login(client, spend, "rep", "b").get(edit).status_code == 404


def test_errors_show_beside_their_field_on_the_right_row_and_nothing_is_saved(spend, client):
    c = spend.customers
    _login(client, spend, "rep")
    future = spend.today() + dt.timedelta(days=3)
    blank = _line(1, spend, category=None, currency="CNY")
    data = _form(spend, _line(0, spend, amount="300", hcps=[c.h1], description="第一行"), blank,
                 _line(2, spend, category="travel", amount="99.999", description="第三行"),
                 _line(3, spend, category="travel", day=future, amount="50"), submit="1")
    response = client.post(reverse("expenses:claim_new"), data)
    assert response.status_code == 400
    html = response.content.decode()
    # the first refusal (row 2: too many decimals) is beside row 2's amount, not elsewhere
    assert "CNY has 2 decimals at most." in _row(html, "line-2")
    assert "decimals" not in _row(html, "line-0") and "decimals" not in _row(html, "line-3")
    # everything typed is kept
    assert 'value="学术晚餐 Dinner"' in html and 'value="99.999"' in html and "第一行" in html and "李娜" in html
    with spend.world.scope("a"):
        assert not ExpenseClaim.objects.exists()
    # fixed that, the future date is refused on its row (row 3)
    data["line-2-amount"] = "99.99"
    html = client.post(reverse("expenses:claim_new"), data).content.decode()
    assert "The date cannot be in the future." in _row(html, "line-3")


def test_an_hcp_the_rep_does_not_see_and_a_missing_purpose_are_refused(spend, client):
    c = spend.customers
    _login(client, spend, "rep")
    response = client.post(reverse("expenses:claim_new"), _form(spend, _line(0, spend, amount="300", hcps=[c.h3]),
                                                                   save="1"))
    assert response.status_code == 400
    assert "not among your customers" in _row(response.content.decode(), "line-0")
    response = client.post(reverse("expenses:claim_new"), _form(spend, _line(0, spend, amount="300", hcps=[c.h1]),
                                                                   purpose="", save="1"))
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(reverse("expenses:claim_new"), _form(spend, _line(0, spend, amount="-5", hcps=[c.h1]),
                                                                   save="1"))
    assert "An amount must be more than zero." in _row(response.content.decode(), "line-0")
    with spend.world.scope("a"):
        assert not ExpenseClaim.objects.exists()


def test_submit_over_a_hard_cap_is_refused_with_the_numbers_and_saves_nothing(spend, client):
    c = spend.customers
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="1800"), submit=True)
    _login(client, spend, "rep")
    response = client.post(reverse("expenses:claim_new"), _form(spend, _line(0, spend, amount="300", hcps=[c.h1]),
                                                                   submit="1"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Over the hard cap" in html and "2,000.00" in html and "1,800.00" in html
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.count() == 1  # the draft of the refused submit is not kept either


def test_add_an_expense_without_javascript_adds_a_row_and_keeps_the_values(spend, client):
    _login(client, spend, "rep")
    data = _form(spend, _line(0, spend, amount="123"), add_line="1")
    response = client.post(reverse("expenses:claim_new"), data)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="line-TOTAL_FORMS" value="2"' in html and 'data-claim-line="line-1"' in html
    assert 'value="123"' in html


def test_hcp_search_finds_only_hcps_the_rep_sees(spend, client):
    _login(client, spend, "rep")
    url = reverse("expenses:claim_hcp_options")
    found = client.get(url, {"hcp_q": "李娜", "line": "2"}).content.decode()
    assert "李娜" in found and 'name="line-2-hcps"' in found
    assert "刘洋" not in client.get(url, {"hcp_q": "刘洋"}).content.decode()  # rep2's


# --------------------------------------------------------------------------- the live warning


def _preview(client, spend, *lines):
    return client.post(reverse("expenses:claim_preview"), _form(spend, *lines)).content.decode()


def test_preview_warns_at_the_warn_percent_and_says_hard_caps_refuse_soft_caps_add_a_step(spend, client):
    c = spend.customers
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="1000"), submit=True)  # h1 has 1,000 of the 2,000 meals cap
    _login(client, spend, "rep")
    html = _preview(client, spend, _line(0, spend, amount="700", hcps=[c.h1]))  # 1,700 = 85 %
    assert 'data-cap-status="warn"' in html and "1,700.00" in html and "will be refused" not in html
    # split evenly: 1,200 over h1 and zw → 600 each; h1 at 1,600 (80 %): warned; zw at 600: fine
    html = _preview(client, spend, _line(0, spend, amount="1200", hcps=[c.h1, c.zw]))
    assert "1,600.00" in html and html.count('data-cap-status="warn"') == 1
    html = _preview(client, spend, _line(0, spend, amount="1100", hcps=[c.h1]))  # 2,100 > hard 2,000
    assert 'data-cap-status="hard"' in html and "will be refused" in html
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(90000))
    html = _preview(client, spend, _line(0, spend, category="speaker", amount="5200", hcps=[c.zw]))
    assert 'data-cap-status="soft"' in html and "needs an extra approval step" in html
    # a hard budget that would be exceeded
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(3000))
    html = _preview(client, spend, _line(0, spend, category="travel", amount="2500"))
    assert 'data-budget-status="hard"' in html and "浦东一区 2026" in html
    # nothing readable yet: an empty answer, no error
    response = client.post(reverse("expenses:claim_preview"), _form(spend, _line(0, spend, amount="abc")))
    assert response.status_code == 200 and "data-cap-status" not in response.content.decode()


def test_preview_queries_do_not_grow_with_history(spend, client):
    c = spend.customers
    _login(client, spend, "rep")
    lines = [_line(0, spend, amount="100", hcps=[c.h1, c.zw]), _line(1, spend, category="travel", amount="50")]
    with assert_max_queries(14) as first:
        _preview(client, spend, *lines)
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(90000))
        for _i in range(6):
            spend.claim(spend.line(amount="10", hcps=[c.h1, c.zw]), spend.line("travel", "5", hcps=[]), submit=True)
    with assert_max_queries(len(first.captured_queries)):
        assert 'data-cap-status="ok"' in _preview(client, spend, *lines)


# --------------------------------------------------------------------------- list and detail


def test_list_shows_each_role_what_it_may_see(spend, client):
    with spend.world.scope("a"):
        draft = spend.claim(spend.line(amount="100"), purpose="草稿 draft")
        sent = spend.claim(spend.line(amount="200"), purpose="已提交 sent", submit=True)
    url = reverse("expenses:claim_list")
    for role, sees in (("rep", {draft, sent}), ("manager", {sent}), ("finance", {sent}), ("analyst", {sent}),
                       ("admin", {sent}), ("rep2", set())):
        html = _login(client, spend, role).get(url).content.decode()
        for claim in (draft, sent):
            assert (str(claim.code) in html) == (claim in sees), (role, claim.purpose)
    assert _login(client, spend, "data_steward").get(url).status_code == 403
    html = _login(client, spend, "admin", "b").get(url).content.decode()
    assert str(sent.code) not in html
    for role in ("rep2", "data_steward"):
        assert _login(client, spend, role).get(_detail(sent)).status_code in (403, 404)
    assert _login(client, spend, "rep2").get(_detail(sent)).status_code == 404
    for role in ("admin", "rep"):
        assert _login(client, spend, role, "b").get(_detail(sent)).status_code == 404
    assert _login(client, spend, "manager").get(_detail(draft)).status_code == 404


def test_list_filters_by_state_rep_and_dates(spend, client):
    old_day = spend.today() - dt.timedelta(days=40)
    with spend.world.scope("a"):
        old = spend.claim(spend.line(amount="100", day=old_day), purpose="旧 old", submit=True)
        new = spend.claim(spend.line(amount="100"), purpose="新 new")
    _login(client, spend, "rep")
    url = reverse("expenses:claim_list")
    html = client.get(url, {"state": "submitted"}).content.decode()
    assert str(old.code) in html and str(new.code) not in html
    html = client.get(url, {"from": (spend.today() - dt.timedelta(days=5)).isoformat()}).content.decode()
    assert str(new.code) in html and str(old.code) not in html
    html = client.get(url, {"to": (old_day + dt.timedelta(days=1)).isoformat(), "state": "bogus"}).content.decode()
    assert str(old.code) in html and str(new.code) not in html
    _login(client, spend, "finance")
    rep = spend.m("rep")
    assert str(old.code) in client.get(url, {"rep": str(rep.code)}).content.decode()
    assert str(old.code) not in client.get(url, {"rep": str(spend.m("rep2").code)}).content.decode()


def test_list_queries_do_not_grow_with_claims(spend, client):
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(90000))
        spend.claim(spend.line(amount="10"), submit=True)
    for role in ("rep", "manager", "finance"):
        _login(client, spend, role)
        with assert_max_queries(14) as few:
            assert client.get(reverse("expenses:claim_list")).status_code == 200
        with spend.world.scope("a"):
            for _i in range(4):
                spend.claim(spend.line(amount="10"), spend.line("travel", "5", hcps=[]), submit=True)
        with assert_max_queries(len(few.captured_queries)):
            assert client.get(reverse("expenses:claim_list"), {"state": "submitted"}).status_code == 200


def test_detail_queries_are_bounded_whatever_the_lines(spend, client):
    c = spend.customers
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(amount=Decimal(90000))
        small = spend.claim(spend.line(amount="10"), submit=True)
        big = spend.claim(*[spend.line(amount="10", hcps=[c.h1, c.zw]) for _i in range(6)],
                          spend.line("travel", "5", hcps=[]), submit=True)
    _login(client, spend, "manager")
    with assert_max_queries(20) as one:
        client.get(_detail(small))
    with assert_max_queries(len(one.captured_queries)):
        client.get(_detail(big))


def test_actions_show_only_to_whom_they_apply(spend, client):
    with spend.world.scope("a"):
        draft = spend.claim(spend.line(amount="100"), purpose="草稿")
        approved = spend.claim(spend.line(amount="100"), purpose="已批", submit=True)
        _decide(approved, spend.m("manager"))
        _decide(approved, spend.m("finance"))
    edit = reverse("expenses:claim_edit", kwargs={"code": draft.code})
    delete = reverse("expenses:claim_delete", kwargs={"code": draft.code})
    correct = reverse("expenses:claim_correct", kwargs={"code": approved.code})
    html = _login(client, spend, "rep").get(_detail(draft)).content.decode()
    assert edit in html and delete in html and correct not in html
    html = client.get(_detail(approved)).content.decode()
    assert correct in html and reverse("expenses:claim_edit", kwargs={"code": approved.code}) not in html
    html = _login(client, spend, "manager").get(_detail(approved)).content.decode()
    assert correct not in html and "Approval" in html
    assert client.post(correct).status_code == 403
    # the rep corrects the approved claim: a linked draft opens; the original lists it
    response = _login(client, spend, "rep").post(correct)
    assert response.status_code == 302
    with spend.world.scope("a"):
        correction = ExpenseClaim.objects.get(corrects=approved)
    assert response["Location"] == reverse("expenses:claim_edit", kwargs={"code": correction.code})
    assert correction.purpose in client.get(_detail(approved)).content.decode()
    assert approved.purpose in client.get(_detail(correction)).content.decode()
    # submit from the page, then delete is refused; a draft is deleted
    assert client.post(reverse("expenses:claim_submit", kwargs={"code": draft.code})).status_code == 302
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.get(pk=draft.pk).state == ClaimState.SUBMITTED
    client.post(delete)
    with spend.world.scope("a"):
        assert ExpenseClaim.objects.filter(pk=draft.pk).exists()
        other = spend.claim(spend.line(amount="10"), purpose="删 delete me")
    assert client.post(reverse("expenses:claim_delete", kwargs={"code": other.code})).status_code == 302
    with spend.world.scope("a"):
        assert not ExpenseClaim.objects.filter(pk=other.pk).exists()


def test_pages_render_the_form_widgets_a_phone_needs(spend, client):
    html = _login(client, spend, "rep").get(reverse("expenses:claim_new")).content.decode()
    assert 'inputmode="decimal"' in html and 'type="date"' in html and 'value="CNY"' in html
    assert 'id="claim-line-template"' in html and re.search(r'hx-post="[^"]*preview', html)
    assert "<script>" not in html  # no inline script (CSP)
