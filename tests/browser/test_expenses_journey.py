"""The expenses journey in Chromium: the rep, on a phone, files a claim for a dinner with two
HCPs, sees the cap warning as they type (李娜 is near her meals cap), saves it, adds a photo
of the receipt and submits; the manager approves it from the inbox on a phone; finance approves
it and exports it for payment (a real download); the budget bar shows the claim spent. Then
the claim pages at phone width (no sideways scrolling) with axe."""

from __future__ import annotations

import base64
import re
from decimal import Decimal

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from approvals.models import ApprovalStep, StepState
from approvals.services import approval_decide
from expenses.models import Budget, ClaimState, ExpenseClaim, Receipt
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.conftest import PASSWORD
from tests.expenses.conftest import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=")


@pytest.fixture
def journey(tworld):
    spend = build(tworld)
    User.objects.filter(email__in=["manager@a.test", "rep@a.test", "finance@a.test"]).update(language="en")
    with tworld.scope("a"), transaction.atomic():
        # 李娜 had a 1,000 dinner approved earlier this year: a 700 share takes her to 85 % of 2,000
        earlier = spend.claim(spend.line(amount="1000"), purpose="早先的晚餐 Earlier dinner", submit=True)
        for role in ("manager", "finance"):
            step = ApprovalStep.objects.get(request_id=earlier.approval_id, state=StepState.PENDING)
            approval_decide(step=step, actor=spend.m(role), decision=StepState.APPROVED)
    return spend


def _pick_hcp(page, name):
    page.get_by_label("HCPs who benefited").fill(name)
    page.get_by_role("checkbox", name=re.compile(name)).check()


def _used_text(page, budget):
    return page.get_by_role("row").filter(has_text=budget)


def test_rep_files_a_dinner_claim_and_it_is_approved_exported_and_spent(journey, live_server, phone, chromium,
                                                                         desktop, tmp_path):
    receipt = tmp_path / "dinner-receipt.png"
    receipt.write_bytes(PNG)
    page = phone.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "rep@a.test", PASSWORD)
    page.goto(f"{live_server.url}/expenses/")
    page.get_by_role("link", name="New claim").click()
    page.get_by_label("Purpose").fill("学术晚餐 Dinner with two cardiologists")
    page.get_by_label("Category").select_option(label="餐费 Meals")
    page.get_by_label("Amount").fill("1400")
    page.get_by_label("Description").fill("心内科病例讨论晚餐")
    _pick_hcp(page, "李娜")
    _pick_hcp(page, "张伟")
    # the warning as the rep types: 李娜 1,000 used + 700 = 1,700 of 2,000 (85 %)
    warn = page.locator("#claim-preview [data-cap-status='warn']")
    expect(warn.filter(has_text="李娜")).to_contain_text("nearly reached")
    expect(warn.filter(has_text="李娜")).to_contain_text("85%")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("heading", name=re.compile("Dinner with two cardiologists"))).to_be_visible()
    page.get_by_label("Receipt").set_input_files(str(receipt))
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_role("img", name=re.compile("dinner-receipt.png"))).to_be_visible()
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Submit").click()
    expect(page.get_by_text("waiting for approval").first).to_be_visible()
    with journey.world.scope("a"), transaction.atomic():
        claim = ExpenseClaim.objects.get(purpose__contains="Dinner with two cardiologists")
        assert claim.state == ClaimState.SUBMITTED and claim.total == Decimal(1400)
        assert Receipt.objects.filter(claim=claim, content_type="image/png").count() == 1
        shares = sorted(claim.lines.get().hcps.values_list("amount", flat=True))
        assert shares == [Decimal(700), Decimal(700)]

    manager_context = chromium.new_context(**PHONE)
    try:
        manager = manager_context.new_page()
        manager.set_default_timeout(15000)
        sign_in(manager, live_server.url, "manager@a.test", PASSWORD)
        manager.goto(f"{live_server.url}/approvals/")
        row = manager.get_by_role("row").filter(has_text="Dinner with two cardiologists")
        expect(row).to_contain_text("1400")
        assert no_sideways_scroll(manager)
        row.get_by_role("button", name=re.compile("Approve")).click()
        expect(manager.get_by_role("row").filter(has_text="Dinner with two cardiologists")).to_have_count(0)
    finally:
        manager_context.close()

    finance = desktop.new_page()
    finance.set_default_timeout(15000)
    sign_in(finance, live_server.url, "finance@a.test", PASSWORD)
    finance.goto(f"{live_server.url}/expenses/budgets/")
    expect(_used_text(finance, "浦东一区 2026")).to_contain_text("spent 1,000.00 CNY · committed 1,400.00 CNY")
    finance.goto(f"{live_server.url}/approvals/")
    finance.get_by_role("row").filter(has_text="Dinner with two cardiologists").get_by_role(
        "button", name=re.compile("Approve")).click()
    expect(finance.get_by_role("row").filter(has_text="Dinner with two cardiologists")).to_have_count(0)
    finance.goto(f"{live_server.url}/expenses/export/")
    expect(finance.get_by_role("row").filter(has_text="Dinner with two cardiologists")).to_be_visible()
    finance.get_by_label("Format").first.select_option("csv")
    with finance.expect_download() as download:
        finance.get_by_role("button", name="Export and mark as exported").click()
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "Dinner with two cardiologists" in text and "李娜" in text and "张伟" in text
    finance.goto(f"{live_server.url}/expenses/budgets/")
    expect(_used_text(finance, "浦东一区 2026")).to_contain_text("2,400.00 CNY of 3,000.00 CNY used (80 %)")
    expect(_used_text(finance, "浦东一区 2026")).to_contain_text("spent 2,400.00 CNY · committed 0.00 CNY")
    with journey.world.scope("a"), transaction.atomic():
        claim.refresh_from_db()
        assert claim.state == ClaimState.APPROVED and claim.exported_at is not None
        assert Budget.objects.get(pk=journey.budgets["t1"].pk).spent == Decimal(2400)


def test_claim_pages_on_a_phone_with_axe(journey, live_server, phone):
    page = phone.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "rep@a.test", PASSWORD)
    with journey.world.scope("a"), transaction.atomic():
        code = ExpenseClaim.objects.get().code
    axe = Axe()
    for path in ("/expenses/", "/expenses/new/", f"/expenses/{code}/"):
        page.goto(f"{live_server.url}{path}")
        assert no_sideways_scroll(page), path
        result = axe.run(page, options=AXE_TAGS)
        assert result.violations_count == 0, (path, result.generate_report())
