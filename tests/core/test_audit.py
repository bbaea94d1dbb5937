"""Audit trail (R29): who, when, old → new, request id and reason; bulk updates too."""

from __future__ import annotations

from django.db import transaction

from accounts.models import OrgNode
from accounts.services.org import node_rename
from sfe.core.models import AuditEvent
from sfe.core.tenancy import audit_context, audit_reason
from tests.helpers import count_queries


def test_update_records_actor_request_reason_and_old_new(world):
    admin = world.users["a"]["admin"]
    node = world.nodes["a"]["t1"]
    with world.scope("a"), transaction.atomic(), audit_context(actor_id=admin.pk, request_id="req-123"):
        with audit_reason("区域调整"):
            node_rename(node=node, name="浦东新一区")
        event = AuditEvent.objects.filter(table_name="accounts_orgnode", row_id=node.pk, action="U").latest("at")
    assert event.changes["name"] == ["浦东一区", "浦东新一区"]
    assert (event.actor_id, event.request_id, event.reason) == (admin.pk, "req-123", "区域调整")
    assert event.row_code == node.code and event.tenant_id == world.tenants["a"].pk


def test_bulk_update_writes_one_audit_row_per_changed_row(world):
    with world.scope("a"), transaction.atomic():
        before = AuditEvent.objects.filter(table_name="accounts_orgnode", action="U").count()
        changed = OrgNode.objects.filter(kind="territory").update(external_code="T-1")
        after = AuditEvent.objects.filter(table_name="accounts_orgnode", action="U").count()
        # Re-running the same update changes nothing and records nothing.
        OrgNode.objects.filter(kind="territory").update(external_code="T-1")
        again = AuditEvent.objects.filter(table_name="accounts_orgnode", action="U").count()
    assert changed == 3 and after - before == 3 and again == after


def test_password_changes_are_recorded_without_the_hash(world):
    user = world.users["a"]["rep"]
    old_hash = user.password
    with world.scope("a"), transaction.atomic():
        user.set_password("Another-Secret-99")
        user.save(update_fields=["password"])
        event = AuditEvent.objects.filter(table_name="accounts_user", row_id=user.pk, action="U").latest("at")
    old, new = event.changes["password"]
    assert old != new and old_hash not in (old, new) and len(new) == 8


def test_admin_browses_the_trail_of_a_record_and_other_tenant_sees_none_of_it(world, client):
    node = world.nodes["a"]["t1"]
    with world.scope("a"), transaction.atomic():
        node_rename(node=node, name="浦东改名区")
    client.force_login(world.users["a"]["admin"])
    page = client.get(f"/audit/accounts_orgnode/{node.code}/").content.decode()
    assert "浦东一区" in page and "浦东改名区" in page
    client.force_login(world.users["b"]["admin"])
    assert client.get(f"/audit/accounts_orgnode/{node.code}/").status_code == 404
    listing = client.get("/audit/?table=accounts_orgnode").content.decode()
    assert "浦东改名区" not in listing and "华东大区" in listing  # B's own nodes are listed


def test_audit_list_queries_do_not_grow_with_events(world, client):
    client.force_login(world.users["a"]["admin"])
    few = count_queries(lambda: client.get("/audit/"))
    with world.scope("a"), transaction.atomic():
        for i in range(30):
            node_rename(node=world.nodes["a"]["t2"], name=f"浦西{i}区")
    many = count_queries(lambda: client.get("/audit/"))
    assert many == few


def test_audit_csv_export_neutralises_formulas(world, client):
    with world.scope("a"), transaction.atomic():
        node_rename(node=world.nodes["a"]["t2"], name="=HYPERLINK(1)")
    client.force_login(world.users["a"]["admin"])
    body = client.get("/audit/?format=csv").content.decode("utf-8-sig")
    assert "'=HYPERLINK" not in body.split("\n")[0]
    assert "=HYPERLINK(1)" in body and ",=HYPERLINK" not in body


def test_user_creation_is_in_the_tenants_audit_trail(world):
    from accounts.services.users import user_create

    with world.scope("a"), transaction.atomic():
        m = user_create(email="new@a.test", full_name="新人", roles=["rep"], password="Some-Password-1")
        events = AuditEvent.objects.filter(table_name="accounts_user", row_id=m.user_id, action="I")
        assert events.count() == 1 and events.get().changes["email"] == "new@a.test"
        assert ("email", None, "new@a.test") in events.get().change_rows()
    with world.scope("b"), transaction.atomic():
        assert not AuditEvent.objects.filter(table_name="accounts_user", row_id=m.user_id).exists()


def test_times_are_shown_in_the_tenants_time_zone(world, client):
    from accounts.models import Tenant

    Tenant.objects.filter(pk=world.tenants["a"].pk).update(time_zone="Europe/Paris")
    with world.scope("a"), transaction.atomic():
        node_rename(node=world.nodes["a"]["t2"], name="巴黎区")
        at = AuditEvent.objects.filter(table_name="accounts_orgnode").latest("at").at
    client.force_login(world.users["a"]["admin"])
    body = client.get("/audit/?table=accounts_orgnode").content.decode()
    import zoneinfo

    paris = at.astimezone(zoneinfo.ZoneInfo("Europe/Paris")).strftime("%Y-%m-%d %H:%M:%S")
    shanghai = at.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d %H:%M:%S")
    assert paris in body and shanghai not in body
