"""The cycle-plan journey on a 375 px phone: the rep opens Today,
proposes the plan of the current cycle, changes a count, submits it; the manager approves it
in the approvals inbox; the rep sees it approved. Today, the calendar and the plan page fit
the phone (no sideways scroll)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.conftest import PASSWORD
from tests.planning.conftest import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey(tworld):
    pw = build(tworld)
    User.objects.filter(email__in=["rep@a.test", "manager@a.test"]).update(language="en")
    return pw


def test_rep_plan_submitted_on_a_phone_and_approved_by_the_manager_in_the_inbox(journey, live_server, phone,
                                                                                 chromium):
    page = phone.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "rep@a.test", PASSWORD)
    page.goto(f"{live_server.url}/plan/today/")
    expect(page.get_by_role("heading", name="Today", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("Planned visits"))).to_be_visible()
    assert no_sideways_scroll(page)

    page.goto(f"{live_server.url}/plan/calendar/?view=month")
    expect(page.get_by_role("heading", name="Calendar", exact=True)).to_be_visible()
    assert no_sideways_scroll(page)

    page.goto(f"{live_server.url}/plan/mine/")
    page.get_by_role("button", name="Propose my plan").first.click()
    expect(page.get_by_role("heading", name=re.compile(f"Cycle plan {journey.cycle.name}"))).to_be_visible()
    assert no_sideways_scroll(page)
    first = page.get_by_label(re.compile("^Planned calls: ")).first
    value = int(first.input_value())
    first.fill(str(value + 1 if value > 1 else value))
    page.get_by_role("button", name="Save the plan").click()
    expect(page.get_by_text("The plan is saved.")).to_be_visible()
    page.get_by_role("button", name="Submit for approval").click()
    expect(page.get_by_text("The plan is sent for approval.")).to_be_visible()
    expect(page.get_by_text("waiting for approval")).to_be_visible()

    manager_phone = chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                                         locale="zh-CN", timezone_id="Asia/Shanghai")
    manager = manager_phone.new_page()
    manager.set_default_timeout(15000)
    sign_in(manager, live_server.url, "manager@a.test", PASSWORD)
    manager.goto(f"{live_server.url}/approvals/")
    manager.get_by_role("link", name=re.compile(f"Cycle plan {journey.cycle.name}")).first.click()
    expect(manager.get_by_text("Planned calls")).to_be_visible()
    manager.get_by_role("button", name="Approve").click()
    expect(manager.get_by_text(re.compile("Approved", re.I)).first).to_be_visible()

    manager_phone.close()

    page.reload()
    expect(page.get_by_text("approved", exact=True)).to_be_visible()
    assert no_sideways_scroll(page)
