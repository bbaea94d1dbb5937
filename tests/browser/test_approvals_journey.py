"""The approvals journey in Chromium (issue 3, "Done when"): an admin configures a
two-step chain, a rep submits an access request, the manager approves step one, an
admin rejects step two with a reason, and the rep sees the history."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from playwright.sync_api import expect

from accounts.models import User
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def english_users(tworld):
    with transaction.atomic():
        User.objects.filter(email__endswith="@a.test").update(language="en")
    return tworld


def _as(context, live_server, email):
    page = context.new_page()
    page.set_default_timeout(10000)
    sign_in(page, live_server.url, email, PASSWORD)
    return page


def test_configure_submit_approve_reject_and_see_the_history(english_users, live_server, chromium):
    ctx = {k: chromium.new_context(locale="en-US", timezone_id="Asia/Shanghai") for k in ("admin", "rep", "manager")}
    try:
        # 1. The admin configures a two-step chain: the direct manager, then any administrator.
        admin = _as(ctx["admin"], live_server, "admin@a.test")
        admin.goto(f"{live_server.url}/approvals/chains/new/")
        admin.get_by_label("Request type").select_option(label="Access request (extra role)")
        admin.get_by_label(re.compile(r"^\s*Name\b")).fill("Manager then admin")
        step1 = admin.get_by_role("group", name="Step row 1")
        step1.get_by_label("Approved by").select_option(label="Direct manager")
        step2 = admin.get_by_role("group", name="Step row 2")
        step2.get_by_label("Approved by").select_option(label="Anyone with a role")
        step2.get_by_label("Role (for").select_option(label="Tenant administrator")
        admin.get_by_role("button", name="Save the chain").click()
        admin.wait_for_load_state("networkidle")
        expect(admin.get_by_text("Manager then admin").first).to_be_visible()

        # 2. The rep asks for the analyst role.
        rep = _as(ctx["rep"], live_server, "rep@a.test")
        rep.goto(f"{live_server.url}/approvals/access/new/")
        rep.get_by_label("Role").select_option(label="SFE analyst")
        rep.get_by_label("Why do you need it?").fill("Quarterly review of my territory")
        rep.get_by_role("button", name=re.compile("Send|Submit|Ask")).click()
        rep.wait_for_load_state("networkidle")
        request_url = rep.url
        assert "/approvals/requests/" in request_url

        # 3. The manager approves step one from the inbox, on the request's page.
        manager = _as(ctx["manager"], live_server, "manager@a.test")
        manager.goto(f"{live_server.url}/approvals/")
        manager.get_by_role("link", name=re.compile("asks for the role")).first.click()
        manager.get_by_role("button", name="Approve").click()
        manager.wait_for_load_state("networkidle")
        expect(manager.get_by_text(re.compile("approved", re.I)).first).to_be_visible()

        # 4. The admin rejects step two; without a reason it is refused and nothing is lost.
        admin.goto(request_url)
        admin.get_by_role("button", name="Reject").click()
        admin.wait_for_load_state("networkidle")
        expect(admin.get_by_text(re.compile("Say why", re.I)).first).to_be_visible()
        admin.get_by_label("Reason or comment").fill("Analysts are appointed by head office")
        admin.get_by_role("button", name="Reject").click()
        admin.wait_for_load_state("networkidle")

        # 5. The rep sees the outcome and the whole history, with the reason.
        rep.goto(request_url)
        history = rep.get_by_role("region", name=re.compile("History", re.I))
        expect(rep.get_by_text("Rejected").first).to_be_visible()
        expect(rep.get_by_text("Analysts are appointed by head office").first).to_be_visible()
        expect(history.get_by_text(re.compile("submitted", re.I)).first).to_be_visible()
        expect(history.get_by_text(re.compile("approved", re.I)).first).to_be_visible()
        expect(history.get_by_text(re.compile("rejected", re.I)).first).to_be_visible()
    finally:
        for c in ctx.values():
            c.close()
