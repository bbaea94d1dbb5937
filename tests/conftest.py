"""Shared fixtures: the two-role database set-up, two tenants, one user per role.

The test database is created and migrated as the *owner* role (as production is); the
tests then connect as the *application* role, so row-level security applies to them as
it does to the running product. TRUNCATE (used by transactional tests to empty tables,
and which ignores row security) is granted to the application role in the test database
only.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from django.db import connections, transaction

from sfe.core.tenancy import tenant_scope

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "Correct-Horse-42"  # noqa: S105 - test password


@pytest.fixture(scope="session")
def django_db_setup(request, django_test_environment, django_db_blocker, django_db_keepdb,
                    django_db_modify_db_settings):
    """``django_db_modify_db_settings`` gives each parallel worker its own database (``_gw0``…)."""
    from django.conf import settings
    from django.test.utils import setup_databases, teardown_databases

    default = connections["default"]
    owner = connections["owner"]
    app_user, app_password = default.settings_dict["USER"], default.settings_dict["PASSWORD"]
    settings.SFE_TEST_GRANT_TRUNCATE = True
    with django_db_blocker.unblock():
        default.close()
        default.settings_dict["USER"] = owner.settings_dict["USER"]
        default.settings_dict["PASSWORD"] = owner.settings_dict["PASSWORD"]
        old_config = setup_databases(
            verbosity=request.config.option.verbose, interactive=False,
            keepdb=django_db_keepdb, aliases={"default"}, serialized_aliases=set(),
        )
        with default.cursor() as cur:  # also re-granted whenever the invariants re-run in a flush
            cur.execute(f'GRANT TRUNCATE ON ALL TABLES IN SCHEMA public TO "{settings.APP_DB_ROLE}"')
        default.close()
        default.settings_dict["USER"] = app_user
        default.settings_dict["PASSWORD"] = app_password
        owner.close()
        owner.settings_dict["NAME"] = default.settings_dict["NAME"]
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            default.close()
            owner.close()
            default.settings_dict["USER"] = owner.settings_dict["USER"]
            try:
                teardown_databases(old_config, verbosity=request.config.option.verbose)
            finally:
                default.settings_dict["USER"] = app_user


@pytest.fixture(scope="module")
def module_atomic(django_db_setup, django_db_blocker):
    """One transaction open for a whole module and rolled back after its last test, so data
    the module's tests only read (a seeded demo) is made once, not once per test: each test's
    own transaction (the ``db`` fixture) is a savepoint inside it. Transactional tests
    (``transaction=True``, the owner connection) cannot share it: keep them in another module."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


class World:
    """Two tenants, each with one user per role, a small organisation tree and positions."""

    def __init__(self):
        from accounts.models import OrgNode, Position, Role
        from accounts.services.org import node_create
        from accounts.services.tenants import tenant_create
        from accounts.services.users import user_create

        self.tenants = {}
        self.users = {}
        self.nodes = {}
        for key, name in (("a", "甲制药 Alpha Pharma"), ("b", "乙制药 Beta Pharma")):
            tenant, admin = tenant_create(
                name=name, slug=f"pharma-{key}", admin_email=f"admin@{key}.test",
                admin_name=f"管理员{key.upper()}", admin_password=PASSWORD,
            )
            self.tenants[key] = tenant
            users = {"admin": admin.user}
            with tenant_scope(tenant), transaction.atomic():
                for role in (Role.REP, Role.MANAGER, Role.ANALYST, Role.DATA_STEWARD, Role.FINANCE):
                    m = user_create(email=f"{role}@{key}.test", full_name=f"{role} {key}", roles=[role],
                                    password=PASSWORD)
                    users[str(role)] = m.user
                m = user_create(email=f"rep2@{key}.test", full_name=f"rep2 {key}", roles=[Role.REP],
                                password=PASSWORD)
                users["rep2"] = m.user
                nation = node_create(name="全国", kind=OrgNode.Kind.NATION, parent=None)
                region = node_create(name="华东大区", kind=OrgNode.Kind.REGION, parent=nation)
                district = node_create(name="上海地区", kind=OrgNode.Kind.DISTRICT, parent=region)
                t1 = node_create(name="浦东一区", kind=OrgNode.Kind.TERRITORY, parent=district)
                t2 = node_create(name="浦西二区", kind=OrgNode.Kind.TERRITORY, parent=district)
                other = node_create(name="北京地区", kind=OrgNode.Kind.DISTRICT, parent=region)
                t3 = node_create(name="朝阳一区", kind=OrgNode.Kind.TERRITORY, parent=other)
                start = tenant.today() - dt.timedelta(days=30)
                Position.objects.create(node=t1, holder=users["rep"].membership_row, start_date=start)
                Position.objects.create(node=t3, holder=users["rep2"].membership_row, start_date=start)
                Position.objects.create(node=district, holder=users["manager"].membership_row, start_date=start)
            self.users[key] = users
            self.nodes[key] = {"nation": nation, "region": region, "district": district,
                               "t1": t1, "t2": t2, "other": other, "t3": t3}

    def scope(self, key):
        return tenant_scope(self.tenants[key])


@pytest.fixture
def world(db):
    return World()


@pytest.fixture
def tworld(transactional_db):
    """The same world for transactional tests (live server, concurrency, Celery)."""
    return World()


@pytest.fixture
def english(request):
    """These tests read the English wording; the Chinese is checked in the browser tests
    and in test_*_chinese tests (which override this)."""
    from django.utils import translation

    world_fixture = next((f for f in ("world", "tworld") if f in request.fixturenames), None)
    if world_fixture and "chinese" not in request.node.name:
        from accounts.models import User

        world = request.getfixturevalue(world_fixture)
        User.objects.filter(pk__in=[u.pk for u in world.users["a"].values()]).update(language="en")
    if "chinese" in request.node.name:
        yield
        return
    with translation.override("en"):
        yield


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login


@pytest.fixture(scope="session")
def celery_worker_proc(django_db_setup, django_db_blocker):
    """A real Celery worker process (solo pool) on the real Redis broker, reading the test
    database as the application role. Tasks go to a queue of this test session only."""
    import subprocess
    import sys
    import time
    import uuid

    from django.conf import settings

    from sfe.celery import app

    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, SFE_DB_NAME=connections["default"].settings_dict["NAME"])
    env.pop("SFE_TESTING", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sfe", "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--loglevel=WARNING"],
        env=env, cwd=settings.BASE_DIR,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the Celery worker exited at start (code {proc.returncode})")
        replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1)
        if replies:
            break
    else:
        proc.terminate()
        pytest.fail("the Celery worker did not answer a ping within 60 s: is Redis running?")
    yield queue
    proc.terminate()
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        proc.kill()
