"""Search as you type: HCPs and institutions by Chinese name, full pinyin or initials,
tolerant of typos, limited to what the user sees (two queries)."""

from __future__ import annotations

from django.shortcuts import render
from django.utils.cache import patch_vary_headers

from accounts.permissions import tenant_member_required

from .. import selectors


@tenant_member_required
def search(request):
    q = (request.GET.get("q") or "")[:100]
    results = selectors.search(request.user, q) if q.strip() else {"hcps": [], "institutions": []}
    context = {"q": q, **results}
    template = "customers/search.html"
    if request.htmx and not request.htmx.history_restore_request:
        template += "#search-results"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request",))
    return response
