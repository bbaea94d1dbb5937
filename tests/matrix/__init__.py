"""Rows of the permission matrix, one module per area (org, users, audit, api, core).

A row says: this URL (by name, with kwargs built from tenant A's world), requested with
this method by this kind of user, answers with this status. Roles: ``anon``; ``rep``,
``rep2``, ``manager``, ``analyst``, ``admin``, ``data_steward``, ``finance`` of tenant A;
``b_admin`` and ``b_rep`` of tenant B (the other tenant: tenant A's objects must be 404).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Row:
    name: str
    role: str
    expected: int
    method: str = "get"
    kwargs: Callable[[Any], dict] | None = None
    data: Callable[[Any], dict] | None = None
    query: str = ""

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.name} as {self.role} -> {self.expected}"
