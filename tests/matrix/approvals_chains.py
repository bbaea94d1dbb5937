"""Approval-chain configuration: admins only; the other tenant's admin gets 404 for
tenant A's chain codes (and their own, empty, list and create page)."""

from __future__ import annotations

from . import Row

NOT_ADMINS = ("rep", "manager", "analyst", "data_steward", "finance")


def _chain(w):
    from tests.approvals.conftest import make_chain

    return {"code": make_chain(w).code}


def _create_data(w):
    from approvals.access import KEY

    return {"request_type": KEY, "name": "矩阵链", "priority": "100",
            "steps-TOTAL_FORMS": "1", "steps-INITIAL_FORMS": "0", "steps-MIN_NUM_FORMS": "0",
            "steps-MAX_NUM_FORMS": "20", "steps-0-kind": "direct_manager", "steps-0-time_limit_hours": "48",
            "steps-0-ORDER": "1"}


def _page(name, kwargs=None, data=None, method="get", ok=200, b_admin=404):
    return [
        Row(name, "anon", 302, method=method, kwargs=kwargs, data=data),
        *[Row(name, r, 403, method=method, kwargs=kwargs, data=data) for r in NOT_ADMINS],
        Row(name, "admin", ok, method=method, kwargs=kwargs, data=data),
        Row(name, "b_admin", b_admin, method=method, kwargs=kwargs, data=data),
        Row(name, "b_rep", 403, method=method, kwargs=kwargs, data=data),
    ]


ROWS = [
    *_page("approvals:chains", b_admin=200),  # their own tenant's chains
    *_page("approvals:chain_create", b_admin=200),
    *_page("approvals:chain_create", data=_create_data, method="post", ok=302, b_admin=302),
    *_page("approvals:chain_edit", kwargs=_chain),
    *_page("approvals:chain_edit", kwargs=_chain, data=_create_data, method="post", ok=302),
    *_page("approvals:chain_deactivate", kwargs=_chain, method="post", ok=302),
    *_page("approvals:chain_activate", kwargs=_chain, method="post", ok=302),
    Row("approvals:chain_deactivate", "admin", 405, kwargs=_chain),  # POST only
]
