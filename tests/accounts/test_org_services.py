"""The organisation services: history kept, bad changes refused with the field named and
nothing changed, the tree rebuilt as of a past date, company settings validated."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from accounts.models import Membership, OrgNode, OrgNodeVersion, Position, Tenant
from accounts.services import org as services
from sfe.core.tenancy import audit_context

DAY = dt.timedelta(days=1)


def _snapshot():
    """Everything the services may change, to show a refused change changed nothing."""
    nodes = list(OrgNode.objects.order_by("pk").values_list("pk", "name", "parent_id", "path", "depth", "retired_on"))
    versions = list(OrgNodeVersion.objects.order_by("pk").values_list(
        "pk", "name", "parent_id", "valid_from", "valid_to", "retired", "change"))
    positions = list(Position.objects.order_by("pk").values_list("pk", "node_id", "holder_id", "start_date", "end_date"))
    return nodes, versions, positions


def _refused(field, call, **kwargs):
    before = _snapshot()
    with pytest.raises(ValidationError) as exc:
        call(**kwargs)
    assert field in exc.value.message_dict, exc.value.message_dict
    assert _snapshot() == before
    return exc.value.message_dict[field]


def _flatten(roots):
    out = {}
    stack = list(roots)
    while stack:
        r = stack.pop()
        out[r["name"]] = r
        stack.extend(r["children"])
    return out


# --------------------------------------------------------------------------- history, as of


def _dated_tree(today):
    """A small tree made 30 days ago (the world's tree is made today)."""
    start = today - 30 * DAY
    root = services.node_create(name="华南", kind="region", parent=None, effective_date=start)
    gz = services.node_create(name="广州地区", kind="district", parent=root, effective_date=start)
    sz = services.node_create(name="深圳地区", kind="district", parent=root, effective_date=start)
    return root, gz, sz


def test_tree_as_of_a_past_date_shows_the_old_name_and_old_parent(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        root, gz, sz = _dated_tree(today)
        created = today - 20 * DAY
        node = services.node_create(name="静安区", kind="territory", parent=gz, effective_date=created)
        services.node_rename(node=node, name="静安一区", reason="new naming", effective_date=today - 10 * DAY)
        services.node_move(node=node, new_parent=sz, reason="realignment", effective_date=today - 5 * DAY)

        before_rename = _flatten(services.tree_as_of(today - 15 * DAY))
        assert "静安区" in before_rename and "静安一区" not in before_rename
        assert before_rename["静安区"]["parent_id"] == gz.pk
        assert before_rename["静安区"] in before_rename["广州地区"]["children"]

        between = _flatten(services.tree_as_of(today - 7 * DAY))
        assert between["静安一区"]["parent_id"] == gz.pk

        now = _flatten(services.tree_as_of(today))
        assert now["静安一区"]["parent_id"] == sz.pk
        assert now["静安一区"] in now["深圳地区"]["children"]
        assert now["静安一区"] not in now["广州地区"]["children"]

        before_creation = _flatten(services.tree_as_of(created - DAY))
        assert "静安区" not in before_creation and "静安一区" not in before_creation

        versions = list(OrgNodeVersion.objects.filter(node=node).order_by("valid_from")
                        .values_list("change", "name", "valid_from", "valid_to", "reason"))
        assert versions == [
            ("created", "静安区", created, today - 10 * DAY, ""),
            ("renamed", "静安一区", today - 10 * DAY, today - 5 * DAY, "new naming"),
            ("moved", "静安一区", today - 5 * DAY, None, "realignment"),
        ]


def test_versions_record_who_changed_the_node(world):
    with world.scope("a"):
        admin = world.users["a"]["admin"]
        with audit_context(actor_id=admin.pk):
            services.node_rename(node=world.nodes["a"]["t2"], name="浦西新区", effective_date=world.tenants["a"].today())
        version = OrgNodeVersion.objects.get(node=world.nodes["a"]["t2"], valid_to__isnull=True)
        assert version.changed_by_id == admin.pk and version.name == "浦西新区"


def test_two_changes_on_one_day_fold_into_one_version(world):
    with world.scope("a"):
        node = services.node_create(name="甲", kind="territory", parent=world.nodes["a"]["district"])
        services.node_rename(node=node, name="乙", reason="typo")
        versions = list(OrgNodeVersion.objects.filter(node=node).values_list("change", "name", "valid_to", "reason"))
        assert versions == [("renamed", "乙", None, "typo")]


def test_change_dated_in_the_future_is_refused_and_changes_nothing(world):
    with world.scope("a"):
        tomorrow = world.tenants["a"].today() + DAY
        _refused("effective_date", services.node_rename, node=world.nodes["a"]["t1"], name="明日",
                 effective_date=tomorrow)


def test_change_dated_before_the_nodes_last_change_is_refused(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        root, gz, sz = _dated_tree(today)
        services.node_rename(node=gz, name="广州大区", effective_date=today - 3 * DAY)
        _refused("effective_date", services.node_rename, node=gz, name="更早", effective_date=today - 10 * DAY)


def test_node_created_before_its_parent_existed_is_refused(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        _refused("effective_date", services.node_create, name="早", kind="territory",
                 parent=world.nodes["a"]["district"], effective_date=today - 400 * DAY)


# --------------------------------------------------------------------------- create, rename


@pytest.mark.parametrize("name", ["", "   "])
def test_empty_name_is_refused_on_create_and_rename(world, name):
    with world.scope("a"):
        _refused("name", services.node_create, name=name, kind="territory", parent=world.nodes["a"]["district"])
        _refused("name", services.node_rename, node=world.nodes["a"]["t1"], name=name)


def test_create_under_a_node_of_another_tenant_is_refused(world):
    with world.scope("b"):
        b_district = OrgNode.objects.get(pk=world.nodes["b"]["district"].pk)
    with world.scope("a"):
        _refused("parent", services.node_create, name="越界", kind="territory", parent=b_district)


def test_create_keeps_path_and_depth(world):
    with world.scope("a"):
        district = world.nodes["a"]["district"]
        node = services.node_create(name="新区", kind="territory", parent=district)
        assert node.path == f"{district.path}{node.pk}/" and node.depth == district.depth + 1


# --------------------------------------------------------------------------- move


def test_move_under_own_descendant_is_refused_and_changes_nothing(world):
    with world.scope("a"):
        n = world.nodes["a"]
        messages = _refused("parent", services.node_move, node=n["region"], new_parent=n["t1"])
        assert "华东大区" in messages[0] and "浦东一区" in messages[0]


def test_move_under_itself_is_refused_and_changes_nothing(world):
    with world.scope("a"):
        n = world.nodes["a"]
        _refused("parent", services.node_move, node=n["district"], new_parent=n["district"])


def test_move_re_roots_the_whole_subtree_paths_and_depths(world):
    with world.scope("a"):
        n = world.nodes["a"]
        services.node_move(node=n["district"], new_parent=n["nation"])
        district = OrgNode.objects.get(pk=n["district"].pk)
        t1 = OrgNode.objects.get(pk=n["t1"].pk)
        t3 = OrgNode.objects.get(pk=n["t3"].pk)
        assert district.path == f"/{n['nation'].pk}/{district.pk}/" and district.depth == 1
        assert t1.path == f"{district.path}{t1.pk}/" and t1.depth == 2
        # The other branch did not move.
        assert t3.path == f"/{n['nation'].pk}/{n['region'].pk}/{n['other'].pk}/{t3.pk}/" and t3.depth == 3
        assert set(OrgNode.objects.subtree_of(district).values_list("name", flat=True)) == {"上海地区", "浦东一区", "浦西二区"}


def test_move_under_a_retired_node_is_refused(world):
    with world.scope("a"):
        n = world.nodes["a"]
        services.node_retire(node=n["t2"], reason="closed")
        empty = services.node_create(name="空", kind="territory", parent=n["other"])
        _refused("parent", services.node_move, node=empty, new_parent=OrgNode.objects.get(pk=n["t2"].pk))


# --------------------------------------------------------------------------- retire


def test_retire_with_live_children_is_refused(world):
    with world.scope("a"):
        _refused("node", services.node_retire, node=world.nodes["a"]["other"], reason="x")


def test_retire_with_a_holder_is_refused(world):
    with world.scope("a"):
        _refused("node", services.node_retire, node=world.nodes["a"]["t1"], reason="x")


def test_retire_a_vacant_leaf_records_the_version_and_reason(world):
    with world.scope("a"):
        node = services.node_retire(node=world.nodes["a"]["t2"], reason="merged into 浦东一区")
        assert node.retired_on == world.tenants["a"].today()
        version = OrgNodeVersion.objects.get(node=node, valid_to__isnull=True)
        assert (version.retired, version.change, version.reason) == (True, "retired", "merged into 浦东一区")
        assert not OrgNode.objects.live().filter(pk=node.pk).exists()


def test_rename_of_a_retired_node_is_refused(world):
    with world.scope("a"):
        node = services.node_retire(node=world.nodes["a"]["t2"], reason="closed")
        _refused("name", services.node_rename, node=node, name="复活")


# --------------------------------------------------------------------------- positions


def test_assign_on_a_retired_node_is_refused_and_creates_nothing(world):
    with world.scope("a"):
        node = services.node_retire(node=world.nodes["a"]["t2"], reason="closed")
        _refused("node", services.position_assign, node=node, holder=world.users["a"]["rep2"].membership_row,
                 start_date=world.tenants["a"].today())


def test_assign_a_member_of_another_tenant_is_refused(world):
    with world.scope("b"):
        b_rep = Membership.objects.get(user=world.users["b"]["rep"])
    with world.scope("a"):
        _refused("holder", services.position_assign, node=world.nodes["a"]["t2"], holder=b_rep,
                 start_date=world.tenants["a"].today())


def test_overlapping_positions_are_refused_when_the_tenant_does_not_allow_them(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        messages = _refused("start_date", services.position_assign, node=world.nodes["a"]["t1"],
                            holder=world.users["a"]["rep2"].membership_row, start_date=today + 10 * DAY)
        assert "rep a" in messages[0]


def test_overlapping_positions_are_allowed_when_the_tenant_allows_them(world):
    with world.scope("a"):
        services.tenant_update_settings(tenant=world.tenants["a"], allow_overlapping_positions=True)
        p = services.position_assign(node=world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row,
                                     start_date=world.tenants["a"].today())
        assert Position.objects.active_on(world.tenants["a"].today()).filter(node=world.nodes["a"]["t1"]).count() == 2
        assert p.pk


def test_a_position_after_the_previous_one_ended_is_accepted(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        current = Position.objects.get(node=world.nodes["a"]["t1"])
        services.position_end(position=current, end_date=today)
        p = services.position_assign(node=world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row,
                                     start_date=today + DAY, title="代表")
        assert (p.start_date, p.end_date, p.title) == (today + DAY, None, "代表")


def test_end_date_before_start_date_is_refused_on_assign_and_end(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        _refused("end_date", services.position_assign, node=world.nodes["a"]["t2"],
                 holder=world.users["a"]["rep2"].membership_row, start_date=today, end_date=today - DAY)
        current = Position.objects.get(node=world.nodes["a"]["t1"])
        _refused("end_date", services.position_end, position=current, end_date=current.start_date - DAY)


def test_extending_an_ended_position_into_the_next_holders_period_is_refused(world):
    with world.scope("a"):
        today = world.tenants["a"].today()
        first = Position.objects.get(node=world.nodes["a"]["t1"])
        services.position_end(position=first, end_date=today)
        services.position_assign(node=world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row,
                                 start_date=today + DAY)
        _refused("end_date", services.position_end, position=first, end_date=today + 5 * DAY)


def test_assign_a_deactivated_member_is_refused(world):
    with world.scope("a"):
        m = world.users["a"]["rep2"].membership_row
        Membership.objects.filter(pk=m.pk).update(is_active=False)
        _refused("holder", services.position_assign, node=world.nodes["a"]["t2"], holder=m,
                 start_date=world.tenants["a"].today())


# --------------------------------------------------------------------------- company settings


def test_settings_are_saved_and_the_callers_tenant_is_current(world):
    tenant = world.tenants["a"]
    with world.scope("a"):
        services.tenant_update_settings(tenant=tenant, name="甲制药集团", currency="usd", time_zone="Europe/Paris",
                                        fiscal_year_start_month=4, default_language="en")
    row = Tenant.objects.get(pk=tenant.pk)
    assert (row.name, row.currency, row.time_zone, row.fiscal_year_start_month, row.default_language) == (
        "甲制药集团", "USD", "Europe/Paris", 4, "en")
    assert tenant.currency == "USD"


@pytest.mark.parametrize("field, value", [
    ("time_zone", "Asia/Shangai"),
    ("currency", "RMB"),
    ("currency", "C1Y"),
    ("fiscal_year_start_month", 13),
    ("name", "  "),
])
def test_bad_settings_are_refused_naming_the_field_and_change_nothing(world, field, value):
    tenant = world.tenants["a"]
    before = Tenant.objects.filter(pk=tenant.pk).values().get()
    with world.scope("a"), pytest.raises(ValidationError) as exc:
        services.tenant_update_settings(tenant=tenant, **{field: value})
    assert list(exc.value.message_dict) == [field]
    assert Tenant.objects.filter(pk=tenant.pk).values().get() == before


def test_overlaps_cannot_be_turned_off_while_two_holders_overlap(world):
    tenant = world.tenants["a"]
    with world.scope("a"):
        services.tenant_update_settings(tenant=tenant, allow_overlapping_positions=True)
        services.position_assign(node=world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row,
                                 start_date=tenant.today())
        with pytest.raises(ValidationError) as exc:
            services.tenant_update_settings(tenant=tenant, allow_overlapping_positions=False)
        assert "浦东一区" in exc.value.message_dict["allow_overlapping_positions"][0]
    assert Tenant.objects.get(pk=tenant.pk).allow_overlapping_positions is True


def test_overlaps_can_be_turned_off_when_periods_only_touch_other_nodes(world):
    tenant = world.tenants["a"]
    with world.scope("a"):
        services.tenant_update_settings(tenant=tenant, allow_overlapping_positions=True)
        first = Position.objects.get(node=world.nodes["a"]["t1"])
        services.position_end(position=first, end_date=tenant.today())
        services.position_assign(node=world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row,
                                 start_date=tenant.today() + DAY)
        services.tenant_update_settings(tenant=tenant, allow_overlapping_positions=False)
    assert Tenant.objects.get(pk=tenant.pk).allow_overlapping_positions is False


def test_settings_of_another_tenant_cannot_be_changed_from_inside_a_tenant(world):
    from sfe.core.tenancy import TenantScopeError

    with world.scope("a"), pytest.raises(TenantScopeError):
        services.tenant_update_settings(tenant=world.tenants["b"], name="hijacked")
    assert Tenant.objects.get(pk=world.tenants["b"].pk).name != "hijacked"
