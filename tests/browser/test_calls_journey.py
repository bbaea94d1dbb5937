"""The call journey in Chromium on a 375 px phone: the rep logs a face-to-face call on 张伟
with two products and their key messages, checks in (the browser's location is 5.5 km from
the hospital) and submits; the call shows as submitted. The manager then finds it among the
flagged calls with the far-from-institution flag, and on the call's page the distance."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from calls.models import Call
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.calls.conftest import FAR_LAT, FAR_LNG, make_calls_world
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def journey(tworld):
    from calls.services import settings_update

    tcw = make_calls_world(tworld)
    with tcw.world.scope("a"), transaction.atomic():
        settings_update(checkin="optional", far_distance_m=1000)
    User.objects.filter(email__in=["rep@a.test", "manager@a.test"]).update(language="en")
    return tcw


def _phone(chromium, *, geo: bool):
    extra = {"geolocation": {"latitude": float(FAR_LAT), "longitude": float(FAR_LNG), "accuracy": 30},
             "permissions": ["geolocation"]} if geo else {}
    return chromium.new_context(viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
                                locale="zh-CN", timezone_id="Asia/Shanghai", **extra)


def test_rep_logs_a_call_with_two_products_and_the_manager_sees_the_far_flag(journey, live_server, chromium):
    context = _phone(chromium, geo=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "rep@a.test", PASSWORD)
    page.goto(f"{live_server.url}/calls/new/")
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()

    page.get_by_label("HCP", exact=True).fill("zhang")
    page.get_by_role("button", name=re.compile("张伟")).click()
    expect(page.locator("#id_hcp")).to_have_value(str(journey.c.zw.code))
    expect(page.locator("#id_institution")).to_have_value(str(journey.c.i1.code))

    first = page.locator("[data-product-slot='1']")
    first.get_by_label("Product 1").select_option(label="立普妥")
    first.get_by_label(re.compile("每日一次")).check()
    first.get_by_label(re.compile("降低LDL-C")).check()
    second = page.locator("[data-product-slot='2']")
    second.get_by_label("Product 2").select_option(label="络活喜")
    second.get_by_label(re.compile("平稳降压")).check()
    expect(page.locator("[data-product-slot='3']")).to_be_visible()  # the next empty slot opens
    expect(page.locator("[data-product-slot='4']")).to_be_hidden()
    page.get_by_label("Next step").fill("送最新文献")
    page.get_by_role("button", name="Check in here").click()
    expect(page.locator("[data-checkin-status]")).to_have_text("Location recorded.")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text("The call is submitted.")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile("张伟"))).to_be_visible()
    expect(page.get_by_text("submitted", exact=True)).to_be_visible()
    products = page.locator("ol.list-group > li")
    expect(products.nth(0)).to_contain_text("立普妥")
    expect(products.nth(0)).to_contain_text("每日一次")
    expect(products.nth(1)).to_contain_text("络活喜")
    assert no_sideways_scroll(page)
    context.close()
    with journey.world.scope("a"), transaction.atomic():
        call = Call.objects.get()
        assert call.status == "submitted" and call.is_far and call.products.count() == 2

    manager = _phone(chromium, geo=False)
    page = manager.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "manager@a.test", PASSWORD)
    page.goto(f"{live_server.url}/calls/?who=team")
    page.get_by_label("Flagged (far or late)").check()
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("Far from the institution")).to_be_visible()
    assert no_sideways_scroll(page)
    page.get_by_role("link", name=re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d")).first.click()
    expect(page.get_by_text(re.compile(r"\d+ m from the institution"))).to_be_visible()
    expect(page.get_by_text("Logged far from the institution.")).to_be_visible()
    manager.close()
