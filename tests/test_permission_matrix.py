"""One permission matrix over every named URL (pretix's test_permissions, NetBox's rows).

Rows live in ``tests/matrix/*.py``. A named URL with no row fails
``test_every_url_has_a_row``: a new endpoint cannot land without saying who may use it.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

import tests.matrix as matrix_pkg
from tests.matrix import Row

# URLs outside the matrix, each with the reason.
EXEMPT_PREFIXES = (
    "admin:",  # Django admin: platform operators only, staff check by Django itself
)
EXEMPT = {
    "password_reset_confirm": "token URL; covered by tests/accounts/test_auth.py",
    "password_reset_complete": "static confirmation page",
    "password_reset_done": "static confirmation page",
    "password_change_done": "static confirmation page",
    "logout": "POST-only sign-out, covered by test_auth",
    "set_language": "POST-only, covered by test_auth",
}


#: A matrix module's ``PREPARE(world)``, run in tenant A's scope once per URL before its
#: rows (outside their savepoints): the data every row of that module needs is made once,
#: not once per role.
PREPARE: dict[str, object] = {}


def _rows() -> list[Row]:
    rows: list[Row] = []
    for mod in pkgutil.iter_modules(matrix_pkg.__path__):
        module = importlib.import_module(f"tests.matrix.{mod.name}")
        module_rows = getattr(module, "ROWS", [])
        rows += module_rows
        if hasattr(module, "PREPARE"):
            PREPARE.update({r.name: module.PREPARE for r in module_rows})
    return rows


ROWS = _rows()


def _names(resolver=None, prefix="") -> set[str]:
    resolver = resolver or get_resolver()
    names: set[str] = set()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _names(p, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(prefix + p.name)
    return names


def test_every_url_has_a_row():
    covered = {r.name for r in ROWS}
    missing = sorted(
        n for n in _names()
        if n not in covered and n not in EXEMPT and not n.startswith(EXEMPT_PREFIXES)
    )
    assert not missing, f"URLs with no row in tests/matrix: {missing}"


def _user(world, role):
    if role == "anon":
        return None
    if role.startswith("b_"):
        return world.users["b"][role[2:]]
    return world.users["a"][role]


def _groups() -> dict[str, list[Row]]:
    groups: dict[str, list[Row]] = {}
    for row in ROWS:
        groups.setdefault(row.name, []).append(row)
    return groups


GROUPS = _groups()


@pytest.fixture(scope="module")
def matrix_world(module_atomic, django_db_blocker):
    """One world for the module's 274 URLs, made once inside ``module_atomic`` (0.5 s
    each time): every URL's test is a savepoint in it, rolled back, and every row a
    savepoint of its own inside that."""
    from tests.conftest import World

    with django_db_blocker.unblock():
        return World()


@pytest.fixture
def world(matrix_world, db):
    return matrix_world


@pytest.mark.parametrize("name", sorted(GROUPS))
def test_permission_matrix(name: str, world):
    """All rows of one URL on one world; each row in its own rolled-back savepoint so a
    write by one row never changes what the next row sees."""
    from django.db import transaction
    from django.test import Client

    failures = []
    if name in PREPARE:
        with world.scope("a"):
            PREPARE[name](world)
    for row in GROUPS[name]:
        with transaction.atomic():
            with world.scope("a"):
                kwargs = row.kwargs(world) if row.kwargs else {}
                data = row.data(world) if row.data else {}
            url = reverse(row.name, kwargs=kwargs) + (f"?{row.query}" if row.query else "")
            client = Client()
            user = _user(world, row.role)
            if user is not None:
                client.force_login(user)
            response = getattr(client, row.method)(url, data=data)
            if response.status_code != row.expected:
                failures.append(f"{row}: got {response.status_code} for {url}")
            transaction.set_rollback(True)
    assert not failures, "\n".join(failures)
