"""Navigation by role, one registry that apps add to in their AppConfig.ready()."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.functional import SimpleLazyObject


@dataclass(frozen=True)
class NavItem:
    key: str
    label: str
    url_name: str
    icon: str
    roles: tuple[str, ...]  # empty: everyone signed in to a tenant
    order: int = 100
    #: A number shown beside the label (e.g. items waiting): request -> int. Computed
    #: only when the page renders it, once per page.
    badge: Callable | None = None


_items: list[NavItem] = []


def register(item: NavItem) -> None:
    if any(i.key == item.key for i in _items):
        return
    _items.append(item)
    _items.sort(key=lambda i: i.order)


def navigation_for(request) -> list[dict]:
    membership = getattr(request, "membership", None)
    if membership is None:
        return []
    out = []
    for item in _items:
        if item.roles and not membership.has_role(*item.roles):
            continue
        url = _url(item.url_name)
        if url is None:
            continue
        out.append({
            "key": item.key, "label": item.label, "url": url, "icon": item.icon,
            "active": request.path == url or (url != "/" and request.path.startswith(url)),
            "badge": _lazy(item.badge, request) if item.badge else None,
        })
    return out


@functools.lru_cache(maxsize=256)
def _reverse(url_name: str, prefix: str, urlconf) -> str | None:
    try:
        return reverse(url_name)
    except NoReverseMatch:
        return None


def _url(url_name: str) -> str | None:
    """An item's URL, reversed once per URL name, script prefix and URLconf (not once per page)."""
    return _reverse(url_name, get_script_prefix(), get_urlconf())


def _lazy(badge: Callable, request):
    return SimpleLazyObject(lambda: badge(request))
