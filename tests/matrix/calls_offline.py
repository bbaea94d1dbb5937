"""``/sw.js`` and ``/offline/``: the service worker and its fallback page hold no tenant data,
so everyone gets them (anonymous included: the sign-in page registers the worker too)."""

from __future__ import annotations

from . import Row

ROLES = ("anon", "rep", "rep2", "manager", "analyst", "admin", "data_steward", "finance", "b_admin", "b_rep")

ROWS = [
    *[Row("service_worker", r, 200) for r in ROLES],
    Row("service_worker", "rep", 405, method="post"),
    *[Row("offline_page", r, 200) for r in ROLES],
]
