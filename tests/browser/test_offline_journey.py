"""Offline in Chromium on a phone (390×844): the rep opens today and the call form (the
service worker keeps them), logs a call with two products online; goes offline, opens the
today page and the form again (from the worker's cache), logs another call (kept on the
device, the badge says 1); comes back online; the queue drains and both calls exist exactly
once, also when the stored request is sent again (twice at once, as a retry would)."""

from __future__ import annotations

import datetime as dt
import re
import zoneinfo

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import User
from calls.models import Call
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.calls.conftest import make_calls_world
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AXE_TAGS = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21aa"]}}


@pytest.fixture
def journey(tworld):
    with transaction.atomic():
        cw = make_calls_world(tworld)
    User.objects.filter(email="rep@a.test").update(language="en")
    return cw


@pytest.fixture
def phone390(chromium):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                   locale="zh-CN", timezone_id="Asia/Shanghai")
    yield context
    context.close()


def calls_with(tworld, code) -> int:
    with tworld.scope("a"), transaction.atomic():
        return Call.objects.filter(code=code).count()


def worker_ready(page) -> None:
    """The page has registered the service worker and told it whose pages these are."""
    expect(page.locator("html")).to_have_attribute("data-offline-ready", "1", timeout=20000)


def log_call(page, *, products: list[tuple[str, str]], notes: str) -> str:
    """Fill the call form (its HCP already chosen) and submit; returns the form's code."""
    page.get_by_label("face to face").check()
    for n, (brand, message) in enumerate(products, start=1):
        if n > 1:
            page.get_by_role("button", name="Add a product").click()
        page.get_by_label(f"Product {n}", exact=True).select_option(label=brand)
        page.get_by_label(re.compile(rf"^{message} \({brand}\)$")).nth(n - 1).check()
    page.get_by_label("Notes").fill(notes)
    code = page.locator("form[data-offline-queue] input[name=code]").input_value()
    page.get_by_role("button", name="Submit").click()
    return code


def test_rep_logs_calls_offline_and_each_is_sent_exactly_once(journey, tworld, live_server, phone390):
    base = live_server.url
    hcp = journey.c.zw
    form_url = f"{base}/calls/new/?hcp={hcp.code}"
    page = phone390.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "rep@a.test", PASSWORD)
    worker_ready(page)

    # Online: today and the form are opened (and kept by the worker); a call with two products is logged.
    page.goto(f"{base}/plan/today/")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    worker_ready(page)
    page.goto(form_url)
    worker_ready(page)
    online_code = log_call(page, products=[("立普妥", "每日一次"), ("络活喜", "平稳降压")], notes="在线拜访")
    page.wait_for_url(re.compile(r"/calls/[0-9a-f-]{36}/$"))
    assert calls_with(tworld, online_code) == 1
    with tworld.scope("a"), transaction.atomic():
        assert [p.brand.name for p in Call.objects.get(code=online_code).products.order_by("position")] == ["立普妥", "络活喜"]

    # Offline: the today page and the form still open (from the worker's cache).
    phone390.set_offline(True)
    page.goto(f"{base}/plan/today/")
    expect(page.get_by_role("heading", name="Today")).to_be_visible()
    page.get_by_role("link", name="Log a call").first.click()  # never opened: the worker fetched it ahead from a link
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    page.goto(form_url)
    expect(page.get_by_role("heading", name="Log a call")).to_be_visible()
    code_input = page.locator("form[data-offline-queue] input[name=code]")
    expect(code_input).not_to_have_value(online_code)  # the cached copy carried the code just used: a new one
    cached_code = code_input.input_value()
    offline_code = log_call(page, products=[("立普妥", "降低LDL-C")], notes="离线拜访")
    assert offline_code == cached_code

    # Kept on the device: the page says so, the badge counts 1, the list names the HCP; nothing reached the server.
    expect(page.get_by_role("status").filter(has_text="Saved on this device")).to_be_visible()
    badge = page.get_by_role("button", name="1 waiting to send")
    expect(badge).to_be_visible()
    expect(code_input).not_to_have_value(offline_code)  # the next call gets a new code
    assert code_input.input_value() != online_code
    badge.click()
    expect(page.locator("[data-outbox-list] > li")).to_have_count(1)
    expect(page.locator("[data-outbox-list] > li").first).to_be_visible()
    expect(page.locator("[data-outbox-list] > li").first).to_contain_text(hcp.name)
    expect(page.get_by_role("button", name="Send now")).to_be_in_viewport()
    assert no_sideways_scroll(page)
    stored = page.evaluate("window.sfeOffline.outbox.all()")
    assert [i["code"] for i in stored] == [offline_code]
    assert calls_with(tworld, offline_code) == 0

    # A page the worker never kept: the offline page, with the way back to what works.
    page.goto(f"{base}/customers/search/")
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    expect(page.get_by_role("link", name="Log a call")).to_be_visible()
    assert no_sideways_scroll(page)
    assert Axe().run(page, options=AXE_TAGS).violations_count == 0
    page.goto(form_url)

    # Online again: the queue drains by itself, the badge goes, the call exists once.
    phone390.set_offline(False)
    expect(page.locator("#sfe-outbox")).to_be_hidden(timeout=30000)
    expect(page.get_by_role("status").filter(has_text="have been sent")).to_be_visible()
    assert calls_with(tworld, offline_code) == 1
    with tworld.scope("a"), transaction.atomic():
        call = Call.objects.get(code=offline_code)
        assert call.notes == "离线拜访" and call.hcp_id == hcp.pk and call.source == "offline"
    assert page.evaluate("window.sfeOffline.outbox.all()") == []

    # A retry of the same request, twice at once: answered ok, still one call each.
    answers = page.evaluate("item => Promise.all([window.sfeOffline.send(item), window.sfeOffline.send(item)])", stored[0])
    assert [a["ok"] for a in answers] == [True, True], answers
    assert calls_with(tworld, offline_code) == 1
    assert calls_with(tworld, online_code) == 1
    with tworld.scope("a"), transaction.atomic():
        assert Call.objects.filter(rep=journey.m("rep"), notes__in=["在线拜访", "离线拜访"]).count() == 2


def test_refused_queued_call_is_marked_and_reopens_filled_in(journey, tworld, live_server, phone390):
    """A call kept offline that the server refuses (here: dated in the future) stays, marked with the
    server's message, and "Fix" opens the form filled in with it."""
    base = live_server.url
    page = phone390.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "rep@a.test", PASSWORD)
    worker_ready(page)
    form_url = f"{base}/calls/new/?hcp={journey.c.zw.code}"
    page.goto(form_url)
    worker_ready(page)

    phone390.set_offline(True)
    page.goto(form_url)
    page.get_by_label("Time of visit").fill("2099-01-01T10:00")
    code = log_call(page, products=[("立普妥", "每日一次")], notes="日期错误")
    expect(page.get_by_role("button", name="1 waiting to send")).to_be_visible()

    phone390.set_offline(False)
    page.evaluate("window.sfeOffline.drain()")
    badge = page.get_by_role("button", name="1 waiting to send")
    expect(badge).to_have_class(re.compile("btn-danger"))
    badge.click()
    item = page.locator("[data-outbox-list] > li")
    expect(item).to_contain_text("Not accepted")
    assert calls_with(tworld, code) == 0

    item.get_by_role("link", name="Fix").click()
    expect(page.get_by_role("status").filter(has_text="not accepted")).to_be_visible()
    assert page.locator("form[data-offline-queue] input[name=code]").input_value() == code
    expect(page.get_by_label("Notes")).to_have_value("日期错误")
    an_hour_ago = timezone.localtime(timezone.now() - dt.timedelta(hours=1), zoneinfo.ZoneInfo(tworld.tenants["a"].time_zone))
    page.get_by_label("Time of visit").fill(an_hour_ago.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="Submit").click()
    page.wait_for_url(re.compile(r"/calls/[0-9a-f-]{36}/$"))
    assert calls_with(tworld, code) == 1
    assert page.evaluate("window.sfeOffline.outbox.all()") == []


def test_sign_out_forgets_the_pages_and_keeps_the_queue_for_its_owner_only(journey, tworld, live_server, phone390):
    """Signing out empties the worker's copies of the rep's pages (offline, the form is no longer
    there); a call still waiting stays on the device for the rep only: another rep signing in on
    the same phone neither sees nor sends it, and the rep finds it on signing in again."""
    base = live_server.url
    form_url = f"{base}/calls/new/?hcp={journey.c.zw.code}"
    page = phone390.new_page()
    page.set_default_timeout(15000)
    sign_in(page, base, "rep@a.test", PASSWORD)
    worker_ready(page)
    page.goto(form_url)
    worker_ready(page)
    phone390.set_offline(True)
    page.goto(form_url)
    page.get_by_label("Time of visit").fill("2099-01-01T10:00")  # refused when sent: it stays waiting
    code = log_call(page, products=[("立普妥", "每日一次")], notes="仍在等待")
    expect(page.get_by_role("button", name="1 waiting to send")).to_be_visible()
    phone390.set_offline(False)
    page.evaluate("window.sfeOffline.drain()")
    expect(page.get_by_role("button", name="1 waiting to send")).to_have_class(re.compile("btn-danger"))

    # Sign out: the menu warns that a call is still waiting.
    warnings = []
    page.on("dialog", lambda d: (warnings.append(d.message), d.accept()))
    page.get_by_role("button", name="Open menu").click()
    page.get_by_role("button", name="rep a").click()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/accounts/login/"))
    worker_ready(page)
    assert warnings and "still waiting" in warnings[0]

    phone390.set_offline(True)
    page.goto(form_url)
    expect(page.get_by_role("heading", name="You are offline")).to_be_visible()
    assert page.locator("form[data-offline-queue]").count() == 0
    phone390.set_offline(False)

    User.objects.filter(email="rep2@a.test").update(language="en")
    sign_in(page, base, "rep2@a.test", PASSWORD)
    worker_ready(page)
    page.evaluate("window.sfeOffline.drain({force: true})")
    expect(page.locator("#sfe-outbox")).to_be_hidden()
    assert [i["code"] for i in page.evaluate("window.sfeOffline.outbox.all()")] == [code]
    assert calls_with(tworld, code) == 0

    page.context.clear_cookies()
    sign_in(page, base, "rep@a.test", PASSWORD)
    expect(page.get_by_role("button", name="1 waiting to send")).to_be_visible()
