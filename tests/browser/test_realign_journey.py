"""The realignment journey in Chromium on a 375 px phone: an admin prepares a realignment
by province with a future date, reads the impact table (as cards), applies it."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from customers.models import Alignment
from tests.browser.conftest import no_sideways_scroll, sign_in
from tests.conftest import PASSWORD
from tests.customers.factories import make_customers

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def tcustomers(tworld):
    return make_customers(tworld)


def test_admin_prepares_previews_and_applies_on_a_phone(tworld, tcustomers, live_server, phone):
    world = tworld
    with transaction.atomic():
        User.objects.filter(email="admin@a.test").update(language="en")
    day = world.tenants["a"].today() + dt.timedelta(days=7)
    page = phone.new_page()
    page.set_default_timeout(10000)
    sign_in(page, live_server.url, "admin@a.test", PASSWORD)
    page.goto(f"{live_server.url}/customers/realignments/new/")
    page.get_by_label("How to choose the customers").select_option(label="By province and city")
    page.wait_for_load_state("networkidle")
    page.get_by_label("Product line").select_option(label="心血管")
    page.get_by_label("Effective date").fill(day.isoformat())
    page.get_by_label("Province").fill("上海市")
    page.get_by_label("Move to territory").select_option(label="朝阳一区")
    assert no_sideways_scroll(page)
    page.get_by_role("button", name="Prepare and preview").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("heading", name="Impact per territory")).to_be_visible()
    row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="朝阳一区"))
    expect(row.get_by_role("cell").first).to_contain_text(re.compile(r"1\s*→\s*4"))
    assert no_sideways_scroll(page), "the preview scrolls sideways at 375 px"
    page.on("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Apply").click()
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("alert").filter(has_text="5 alignments created")).to_be_visible()
    with world.scope("a"), transaction.atomic():
        assert set(Alignment.objects.filter(source="realignment").values_list("start_date", flat=True)) == {day}
