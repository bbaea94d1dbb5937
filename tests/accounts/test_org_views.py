"""The organisation pages in the browser: the tree, a node's page and its actions, the
company settings. Bad input re-renders the form with the reason beside the field and
changes nothing; another tenant's codes are 404; queries do not grow with the tree."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, OrgNode, OrgNodeVersion, Position, Tenant
from accounts.services import org as services

DAY = dt.timedelta(days=1)


def node_url(node, name="org:node_detail"):
    return reverse(name, kwargs={"code": node.code})


def _state(world, key="a"):
    with world.scope(key):
        return (
            list(OrgNode.objects.order_by("pk").values_list("pk", "name", "parent_id", "path", "retired_on")),
            OrgNodeVersion.objects.count(),
            list(Position.objects.order_by("pk").values_list("pk", "node_id", "holder_id", "start_date", "end_date")),
        )


def _says(response, text):
    """The page shows ``text`` in the page's own language (the catalogue may translate it)."""
    from django.utils.translation import gettext, override

    with override(response.context["LANGUAGE_CODE"]):
        return gettext(text) in response.content.decode()


def _form_errors(response, form_name):
    form = response.context[form_name]
    return form.errors


# --------------------------------------------------------------------------- the tree page


def test_tree_shows_kinds_holders_and_vacant_territories(world, login):
    client = login(world.users["a"]["admin"])
    response = client.get(reverse("org:tree"))
    assert response.status_code == 200
    html = response.content.decode()
    for name in ("全国", "华东大区", "上海地区", "浦东一区", "浦西二区", "北京地区", "朝阳一区"):
        assert name in html
    assert "rep a" in html and "manager a" in html  # current holders
    entries = {e.name: e for e in response.context["entries"]}
    assert entries["浦西二区"].vacant and not entries["浦东一区"].vacant
    assert [p.holder.user.full_name for p in entries["浦东一区"].holders] == ["rep a"]
    assert response.context["vacant_count"] == 1
    assert _says(response, "vacant")
    # Depth-first, nested under the right parents.
    assert [(e.name, e.depth) for e in response.context["entries"]] == [
        ("全国", 0), ("华东大区", 1), ("上海地区", 2), ("浦东一区", 3), ("浦西二区", 3), ("北京地区", 2), ("朝阳一区", 3),
    ]
    # The nested lists are balanced: every <ul> and <details> opened is closed.
    tree_html = html[html.index('<nav class="tree"'):]
    tree_html = tree_html[:tree_html.index("</nav>")]
    assert tree_html.count("<ul>") == tree_html.count("</ul>") == 5  # the list and 4 parents' lists
    assert tree_html.count("<details open>") == tree_html.count("</details>") == 4
    assert tree_html.count("<li") == tree_html.count("</li>") == 7


def test_tree_hides_retired_nodes_unless_asked(world, login):
    with world.scope("a"):
        services.node_retire(node=world.nodes["a"]["t2"], reason="closed")
    client = login(world.users["a"]["admin"])
    assert "浦西二区" not in client.get(reverse("org:tree")).content.decode()
    response = client.get(reverse("org:tree"), {"show_retired": "1"})
    entries = {e.name: e for e in response.context["entries"]}
    assert entries["浦西二区"].retired and not entries["浦西二区"].vacant
    assert _says(response, "retired") and "badge-retired" in response.content.decode()


def test_tree_as_of_a_past_date_shows_the_old_name_and_parent(world, login):
    with world.scope("a"):
        today = world.tenants["a"].today()
        root = services.node_create(name="华南", kind="region", parent=None, effective_date=today - 30 * DAY)
        gz = services.node_create(name="广州地区", kind="district", parent=root, effective_date=today - 30 * DAY)
        sz = services.node_create(name="深圳地区", kind="district", parent=root, effective_date=today - 30 * DAY)
        t = services.node_create(name="天河区", kind="territory", parent=gz, effective_date=today - 30 * DAY)
        services.node_rename(node=t, name="天河一区", effective_date=today - 10 * DAY)
        services.node_move(node=t, new_parent=sz, effective_date=today - 5 * DAY)
    client = login(world.users["a"]["analyst"])

    past = client.get(reverse("org:tree"), {"as_of": (today - 20 * DAY).isoformat()})
    by_name = {e.name: e for e in past.context["entries"]}
    assert "天河区" in by_name and "天河一区" not in by_name
    assert by_name["天河区"].parent_id == gz.pk
    assert "全国" not in by_name  # the world's tree was made today
    assert "天河区" in past.content.decode()

    now = client.get(reverse("org:tree"))
    by_name = {e.name: e for e in now.context["entries"]}
    assert "天河一区" in by_name and by_name["天河一区"].parent_id == sz.pk


def test_tree_with_a_bad_as_of_date_says_which_field(world, login):
    client = login(world.users["a"]["admin"])
    response = client.get(reverse("org:tree"), {"as_of": "2024-02-30"})
    assert response.status_code == 200
    assert "as_of" in response.context["filters"].errors
    assert response.context["as_of"] is None  # falls back to today


def test_manager_sees_only_own_subtree(world, login):
    client = login(world.users["a"]["manager"])
    response = client.get(reverse("org:tree"))
    assert response.status_code == 200
    assert {e.name for e in response.context["entries"]} == {"上海地区", "浦东一区", "浦西二区"}
    assert response.context["entries"][0].name == "上海地区" and response.context["entries"][0].depth == 0
    assert client.get(node_url(world.nodes["a"]["t1"])).status_code == 200
    assert client.get(node_url(world.nodes["a"]["t3"])).status_code == 404
    assert client.get(node_url(world.nodes["a"]["nation"])).status_code == 404


def test_manager_whose_position_ended_yesterday_sees_nothing(world, login):
    with world.scope("a"):
        position = Position.objects.get(holder=world.users["a"]["manager"].membership_row)
        services.position_end(position=position, end_date=world.tenants["a"].today() - DAY)
    client = login(world.users["a"]["manager"])
    response = client.get(reverse("org:tree"))
    assert response.status_code == 200
    assert response.context["entries"] == []
    assert "上海地区" not in response.content.decode()
    assert client.get(node_url(world.nodes["a"]["district"])).status_code == 404


def test_read_only_roles_see_no_change_forms(world, login):
    for role in ("analyst", "manager"):
        response = login(world.users["a"][role]).get(node_url(world.nodes["a"]["t1"]))
        assert response.status_code == 200
        assert "rename_form" not in response.context
        assert node_url(world.nodes["a"]["t1"], "org:node_rename") not in response.content.decode()


def _grow(world, districts, territories_each):
    """Add districts with territories (every other one held) under the region."""
    with world.scope("a"):
        region = world.nodes["a"]["region"]
        holders = list(Membership.objects.filter(pk=world.users["a"]["rep2"].membership_row.pk))
        services.tenant_update_settings(tenant=world.tenants["a"], allow_overlapping_positions=True)
        for d in range(districts):
            district = services.node_create(name=f"区{d}", kind="district", parent=region)
            for t in range(territories_each):
                node = services.node_create(name=f"区{d}-{t}", kind="territory", parent=district)
                if t % 2 == 0:
                    services.position_assign(node=node, holder=holders[0], start_date=world.tenants["a"].today())


@pytest.mark.parametrize("role, query", [
    ("admin", {}), ("admin", {"show_retired": "1"}), ("analyst", {"as_of": "TODAY"}), ("manager", {}),
])
def test_tree_queries_do_not_grow_with_the_tree(world, login, role, query, django_assert_max_num_queries):
    client = login(world.users["a"][role])
    if query.get("as_of") == "TODAY":
        query = {"as_of": world.tenants["a"].today().isoformat()}

    def count():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(reverse("org:tree"), query)
        assert response.status_code == 200
        return len(ctx.captured_queries), len(response.context["entries"])

    small_queries, small_entries = count()
    _grow(world, 3, 4)
    mid_queries, mid_entries = count()
    _grow(world, 10, 10)
    with django_assert_max_num_queries(small_queries):
        big_queries, big_entries = count()
    if role != "manager":  # the manager's district did not grow
        assert big_entries > mid_entries + 100 > small_entries + 100
    assert small_queries == mid_queries == big_queries


def test_node_page_queries_do_not_grow_with_children_and_positions(world, login):
    client = login(world.users["a"]["admin"])
    district = world.nodes["a"]["district"]

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(node_url(district)).status_code == 200
        return len(ctx.captured_queries)

    before = count()
    with world.scope("a"):
        services.tenant_update_settings(tenant=world.tenants["a"], allow_overlapping_positions=True)
        for i in range(15):
            services.node_create(name=f"子{i}", kind="territory", parent=district)
            services.position_assign(node=district, holder=world.users["a"]["rep2"].membership_row,
                                     start_date=world.tenants["a"].today() - i * DAY)
    assert count() == before


# --------------------------------------------------------------------------- the node page


def test_node_page_shows_history_positions_and_phone_tables(world, login):
    client = login(world.users["a"]["admin"])
    with world.scope("a"):
        from sfe.core.tenancy import audit_context

        with audit_context(actor_id=world.users["a"]["admin"].pk):
            services.node_rename(node=world.nodes["a"]["t1"], name="浦东新区", reason="政府更名")
    response = client.get(node_url(world.nodes["a"]["t1"]))
    html = response.content.decode()
    assert "浦东新区" in html and "政府更名" in html and "管理员A" in html
    assert "rep a" in html and "rep@a.test" in html
    assert html.count("table-responsive-cards") == 2
    # Every cell of both tables carries its label for the phone's card layout.
    positions, versions = len(response.context["positions"]), len(response.context["versions"])
    assert (positions, versions) == (1, 1)  # created and renamed today: one version
    assert html.count('data-label="') == positions * 6 + versions * 7
    assert [a.name for a in response.context["ancestors"]] == ["全国", "华东大区", "上海地区"]


def test_node_page_element_ids_are_unique_so_each_label_names_its_own_field(world, login):
    import re

    html = login(world.users["a"]["admin"]).get(node_url(world.nodes["a"]["t1"])).content.decode()
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for target in re.findall(r'<label[^>]*\sfor="([^"]+)"', html):
        assert target in ids


def test_node_page_by_integer_id_does_not_exist(world, login):
    client = login(world.users["a"]["admin"])
    assert client.get(f"/org/nodes/{world.nodes['a']['t1'].pk}/").status_code == 404


def test_node_of_another_tenant_is_404_for_reads_and_writes(world, login):
    client = login(world.users["b"]["admin"])
    t1 = world.nodes["a"]["t1"]
    before = _state(world)
    assert client.get(node_url(t1)).status_code == 404
    assert client.post(node_url(t1, "org:node_rename"), {"name": "x"}).status_code == 404
    assert _state(world) == before


def test_rename_changes_the_name_and_says_so(world, login):
    client = login(world.users["a"]["admin"])
    t1 = world.nodes["a"]["t1"]
    response = client.post(node_url(t1, "org:node_rename"), {"name": " 浦东新区 ", "reason": "更名"}, follow=True)
    assert response.redirect_chain[-1][0] == node_url(t1)
    assert any("浦东新区" in str(m) for m in response.context["messages"])
    with world.scope("a"):
        assert OrgNode.objects.get(pk=t1.pk).name == "浦东新区"


def test_rename_with_an_empty_name_keeps_the_form_and_changes_nothing(world, login):
    client = login(world.users["a"]["admin"])
    before = _state(world)
    response = client.post(node_url(world.nodes["a"]["t1"], "org:node_rename"), {"name": "  ", "reason": "typed"})
    assert response.status_code == 200
    assert "name" in _form_errors(response, "rename_form")
    assert response.context["open_form"] == "rename_form"
    html = response.content.decode()
    assert 'value="typed"' in html  # what was typed is kept
    assert "is-invalid" in html
    assert _state(world) == before


def test_rename_dated_in_the_future_names_the_date_field(world, login):
    client = login(world.users["a"]["admin"])
    before = _state(world)
    tomorrow = (world.tenants["a"].today() + DAY).isoformat()
    response = client.post(node_url(world.nodes["a"]["t1"], "org:node_rename"),
                           {"name": "明天", "effective_date": tomorrow})
    assert "effective_date" in _form_errors(response, "rename_form")
    assert _state(world) == before


def test_move_under_own_descendant_is_refused_and_changes_nothing(world, login):
    client = login(world.users["a"]["admin"])
    before = _state(world)
    response = client.post(node_url(world.nodes["a"]["region"], "org:node_move"),
                           {"parent": world.nodes["a"]["t1"].code})
    assert response.status_code == 200
    assert "parent" in _form_errors(response, "move_form")
    assert _state(world) == before


def test_move_select_lists_live_nodes_outside_the_own_subtree(world, login):
    with world.scope("a"):
        services.node_retire(node=world.nodes["a"]["t2"], reason="closed")
    response = login(world.users["a"]["admin"]).get(node_url(world.nodes["a"]["district"]))
    with world.scope("a"):
        names = {n.name for n in response.context["move_form"].fields["parent"].queryset}
    assert names == {"全国", "华东大区", "北京地区", "朝阳一区"}
    html = response.content.decode()
    select = html[html.index('name="parent"'):]
    select = select[:select.index("</select>")]
    assert "朝阳一区" in select and "浦东一区" not in select and "浦西二区" not in select


def test_move_takes_the_subtree_along(world, login):
    client = login(world.users["a"]["admin"])
    n = world.nodes["a"]
    response = client.post(node_url(n["t1"], "org:node_move"), {"parent": n["other"].code, "reason": "调整"})
    assert response.status_code == 302
    with world.scope("a"):
        t1 = OrgNode.objects.get(pk=n["t1"].pk)
        assert t1.parent_id == n["other"].pk and t1.path.startswith(n["other"].path)


def test_add_child_and_top_level_node(world, login):
    client = login(world.users["a"]["admin"])
    response = client.post(node_url(world.nodes["a"]["district"], "org:node_create"),
                           {"name": "闵行三区", "kind": "territory"})
    assert response.status_code == 302
    response = client.post(reverse("org:root_create"), {"name": "海外", "kind": "nation"})
    assert response.status_code == 302
    with world.scope("a"):
        child = OrgNode.objects.get(name="闵行三区")
        assert child.parent_id == world.nodes["a"]["district"].pk
        assert response.url == node_url(OrgNode.objects.get(name="海外"))
        assert OrgNode.objects.get(name="海外").parent_id is None


def test_add_child_with_empty_name_and_unknown_kind_names_both_fields(world, login):
    client = login(world.users["a"]["admin"])
    before = _state(world)
    response = client.post(node_url(world.nodes["a"]["district"], "org:node_create"), {"name": "", "kind": "planet"})
    assert set(_form_errors(response, "create_form")) == {"name", "kind"}
    assert _state(world) == before


def test_retire_needs_a_reason_and_refuses_a_node_with_a_holder(world, login):
    client = login(world.users["a"]["admin"])
    before = _state(world)
    response = client.post(node_url(world.nodes["a"]["t2"], "org:node_retire"), {"reason": ""})
    assert "reason" in _form_errors(response, "retire_form")
    response = client.post(node_url(world.nodes["a"]["t1"], "org:node_retire"), {"reason": "closed"})
    errors = response.context["retire_form"].non_field_errors()
    assert errors and "浦东一区" in errors[0]
    assert _state(world) == before
    response = client.post(node_url(world.nodes["a"]["t2"], "org:node_retire"), {"reason": "closed"})
    assert response.status_code == 302
    with world.scope("a"):
        assert OrgNode.objects.get(pk=world.nodes["a"]["t2"].pk).is_retired


# --------------------------------------------------------------------------- positions


def _assign(client, node, **data):
    return client.post(node_url(node, "org:position_assign"), data)


def test_assign_a_holder_to_a_vacant_territory(world, login):
    client = login(world.users["a"]["admin"])
    today = world.tenants["a"].today()
    m = world.users["a"]["rep2"].membership_row
    response = _assign(client, world.nodes["a"]["t2"], holder=m.code, start_date=today.isoformat(), title="代表")
    assert response.status_code == 302
    with world.scope("a"):
        p = Position.objects.get(node=world.nodes["a"]["t2"])
        assert (p.holder_id, p.start_date, p.end_date, p.title) == (m.pk, today, None, "代表")


def test_assign_form_lists_active_members_with_name_and_email_and_defaults_to_today(world, login):
    response = login(world.users["a"]["admin"]).get(node_url(world.nodes["a"]["t2"]))
    form = response.context["assign_form"]
    html = response.content.decode()
    assert "rep2 a &lt;rep2@a.test&gt;" in html
    assert "rep b" not in html
    assert form.fields["start_date"].initial == world.tenants["a"].today()
    assert f'value="{world.tenants["a"].today().isoformat()}"' in html


def test_assign_a_user_of_another_tenant_is_an_invalid_choice(world, login):
    with world.scope("b"):
        b_membership = Membership.objects.get(user=world.users["b"]["rep"])
    client = login(world.users["a"]["admin"])
    before, before_b = _state(world), _state(world, "b")
    response = _assign(client, world.nodes["a"]["t2"], holder=b_membership.code,
                       start_date=world.tenants["a"].today().isoformat())
    assert response.status_code == 200
    errors = _form_errors(response, "assign_form")
    assert list(errors) == ["holder"]
    assert response.context["assign_form"].has_error("holder", code="invalid_choice")
    assert _state(world) == before and _state(world, "b") == before_b


def test_assign_on_a_retired_node_is_refused_and_changes_nothing(world, login):
    with world.scope("a"):
        services.node_retire(node=world.nodes["a"]["t2"], reason="closed")
    client = login(world.users["a"]["admin"])
    before = _state(world)
    response = _assign(client, world.nodes["a"]["t2"], holder=world.users["a"]["rep2"].membership_row.code,
                       start_date=world.tenants["a"].today().isoformat())
    assert response.status_code == 200
    errors = response.context["assign_form"].non_field_errors()
    assert errors and "浦西二区" in errors[0]
    assert errors[0] in response.content.decode()  # shown, even though the page of a retired node has no forms
    assert _state(world) == before


def test_overlapping_position_is_refused_on_the_start_date(world, login):
    client = login(world.users["a"]["admin"])
    before = _state(world)
    response = _assign(client, world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row.code,
                       start_date=world.tenants["a"].today().isoformat())
    errors = _form_errors(response, "assign_form")
    assert "start_date" in errors and "rep a" in errors["start_date"][0]
    assert _state(world) == before


def test_end_date_before_start_date_is_refused_on_assign_and_end(world, login):
    client = login(world.users["a"]["admin"])
    today = world.tenants["a"].today()
    before = _state(world)
    response = _assign(client, world.nodes["a"]["t2"], holder=world.users["a"]["rep2"].membership_row.code,
                       start_date=today.isoformat(), end_date=(today - DAY).isoformat())
    assert "end_date" in _form_errors(response, "assign_form")
    with world.scope("a"):
        position = Position.objects.get(node=world.nodes["a"]["t1"])
    response = client.post(reverse("org:position_end", kwargs={"code": position.code}),
                           {"end_date": (position.start_date - DAY).isoformat()})
    assert response.status_code == 200
    bound = [p.end_form for p in response.context["positions"] if p.pk == position.pk][0]
    assert "end_date" in bound.errors and bound.is_bound
    assert _state(world) == before


def test_end_a_position_makes_the_territory_vacant_the_next_day(world, login):
    client = login(world.users["a"]["admin"])
    today = world.tenants["a"].today()
    with world.scope("a"):
        position = Position.objects.get(node=world.nodes["a"]["t1"])
    response = client.post(reverse("org:position_end", kwargs={"code": position.code}),
                           {"end_date": today.isoformat(), "reason": "离职"})
    assert response.status_code == 302 and response.url == node_url(world.nodes["a"]["t1"])
    tomorrow = client.get(reverse("org:tree"), {"as_of": (today + DAY).isoformat()})
    assert {e.name: e for e in tomorrow.context["entries"]}["浦东一区"].vacant


def test_position_of_another_tenant_is_404(world, login):
    with world.scope("a"):
        position = Position.objects.get(node=world.nodes["a"]["t1"])
    client = login(world.users["b"]["admin"])
    before = _state(world)
    response = client.post(reverse("org:position_end", kwargs={"code": position.code}),
                           {"end_date": world.tenants["a"].today().isoformat()})
    assert response.status_code == 404
    assert _state(world) == before


# --------------------------------------------------------------------------- company settings


def _settings_data(**over):
    data = {"name": "甲制药", "default_language": "zh-hans", "time_zone": "Asia/Shanghai", "currency": "CNY",
            "fiscal_year_start_month": "1", "allow_overlapping_positions": "", "approval_escalate_after_hours": "72"}
    data.update(over)
    return data


def test_settings_are_saved(world, login):
    client = login(world.users["a"]["admin"])
    response = client.post(reverse("org:settings"), _settings_data(
        name="甲制药集团", currency="usd", time_zone="Europe/Paris", fiscal_year_start_month="4",
        allow_overlapping_positions="on", default_language="en", approval_escalate_after_hours="24"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("org:settings")
    tenant = Tenant.objects.get(pk=world.tenants["a"].pk)
    assert (tenant.name, tenant.currency, tenant.time_zone, tenant.fiscal_year_start_month,
            tenant.allow_overlapping_positions, tenant.default_language, tenant.approval_escalate_after_hours) == (
        "甲制药集团", "USD", "Europe/Paris", 4, True, "en", 24)


@pytest.mark.parametrize("field, value, words", [
    ("time_zone", "Asia/Shangai", "Asia/Shangai"),
    ("currency", "RMB", "ISO 4217"),
    ("name", "", ""),
    ("fiscal_year_start_month", "13", ""),
    ("approval_escalate_after_hours", "-5", ""),
])
def test_bad_settings_are_shown_beside_the_field_and_change_nothing(world, login, field, value, words):
    client = login(world.users["a"]["admin"])
    before = Tenant.objects.filter(pk=world.tenants["a"].pk).values().get()
    response = client.post(reverse("org:settings"), _settings_data(**{field: value}))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == [field]
    assert words in errors[field][0]
    if value:
        assert f'value="{value}"' in response.content.decode() or "selected" in response.content.decode()
    assert Tenant.objects.filter(pk=world.tenants["a"].pk).values().get() == before
    # The layout still shows the saved name, not what was typed.
    assert response.context["tenant"].name == before["name"]


def test_settings_refuse_turning_off_overlaps_while_two_holders_overlap(world, login):
    with world.scope("a"):
        services.tenant_update_settings(tenant=world.tenants["a"], allow_overlapping_positions=True)
        services.position_assign(node=world.nodes["a"]["t1"], holder=world.users["a"]["rep2"].membership_row,
                                 start_date=world.tenants["a"].today())
    client = login(world.users["a"]["admin"])
    response = client.post(reverse("org:settings"), _settings_data(allow_overlapping_positions=""))
    assert "allow_overlapping_positions" in response.context["form"].errors
    assert Tenant.objects.get(pk=world.tenants["a"].pk).allow_overlapping_positions is True


# --------------------------------------------------------------------------- languages


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pages_render_in_both_languages(world, login, language):
    from accounts.services.users import user_set_language

    admin = world.users["a"]["admin"]
    with world.scope("a"):
        from django.db import transaction

        with transaction.atomic():
            user_set_language(user=admin, language=language)
    client = login(admin)
    for url in (reverse("org:tree"), node_url(world.nodes["a"]["t1"]), reverse("org:settings"),
                reverse("org:root_create")):
        response = client.get(url)
        assert response.status_code == 200
        lang = "zh-CN" if language == "zh-hans" else "en"
        assert f'<html lang="{lang}">' in response.content.decode()
