"""The service worker (``/sw.js``) and the offline fallback page (``/offline/``): headers,
content, the precache list with the hashed names of the production storage, no tenant data,
and the outbox and queue script on every member's page."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.templatetags.static import static
from django.test import override_settings

from calls import offline
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.django_db


def sw_config(response) -> dict:
    body = response.content.decode()
    match = re.search(r"^self\.SFE_OFFLINE = (\{.*\});$", body, re.M)
    assert match, body
    return json.loads(match.group(1))


def test_service_worker_is_served_from_the_root_with_its_headers(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Service-Worker-Allowed"] == "/"
    assert response["Cache-Control"] == "no-cache"
    body = response.content.decode()
    assert f'importScripts("{static("calls/offline/sw-core.js")}");' in body


def test_service_worker_config_lists_pages_assets_offline_page_and_logout(client):
    config = sw_config(client.get("/sw.js"))
    assert config["pages"] == ["/plan/today/", "/calls/new/", "/calls/"]
    assert config["offline_url"] == "/offline/"
    assert config["logout_url"] == "/accounts/logout/"
    assert config["static_url"] == settings.STATIC_URL
    assert config["hashed"] is False  # DEBUG/test storage: plain names, so the worker goes network-first
    assert static("css/app.css") in config["precache"]
    assert static("calls/offline/queue.js") in config["precache"]
    assert static("vendor/bootstrap-icons/fonts/bootstrap-icons.woff2") in config["precache"]
    assert re.fullmatch(r"[0-9a-f]{12}", config["version"])


def test_precache_holds_every_static_asset_of_the_base_layout():
    base = (Path(settings.BASE_DIR) / "templates" / "includes" / "shell_assets.html").read_text()  # the head of base.html
    used = set(re.findall(r"\{% static '([^']+)' %\}", base))
    assert used, "the base layout names its assets with {% static %}"
    assert used <= set(offline.PRECACHE), f"not precached: {sorted(used - set(offline.PRECACHE))}"


def test_optional_assets_are_precached_only_when_they_exist(monkeypatch):
    monkeypatch.setattr(offline, "PRECACHE_IF_PRESENT", ["calls/call_form.js", "calls/no-such-file.js"])
    assets = offline.worker_config()["precache"]
    assert static("calls/call_form.js") in assets
    assert not any("no-such-file" in a for a in assets)


def test_service_worker_names_hashed_assets_with_the_manifest_storage(tmp_path, client):
    """Production (DEBUG=0) stores hashed names: the worker precaches exactly those, and its
    version follows them."""
    plain = sw_config(client.get("/sw.js"))
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"}}
    with override_settings(STATIC_ROOT=tmp_path, STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)
        config = sw_config(client.get("/sw.js"))
        body = client.get("/sw.js").content.decode()
    assert config["hashed"] is True
    assert config["version"] != plain["version"]
    for url in config["precache"]:
        name = url.removeprefix(settings.STATIC_URL)
        assert re.search(r"\.[0-9a-f]{12}\.(css|js|woff2?)$", name), name
        assert (tmp_path / name).is_file(), name
    core = re.search(r'importScripts\("([^"]+)"\)', body).group(1)
    assert re.search(r"sw-core\.[0-9a-f]{12}\.js$", core)


def test_service_worker_holds_no_user_data_and_is_cheap_for_a_member(world, login):
    rep = world.users["a"]["rep"]
    client = login(rep)
    with assert_max_queries(5) as ctx:
        response = client.get("/sw.js")
    assert response.status_code == 200
    # What every signed-in request costs (the user with the membership and its tenant): nothing of the worker itself.
    real = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"]]
    assert len(real) == 1 and not any("calls_" in q for q in real), real
    body = response.content.decode()
    assert str(rep.code) not in body and rep.email not in body
    assert body == login(world.users["b"]["admin"]).get("/sw.js").content.decode()


def test_service_worker_refuses_post(client):
    assert client.post("/sw.js").status_code == 405


def test_offline_page_for_anonymous_has_links_and_no_outbox(client, english):
    response = client.get("/offline/", HTTP_ACCEPT_LANGUAGE="en")  # anonymous: the browser's language
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-cache"
    html = response.content.decode()
    assert "You are offline" in html
    assert 'href="/plan/today/"' in html and 'href="/calls/new/"' in html
    assert 'id="sfe-outbox"' not in html
    assert f'src="{static("calls/offline/queue.js")}" data-sw="/sw.js"' in html


def test_offline_page_for_a_rep_shows_the_outbox_and_no_tenant_data(world, login, english):
    rep = world.users["a"]["rep"]
    html = login(rep).get("/offline/").content.decode()
    assert f'data-user="{rep.code}"' in html
    assert world.tenants["a"].name not in html and rep.full_name not in html


def test_every_member_page_carries_the_queue_script_and_the_outbox(world, login, english):
    rep = world.users["a"]["rep"]
    html = login(rep).get("/").content.decode()
    script = re.search(r'<script src="([^"]+)" data-sw="/sw\.js" nonce="([^"]+)" defer></script>', html)
    assert script and script.group(1) == static("calls/offline/queue.js") and script.group(2)
    outbox = re.search(r'<div class="dropdown[^"]*" id="sfe-outbox" hidden\s+data-user="([^"]+)"', html)
    assert outbox and outbox.group(1) == str(rep.code)
    for key in ("saved", "failed", "fix", "logout", "waiting"):
        assert re.search(rf'data-msg-{key}="[^"]+"', html), key
    assert "Saved on this device. It will be sent when you are back online." in html


def test_outbox_strings_follow_the_users_language(world, login):
    from django.utils import translation

    rep = world.users["a"]["rep"]
    type(rep).objects.filter(pk=rep.pk).update(language="zh-hans")
    html = login(rep).get("/").content.decode()
    assert '<html lang="zh-CN">' in html
    with translation.override("zh-hans"):
        expected = translation.gettext("Waiting to send")
    assert f'data-msg-waiting="{expected}"' in html


def test_sign_in_page_registers_the_worker_without_an_outbox(client):
    html = client.get("/accounts/login/").content.decode()
    assert 'data-sw="/sw.js"' in html
    assert 'id="sfe-outbox"' not in html
