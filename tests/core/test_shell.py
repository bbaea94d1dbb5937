"""The base layout's kept parts (``sfe/core/templatetags/shell.py``): the navigation bar and
the asset tags are rendered once per key, and what a page shows still follows the user, the
tenant, the language, the badges and the page; the per-request CSRF token and CSP nonce are
the request's own."""

from __future__ import annotations

import re

from django.middleware.csrf import _unmask_cipher_token

from accounts.models import User
from accounts.services.notifications import notify
from sfe.core.templatetags.shell import fragments


def _navbar(html: str) -> str:
    match = re.search(r"<nav class=\"navbar.*?</nav>", html, re.S)
    assert match, "the page has the navigation bar"
    return match.group(0)


def test_the_bar_is_each_users_own_and_follows_changes_at_once(world, login, english):
    fragments.clear()
    rep_a, rep_b = world.users["a"]["rep"], world.users["b"]["rep"]
    first = _navbar(login(rep_a).get("/").content.decode())
    assert rep_a.full_name in first and world.tenants["a"].name in first
    other = _navbar(login(rep_b).get("/").content.decode())
    assert rep_b.full_name in other and world.tenants["b"].name in other
    assert rep_a.full_name not in other and world.tenants["a"].name not in other
    assert len(fragments.data) >= 2

    User.objects.filter(pk=rep_a.pk).update(full_name="改名 Renamed")
    again = _navbar(login(rep_a).get("/").content.decode())
    assert "改名 Renamed" in again and rep_a.full_name not in again


def test_the_bar_follows_the_badge_the_language_and_the_page(world, login, english):
    rep = world.users["a"]["rep"]
    client = login(rep)
    before = _navbar(client.get("/").content.decode())
    assert "text-bg-warning" not in before  # no unread notification
    with world.scope("a"):
        notify(recipients=[rep.membership_row], kind="test", title="t")
    after = _navbar(client.get("/").content.decode())
    assert re.search(r'text-bg-warning">1<span class="visually-hidden"> unread', after), after

    User.objects.filter(pk=rep.pk).update(language="zh-hans")
    chinese = _navbar(client.get("/").content.decode())
    assert "退出登录" in chinese and "Sign out" not in chinese

    today = _navbar(client.get("/plan/today/").content.decode())
    active = re.findall(r'<a class="nav-link active" aria-current="page" href="([^"]+)"', today)
    assert active == ["/plan/today/"]


def test_the_csrf_token_and_the_nonce_are_the_requests_own(world, login, english):
    client = login(world.users["a"]["rep"])
    tokens, nonces = set(), set()
    for _ in range(2):
        response = client.get("/")
        html = response.content.decode()
        token = re.search(r'action="/accounts/logout/"><input type="hidden" name="csrfmiddlewaretoken" value="([^"]+)"',
                          html)
        assert token, "the sign-out form carries a CSRF token"
        secret = client.cookies["csrftoken"].value
        assert _unmask_cipher_token(token.group(1)) == secret  # valid for this browser
        tokens.add(token.group(1))
        header = response["Content-Security-Policy"]
        page_nonces = set(re.findall(r'<script [^>]*nonce="([^"]*)"', html))
        assert len(page_nonces) == 1 and f"'nonce-{next(iter(page_nonces))}'" in header
        nonces |= page_nonces
    assert len(tokens) == 2 and len(nonces) == 2  # masked anew, and a new nonce, on every page
