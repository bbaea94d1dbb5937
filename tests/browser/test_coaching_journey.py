"""The coaching journey in Chromium on a 375 px phone: the manager records a co-visit
evaluation (scores on two skills, strengths) and shares it; the rep finds it, reads it and
acknowledges it with a comment; the manager sees it acknowledged. Then the coaching pages at
phone width (no sideways scrolling) with axe, and the trends chart drawn on a desktop."""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from calls.coaching.models import Evaluation, EvaluationState
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.coaching.conftest import build
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}
PHONE = {"viewport": {"width": 375, "height": 812}, "is_mobile": True, "has_touch": True, "locale": "zh-CN",
         "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def journey(tworld):
    coach = build(tworld)
    User.objects.filter(email__in=["manager@a.test", "rep@a.test", "admin@a.test"]).update(language="en")
    return coach


def test_manager_records_an_evaluation_and_the_rep_acknowledges_it(journey, live_server, phone, chromium):
    page = phone.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "manager@a.test", PASSWORD)
    page.goto(f"{live_server.url}/coaching/")
    page.get_by_role("link", name="New evaluation").click()
    expect(page.get_by_role("heading", name="New co-visit evaluation")).to_be_visible()
    page.get_by_label("Rep").select_option(label="rep a")
    opening, discovery = journey.skills[0].name, journey.skills[1].name
    page.get_by_role("group", name=opening).get_by_text("4", exact=True).click()
    page.get_by_role("group", name=discovery).get_by_text("2", exact=True).click()
    page.get_by_label(f"Comment on {discovery}").fill("多问开放式问题")
    page.get_by_label("Strengths").fill("开场自然，信息清楚")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Save and share with the rep").click()
    expect(page.get_by_role("heading", name=re.compile("Evaluation of rep a"))).to_be_visible()
    expect(page.get_by_text("Shared, awaiting acknowledgement")).to_be_visible()
    assert no_sideways_scroll(page)

    rep_context = chromium.new_context(**PHONE)
    try:
        rep = rep_context.new_page()
        rep.set_default_timeout(15000)
        sign_in(rep, live_server.url, "rep@a.test", PASSWORD)
        rep.goto(f"{live_server.url}/coaching/")
        row = rep.get_by_role("row").filter(has_text="manager a")
        expect(row).to_contain_text("Shared, awaiting acknowledgement")
        row.get_by_role("link").first.click()
        scores = rep.get_by_role("table", name="Scores")
        expect(scores.get_by_role("row").filter(has_text=discovery)).to_contain_text("多问开放式问题")
        expect(scores.get_by_role("row").filter(has_text=opening)).to_contain_text("4")
        assert no_sideways_scroll(rep)
        rep.get_by_label("Your comment (optional)").fill("收到，下周练习")
        rep.get_by_role("button", name="Acknowledge").click()
        expect(rep.get_by_text("You have acknowledged the evaluation.")).to_be_visible()
        expect(rep.get_by_text(re.compile("Acknowledged by rep a on"))).to_be_visible()
        expect(rep.get_by_role("button", name="Acknowledge")).to_have_count(0)
    finally:
        rep_context.close()

    page.reload()
    expect(page.get_by_text("收到,下周练习")).to_be_visible()  # full-width comma normalised (NFKC)
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)  # read-only now
    with journey.world.scope("a"), transaction.atomic():
        evaluation = Evaluation.objects.get()
        assert evaluation.state == EvaluationState.ACKNOWLEDGED and evaluation.rep_comment == "收到,下周练习"


def test_coaching_pages_fit_a_phone_and_have_no_wcag_violations(journey, live_server, chromium, desktop):
    with journey.world.scope("a"), transaction.atomic():
        evaluation = journey.evaluate()
    problems = []
    axe = Axe()
    for email, paths in (("manager@a.test", ["/coaching/", "/coaching/new/", f"/coaching/{evaluation.code}/",
                                             f"/coaching/{evaluation.code}/edit/", "/coaching/trends/"]),
                         ("admin@a.test", ["/coaching/skills/", f"/coaching/skills/{journey.skills[0].code}/"])):
        context = chromium.new_context(**PHONE)  # one signed-in user per context
        page = context.new_page()
        sign_in(page, live_server.url, email, PASSWORD)
        for path in paths:
            response = page.goto(f"{live_server.url}{path}")
            assert response.status == 200, path
            page.wait_for_load_state("networkidle")
            if not no_sideways_scroll(page):
                problems.append(f"{path}: scrolls sideways at 375 px")
            for v in axe.run(page, options=AXE_TAGS).response["violations"]:
                problems.append(f"{path}: {v['id']} ({v['impact']}): {v['help']} at "
                                f"{[n['target'] for n in v['nodes']][:3]}")
        if email.startswith("manager"):
            # On a phone the chart waits for a tap (no 1 MB script unasked).
            page.goto(f"{live_server.url}/coaching/trends/")
            page.get_by_role("button", name="Show the chart").click()
            expect(page.locator("#coaching-trends-chart .main-svg").first).to_be_attached()
        context.close()
    assert not problems, "\n".join(problems)

    big = desktop.new_page()
    sign_in(big, live_server.url, "manager@a.test", PASSWORD)
    big.goto(f"{live_server.url}/coaching/trends/")
    expect(big.locator("#coaching-trends-chart .main-svg").first).to_be_attached()
    expect(big.get_by_role("table", name="Average score per month")).to_contain_text(journey.skills[0].name)
