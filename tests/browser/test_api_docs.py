"""The API docs page in a real Chromium: Swagger UI starts under the CSP, no CDN."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_docs_page_renders_the_operations_with_no_csp_violation(tworld, live_server, desktop, client):
    client.force_login(tworld.users["a"]["rep"])
    desktop.add_cookies([{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}])
    page = desktop.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server.url) else None)
    page.goto(f"{live_server.url}/api/docs/")
    page.get_by_text("/api/v1/org/nodes/", exact=True).first.wait_for(timeout=15000)
    assert not [p for p in problems if "Content Security Policy" in p or "Refused" in p], problems
    assert not outside, outside
