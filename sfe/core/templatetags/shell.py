"""The base layout's two costly parts, rendered once and kept: the asset tags of the head
and the navigation bar.

Rendering the navigation bar (a loop over the items with their icons, labels, badges and
the user menu, translated) cost about as much as the whole of a day plan's own content, on
every page. Both parts are pure functions of what their key holds, so they are kept in a
small per-process LRU and never need invalidating: a changed name, role, language, badge,
tenant name or active item is another key. What differs per request and must not be kept
— the CSP nonce and the CSRF token — is rendered as a placeholder and put in afterwards.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django import template
from django.core.signals import setting_changed
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

_NONCE = "sfe-shell-nonce-3b9e"
_CSRF = "sfe-shell-csrf-3b9e"
MAX_ENTRIES = 4096


class _Lru:
    def __init__(self, size: int):
        self.size = size
        self.data: OrderedDict = OrderedDict()
        self.lock = threading.Lock()

    def get_or_render(self, key, render):
        with self.lock:
            html = self.data.get(key)
            if html is not None:
                self.data.move_to_end(key)
                return html
        html = render()
        with self.lock:
            self.data[key] = html
            if len(self.data) > self.size:
                self.data.popitem(last=False)
        return html

    def clear(self) -> None:
        with self.lock:
            self.data.clear()


fragments = _Lru(MAX_ENTRIES)


def _number(value) -> int:
    """A badge or count: None, an int, or a lazy count (evaluated here, once)."""
    if not value:
        return 0
    return int(getattr(value, "_wrapped", value))


@register.simple_tag(takes_context=True)
def shell_assets(context):
    """The stylesheets and scripts of every page (``includes/shell_assets.html``)."""
    html = fragments.get_or_render(("assets",), lambda: render_to_string(
        "includes/shell_assets.html", {"nonce": _NONCE}))
    request = context.get("request")
    # str(), not bool(): django-csp's lazy nonce is falsy until it has been read.
    return mark_safe(html.replace(_NONCE, str(getattr(request, "csp_nonce", ""))))  # noqa: S308 - ours


@register.simple_tag(takes_context=True)
def navbar(context):
    """The navigation bar of a signed-in user (``includes/navbar.html``)."""
    request = context.get("request")
    user = context.get("user")
    membership = context.get("membership")
    tenant = context.get("tenant")
    items = [{**item, "badge": _number(item["badge"])} for item in (context.get("nav") or [])]
    unread = _number(context.get("unread_notifications")) if membership is not None else 0
    key = (
        "navbar", get_language(), user.pk, user.full_name, str(getattr(user, "code", "")),
        membership.pk if membership is not None else None,
        tuple(membership.roles or ()) if membership is not None else (),
        tenant.pk if tenant is not None else None, tenant.name if tenant is not None else None,
        unread, tuple((i["key"], i["url"], i["active"], i["badge"]) for i in items),
    )
    html = fragments.get_or_render(key, lambda: render_to_string("includes/navbar.html", {
        "user": user, "membership": membership, "tenant": tenant, "nav": items,
        "unread_notifications": unread, "csrf_token": _CSRF}))
    # The page's own token (the context's lazy ``csrf_token``, which the layout reads too):
    # each ``get_token()`` call masks a fresh one, a third of this tag's time.
    token = context.get("csrf_token") or (get_token(request) if request is not None else "")
    return mark_safe(html.replace(_CSRF, str(token)))  # noqa: S308 - our template; the token is Django's


def _settings_changed(**kwargs) -> None:
    # A test that overrides the URLconf, the static files or the templates gets fresh parts.
    fragments.clear()


setting_changed.connect(_settings_changed)
