"""Offline support for the call form and the today page: the service worker and its fallback page.

``/sw.js`` (name ``service_worker``) is served from the site root so that its scope is the whole
site. It is a small template (``templates/calls/offline/sw.js``) that sets the worker's
configuration and imports the logic from ``static/calls/offline/sw-core.js``; the configuration
holds the ``{% static %}``-resolved names of the assets to precache, so it works with the hashed
names of the manifest storage used in production (``DEBUG=0``).

``/offline/`` (name ``offline_page``) is what the worker shows for a page it has no copy of
when there is no network. Both hold no data of any tenant: anonymous access is fine.

Whose pages are cached: the worker keeps the last good copy of the rep's today page, call form
and call list. Every page tells the worker whose it is (queue.js sends the user's public code);
when that changes, or when the worker sees the POST to the logout URL, the copies are deleted.
Calls saved offline stay in the browser's IndexedDB tagged with the same code, and are shown
and sent only while that user is signed in (``static/calls/offline/queue.js``).

Mounted by one line in ``sfe/urls.py``: ``path("", include("calls.offline"))``.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, path, reverse
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_GET

#: Bump when sw-core.js changes in a way the hashed names would not show (DEBUG serves plain names).
SW_REVISION = "1"

#: What every page of the rep needs (the assets of ``templates/base.html``, the icon fonts its
#: CSS loads, and this app's queue). A test checks that every ``{% static %}`` of base.html is here.
PRECACHE = [
    "vendor/bootstrap/bootstrap.min.css",
    "vendor/bootstrap-icons/bootstrap-icons.min.css",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff2",
    "vendor/bootstrap-icons/fonts/bootstrap-icons.woff",
    "css/app.css",
    "vendor/htmx/htmx.min.js",
    "vendor/bootstrap/bootstrap.bundle.min.js",
    "js/app.js",
    "calls/offline/queue.js",
]

#: Assets of the call form and the today page, precached when they exist (other parts of the
#: calls app add theirs here; anything else a cached page loads is cached the first time it is
#: fetched online).
PRECACHE_IF_PRESENT = [
    "calls/call_form.js",
    "planning/planning.css",
    "planning/today.js",
]

#: The pages served network-first with the last good copy as fallback: (URL name, fallback path).
PAGES = [("planning:today", "/plan/today/"), ("calls:call_new", "/calls/new/"), (None, "/calls/")]


def _url(name: str | None, fallback: str) -> str:
    if name is None:
        return fallback
    try:
        return reverse(name)
    except NoReverseMatch:  # the page is not mounted (yet): the path it will have
        return fallback


def _assets() -> list[str]:
    present = [p for p in PRECACHE_IF_PRESENT if finders.find(p) or staticfiles_storage.exists(p)]
    return [static(p) for p in [*PRECACHE, *present]]


def worker_config() -> dict:
    """The service worker's configuration; ``version`` changes whenever an asset's name does."""
    assets = _assets()
    core = static("calls/offline/sw-core.js")
    version = hashlib.sha256(json.dumps([SW_REVISION, core, assets]).encode()).hexdigest()[:12]
    return {
        "version": version,
        "core": core,
        "static_url": settings.STATIC_URL,
        "hashed": isinstance(staticfiles_storage, ManifestFilesMixin),
        "precache": assets,
        "pages": [_url(name, fallback) for name, fallback in PAGES],
        "offline_url": reverse("offline_page"),
        "logout_url": reverse("logout"),
    }


@require_GET
def service_worker(request):
    config = worker_config()
    body = render_to_string("calls/offline/sw.js", {
        "config": mark_safe(json.dumps(config, sort_keys=True)),  # noqa: S308 - our own JSON (ASCII, no user input)
        "core": mark_safe(json.dumps(config["core"])),  # noqa: S308 - a static URL as a JS string
    })
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def offline_page(request):
    links = {"today_url": _url(*PAGES[0]), "call_new_url": _url(*PAGES[1])}
    response = render(request, "calls/offline/offline.html", links)
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("sw.js", service_worker, name="service_worker"),
    path("offline/", offline_page, name="offline_page"),
]
