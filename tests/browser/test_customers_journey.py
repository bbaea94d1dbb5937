"""The customer-master journey in Chromium (issue 4, "Tests that must exist"): a rep on a
phone searches "zw", opens 张伟 and proposes a new mobile number; the data steward approves
it in the approvals inbox; the rep sees the new value on 张伟's page."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from approvals.models import ApproverKind
from tests.approvals.conftest import make_chain
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.conftest import PASSWORD
from tests.customers.factories import make_customers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey_world(tworld):
    make_customers(tworld)
    make_chain(tworld, request_type="customer_change",
               steps=[{"kind": ApproverKind.ROLE, "role": "data_steward"}])
    with transaction.atomic():
        User.objects.filter(email__endswith="@a.test").update(language="en")
    return tworld


def test_rep_finds_zhang_wei_by_initials_proposes_a_change_and_sees_it_applied(journey_world, live_server, chromium):
    phone = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                                 locale="en-US", timezone_id="Asia/Shanghai")
    desktop = chromium.new_context(locale="en-US", timezone_id="Asia/Shanghai")
    try:
        rep = phone.new_page()
        rep.set_default_timeout(10000)
        sign_in(rep, live_server.url, "rep@a.test", PASSWORD)
        # 1. Search as you type from the phone's search button: "zw" finds 张伟.
        rep.get_by_role("link", name="Search customers").first.click()
        rep.get_by_label("Name, pinyin or initials").fill("zw")
        result = rep.locator("#search-results").get_by_role("link", name=re.compile("张伟"))
        expect(result).to_be_visible()
        assert no_sideways_scroll(rep)
        result.click()
        rep.wait_for_load_state("networkidle")
        expect(rep.get_by_role("heading", name=re.compile("张伟"))).to_be_visible()
        hcp_url = rep.url
        expect(rep.locator("#hcp-phone")).to_have_text("13800138000")
        # 2. Reps cannot edit master data: they propose a change, with a reason.
        rep.get_by_role("link", name="Propose a change").click()
        rep.wait_for_load_state("networkidle")
        rep.locator("#id_phone").fill("not a number")
        rep.locator("#id_reason").fill("张主任换了新手机号")
        rep.get_by_role("button", name="Send for approval").click()
        rep.wait_for_load_state("networkidle")
        # A bad value is named and what was typed stays.
        expect(rep.get_by_text(re.compile("not a mobile phone number")).first).to_be_visible()
        expect(rep.locator("#id_reason")).to_have_value("张主任换了新手机号")
        rep.locator("#id_phone").fill("13912345678")
        rep.get_by_role("button", name="Send for approval").click()
        rep.wait_for_load_state("networkidle")
        assert no_sideways_scroll(rep)
        # Until the steward decides, nothing changes.
        rep.goto(hcp_url)
        expect(rep.locator("#hcp-phone")).to_have_text("13800138000")

        # 3. The data steward approves it from the approvals inbox.
        steward = desktop.new_page()
        steward.set_default_timeout(10000)
        sign_in(steward, live_server.url, "data_steward@a.test", PASSWORD)
        steward.goto(f"{live_server.url}/approvals/")
        steward.get_by_role("link", name=re.compile("张伟")).first.click()
        steward.wait_for_load_state("networkidle")
        expect(steward.get_by_text("13912345678").first).to_be_visible()
        steward.get_by_role("button", name="Approve").click()
        steward.wait_for_load_state("networkidle")
        expect(steward.get_by_text(re.compile("approved", re.I)).first).to_be_visible()

        # 4. The rep sees the new value.
        rep.goto(hcp_url)
        expect(rep.locator("#hcp-phone")).to_have_text("13912345678")
    finally:
        phone.close()
        desktop.close()


@pytest.fixture
def customer_pages(tworld):
    c = make_customers(tworld)
    return {
        "rep@a.test": ["/customers/hcps/", "/customers/institutions/", "/customers/search/?q=zw",
                       f"/customers/hcps/{c.zw.code}/", f"/customers/institutions/{c.i1.code}/",
                       f"/customers/quality/changes/hcps/{c.zw.code}/edit/", "/customers/quality/changes/"],
        "admin@a.test": ["/customers/hcps/?show=all", f"/customers/hcps/{c.zw.code}/edit/", "/customers/institutions/new/",
                         f"/customers/institutions/{c.i1.code}/", "/customers/quality/duplicates/", "/customers/imports/",
                         "/customers/imports/new/", "/customers/realignments/", "/customers/realignments/new/"],
    }


@pytest.mark.parametrize("email", ["rep@a.test", "admin@a.test"])
def test_customer_pages_fit_a_phone_and_have_no_wcag_violations(customer_pages, live_server, phone, email):
    from axe_playwright_python.sync_playwright import Axe

    page = phone.new_page()
    sign_in(page, live_server.url, email, PASSWORD)
    axe = Axe()
    problems = []
    for path in customer_pages[email]:
        response = page.goto(f"{live_server.url}{path}")
        page.wait_for_load_state("networkidle")
        if response.status != 200:
            problems.append(f"{path}: HTTP {response.status}")
            continue
        if not no_sideways_scroll(page):
            problems.append(f"{path}: scrolls sideways at 375 px")
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
        for v in result.response["violations"]:
            problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}")
    assert not problems, "\n".join(problems)
