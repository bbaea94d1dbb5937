"""The samples journey on a 375 px phone: the rep opens "give samples" for a call, gives two
samples, signs on screen with a finger, and sees the stock go down in their inventory."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from calls.samples.models import MoveKind, SampleMove, SampleSignature
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.conftest import PASSWORD
from tests.samples.conftest import build

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign(page):
    pad = page.get_by_role("img", name="Signature pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 20, y + 100)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(x + 20 + i * 25, y + 100 + (30 if i % 2 else -30), steps=3)
    page.mouse.up()


def test_rep_gives_two_samples_signs_and_sees_the_stock_go_down(tworld, live_server, phone):
    s = build(tworld)
    User.objects.filter(email="rep@a.test").update(language="en")
    page = phone.new_page()
    page.set_default_timeout(15000)
    sign_in(page, live_server.url, "rep@a.test", PASSWORD)

    page.goto(f"{live_server.url}/samples/")
    row = page.get_by_role("row").filter(has_text="L1")
    expect(row).to_contain_text("10")
    expect(page.get_by_text("Expires soon")).to_be_visible()
    assert no_sideways_scroll(page)

    page.goto(f"{live_server.url}/samples/calls/{s.call.code}/give/")
    expect(page.get_by_role("heading", name="Give samples")).to_be_visible()
    assert no_sideways_scroll(page)
    page.get_by_label(re.compile(r"lot L1")).fill("2")
    page.get_by_label(re.compile(r"lot L2")).fill("1")
    expect(page.get_by_label(re.compile(r"lot LX"))).to_be_disabled()

    # Without a signature the tenant's rule refuses, and nothing is given.
    page.get_by_role("button", name="Record the samples given").click()
    expect(page.get_by_role("alert")).to_contain_text("signature is required")
    expect(page.get_by_label(re.compile(r"lot L1"))).to_have_value("2")

    _sign(page)
    expect(page.get_by_text("Signed")).to_be_visible()
    page.get_by_role("button", name="Record the samples given").click()
    expect(page.get_by_text("3 samples given and recorded.")).to_be_visible()
    expect(page.get_by_role("heading", name="Given in this call")).to_be_visible()

    page.goto(f"{live_server.url}/samples/")
    expect(page.get_by_role("row").filter(has_text="L1")).to_contain_text("8")
    expect(page.get_by_role("row").filter(has_text="L2")).to_contain_text("4")
    assert no_sideways_scroll(page)

    page.goto(f"{live_server.url}/samples/ledger/")
    expect(page.get_by_role("row").filter(has_text="given").first).to_be_visible()
    assert no_sideways_scroll(page)

    with tworld.scope("a"), transaction.atomic():
        assert sorted(SampleMove.objects.filter(kind=MoveKind.GIVEN).values_list("quantity", flat=True)) == [-2, -1]
        sig = SampleSignature.objects.get()
        assert sig.svg_path.startswith("M") and " L" in sig.svg_path
        assert sig.image.read().startswith(b"\x89PNG")
