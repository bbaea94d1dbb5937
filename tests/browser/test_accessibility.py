"""axe-core (bundled with axe-playwright-python, offline) finds no WCAG 2.x A/AA
violations on the main pages, on a phone and in Chinese."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = {
    "admin@a.test": ["/", "/org/", "/users/", "/audit/", "/approvals/", "/approvals/chains/new/",
                     "/approvals/delegations/", "/org/settings/"],
    "rep@a.test": ["/", "/approvals/mine/", "/approvals/access/new/", "/notifications/"],
}


@pytest.mark.parametrize("email", sorted(PAGES))
def test_main_pages_have_no_wcag_a_or_aa_violations(tworld, live_server, phone, email):
    page = phone.new_page()
    sign_in(page, live_server.url, email, PASSWORD)
    axe = Axe()
    problems = []
    for path in PAGES[email]:
        page.goto(f"{live_server.url}{path}")
        result = axe.run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
        for v in result.response["violations"]:
            targets = [n["target"] for n in v["nodes"]][:3]
            problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} at {targets}")
    assert not problems, "\n".join(problems)


def test_sign_in_page_has_no_violations(tworld, live_server, phone):
    page = phone.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    result = Axe().run(page, options={"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}})
    assert not result.response["violations"], [v["id"] for v in result.response["violations"]]
