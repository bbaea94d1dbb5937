"""``manage.py seed_demo``: the demo tenants, their tree, their logins, and isolation."""

from __future__ import annotations

import io
import json
import re

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import RequestFactory

from accounts.models import Membership, OrgNode, OrgNodeVersion, Position, Tenant, User
from sfe.core.tenancy import tenant_scope

PASSWORD = "Demo-Pharma-2026"  # noqa: S105 - the documented demo password
REPS = 12
CHINESE = re.compile(r"^[\u4e00-\u9fff]+$")


def seed(tmp_path=None, **options) -> str:
    out = io.StringIO()
    logins = str(tmp_path / "logins.json") if tmp_path else ""
    call_command("seed_demo", reps=REPS, logins_file=logins, stdout=out, **options)
    return out.getvalue()


def login(email: str, password: str = PASSWORD):
    """What the sign-in form does (django-axes wants the request)."""
    return authenticate(RequestFactory().post("/login/"), username=email, password=password)


def snapshot() -> dict:
    """What a run produced, in creation order (ids differ between runs; order does not)."""
    out = {}
    for slug in ("huakang", "ruian"):
        tenant = Tenant.objects.get(slug=slug)
        with tenant_scope(tenant), transaction.atomic():
            out[slug] = {
                "users": list(Membership.objects.order_by("id").values_list("user__email", "user__full_name",
                                                                            "roles", "employee_no")),
                "nodes": list(OrgNode.objects.order_by("id").values_list("name", "kind", "depth", "parent__name")),
                "positions": list(Position.objects.order_by("id").values_list("holder__user__email", "node__name")),
            }
    return out


@pytest.fixture(scope="module")
def seeded_once(module_atomic, django_db_blocker, tmp_path_factory):
    """The demo, seeded once for the module's tests (they read it; see ``module_atomic``)."""
    path = tmp_path_factory.mktemp("seed")
    with django_db_blocker.unblock():
        seed(path)
    return json.loads((path / "logins.json").read_text(encoding="utf-8"))


@pytest.fixture
def seeded(db, seeded_once):
    return seeded_once


def test_seed_demo_creates_both_tenants_with_one_working_login_per_role(seeded):
    huakang = Tenant.objects.get(slug="huakang")
    assert (huakang.name, huakang.default_language, huakang.time_zone, huakang.currency) == (
        "华康制药 Huakang Pharma", "zh-hans", "Asia/Shanghai", "CNY")
    assert Tenant.objects.get(slug="ruian").name == "瑞安医药 Ruian Medical"

    by_email = {row["email"]: row for row in seeded}
    assert set(by_email) == {
        "admin@huakang.demo", "manager@huakang.demo", "rep@huakang.demo", "analyst@huakang.demo",
        "steward@huakang.demo", "finance@huakang.demo", "admin@ruian.demo", "rep@ruian.demo",
    }
    for email, row in by_email.items():
        user = login(email)
        assert user is not None and user.email == email, email
        assert login(email, "wrong") is None
        tenant = Tenant.objects.get(slug=row["tenant"])
        with tenant_scope(tenant), transaction.atomic():
            membership = Membership.objects.get(user=user)
            assert membership.roles == [row["role"]]
            held = list(Position.objects.filter(holder=membership).values_list("node__kind", "node__name"))
        expected_kind = {"manager": "district", "rep": "territory"}.get(row["role"])
        assert held == ([(expected_kind, row["holds"])] if expected_kind else [])


def test_tree_is_nation_region_district_territory_with_paths_and_versions(seeded):
    with tenant_scope(Tenant.objects.get(slug="huakang")), transaction.atomic():
        nodes = {n.pk: n for n in OrgNode.objects.all()}
        depth_of = {"nation": 0, "region": 1, "district": 2, "territory": 3}
        assert {n.kind for n in nodes.values()} == set(depth_of)
        for n in nodes.values():
            assert n.depth == depth_of[n.kind]
            parent_path = nodes[n.parent_id].path if n.parent_id else "/"
            assert n.path == f"{parent_path}{n.pk}/"
            if n.parent_id:
                assert depth_of[nodes[n.parent_id].kind] == n.depth - 1
        assert [n.name for n in nodes.values() if n.kind == "nation"] == ["全国"]
        versions = list(OrgNodeVersion.objects.values_list("node_id", "name", "kind", "parent_id", "change",
                                                           "valid_to"))
        assert sorted(versions) == sorted((n.pk, n.name, n.kind, n.parent_id, "created", None)
                                          for n in nodes.values())


def test_every_territory_but_the_vacant_few_has_exactly_one_active_rep(seeded):
    tenant = Tenant.objects.get(slug="huakang")
    with tenant_scope(tenant), transaction.atomic():
        today = tenant.today()
        holders: dict[int, list[list[str]]] = {n.pk: [] for n in OrgNode.objects.exclude(kind="nation")}
        for node_id, roles in Position.objects.active_on(today).values_list("node_id", "holder__roles"):
            holders[node_id].append(roles)
        kinds = dict(OrgNode.objects.values_list("id", "kind"))
    territories = [pk for pk in holders if kinds[pk] == "territory"]
    vacant = [pk for pk in territories if not holders[pk]]
    assert len(territories) == REPS + len(vacant)
    assert 1 <= len(vacant) <= max(1, round(0.05 * len(territories)))
    assert all(holders[pk] == [["rep"]] for pk in territories if pk not in vacant)
    assert all(holders[pk] == [["manager"]] for pk in holders if kinds[pk] in ("region", "district"))


def test_names_are_chinese(seeded):
    with tenant_scope(Tenant.objects.get(slug="huakang")), transaction.atomic():
        node_names = list(OrgNode.objects.values_list("name", flat=True))
        people = list(Membership.objects.values_list("user__full_name", flat=True))
    assert len(people) == REPS + 2 + 4  # reps, one district and one region manager, admin and 3 staff
    for name in node_names + people:
        assert CHINESE.match(name), name
    assert any(name.endswith("地区") for name in node_names)
    assert any(name.endswith("大区") for name in node_names)


def test_if_empty_on_a_seeded_database_changes_nothing(seeded):
    def counts():
        out = [Tenant.objects.count(), User.objects.count()]
        for tenant in Tenant.objects.all():
            with tenant_scope(tenant), transaction.atomic():
                out += [OrgNode.objects.count(), Position.objects.count(), Membership.objects.count()]
                with connection.cursor() as cur:
                    cur.execute("SELECT count(*) FROM core_auditevent")
                    out.append(cur.fetchone()[0])
        return out

    before = counts()
    assert "demo data already present" in seed(if_empty=True)
    assert counts() == before
    with pytest.raises(CommandError, match="already exists"):
        seed()
    assert counts() == before


def test_ruian_rep_sees_none_of_huakangs_nodes(seeded):
    huakang, ruian = Tenant.objects.get(slug="huakang"), Tenant.objects.get(slug="ruian")
    with tenant_scope(huakang), transaction.atomic():
        huakang_ids = set(OrgNode.objects.values_list("id", flat=True))
    rep = login("rep@ruian.demo")
    with tenant_scope(ruian), transaction.atomic():
        everything = set(OrgNode.objects.values_list("id", flat=True))
        with connection.cursor() as cur:  # row-level security: even unfiltered SQL sees one tenant
            cur.execute("SELECT id FROM accounts_orgnode")
            raw = {r[0] for r in cur.fetchall()}
        # What the rep sees: the subtree of the node they hold (visibility's rule, on the path).
        held = Position.objects.active_on(ruian.today()).filter(holder__user=rep).values_list("node__path", flat=True)
        (path,) = held
        visible = set(OrgNode.objects.filter(path__startswith=path).values_list("id", flat=True))
    assert len(visible) == 1 and visible <= everything
    assert huakang_ids and not everything & huakang_ids and not raw & huakang_ids
