"""The segmentation pages: tier rules (list, editor, preview, settings), runs and their
progress, pins, the customer page's tier panel, target lists — per role, with bad input,
query counts and the other tenant."""

from __future__ import annotations

import pytest
from django.urls import reverse

from customers.models import Hcp
from customers.segmentation import selectors
from customers.segmentation.models import CustomerTier, SegmentationRule, SegmentationRun, TargetList, TierChange
from customers.segmentation.services import recompute_now, rule_preview, rule_save, target_list_create, tier_pin
from tests.helpers import assert_max_queries, count_queries

from .conftest import BUILTIN_MATRIX

pytestmark = pytest.mark.usefixtures("english")

ROLES = ("rep", "manager", "analyst", "admin", "data_steward", "finance")
ALLOWED = ("analyst", "admin")


def _login(client, seg, role, tenant="a"):
    client.force_login(seg.world.users[tenant][role])


def _matrix_post(**over) -> dict:
    data = {"name": "心脑血管 · HCP", "is_active": "on", "method": "matrix",
            "potential_measure": "hcp.potential", "potential_by": "value", "potential_thresholds": "1000, 5000",
            "adoption_measure": "hcp.title_rank", "adoption_by": "value", "adoption_thresholds": "3",
            "normalise": "percent_rank", "cut": "share",
            "grid_0_0": "D", "grid_0_1": "C", "grid_1_0": "C", "grid_1_1": "B", "grid_2_0": "B", "grid_2_1": "A"}
    data.update(over)
    return data


def _edit_url(seg, kind="hcp", line=None):
    return reverse("segmentation:rule_edit", kwargs={"line_code": (line or seg.line).code, "kind": kind})


def _rule(seg, definition=BUILTIN_MATRIX):
    with seg.world.scope("a"):
        return rule_save(kind="hcp", definition=definition, product_line=seg.line, by=seg.member())


def _hcp(seg) -> Hcp:
    with seg.world.scope("a"):
        return Hcp.objects.filter(pk__in=seg.hcp_ids, status="active").exclude(stage="terminated").order_by("pk").first()


# --------------------------------------------------------------------------- roles


@pytest.mark.parametrize("role", ROLES)
def test_rule_pages_are_for_analysts_and_admins(client, seg, role):
    _rule(seg)
    _login(client, seg, role)
    expected = 200 if role in ALLOWED else 403
    for url in (reverse("segmentation:rule_list"), reverse("segmentation:settings"), _edit_url(seg),
                _edit_url(seg, "institution"), reverse("segmentation:run_list"), reverse("segmentation:pin_list")):
        assert client.get(url).status_code == expected, url
    assert client.get(reverse("segmentation:target_list_list")).status_code == 200  # every member reads lists


def test_other_tenant_gets_404_for_our_codes(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        run = recompute_now(product_line=seg.line)
        tl = target_list_create(name="甲名单", kind="hcp", filters={}, by=seg.member())
    _login(client, seg, "admin", "b")
    for url in (_edit_url(seg), reverse("segmentation:run_detail", kwargs={"code": run.code}),
                reverse("segmentation:run_progress", kwargs={"code": run.code}),
                reverse("segmentation:target_list_detail", kwargs={"code": tl.code})):
        assert client.get(url).status_code == 404, url
    assert client.get(reverse("segmentation:rule_list")).status_code == 200  # their own page
    assert "心脑血管" not in client.get(reverse("segmentation:rule_list")).content.decode()
    assert client.post(reverse("segmentation:run_new"), {"product_line": str(seg.line.code)}).status_code == 404
    hcp = _hcp(seg)
    assert client.post(reverse("segmentation:pin_add", kwargs={"kind": "hcp", "code": hcp.code}),
                       {"product_line": str(seg.line.code), "tier": "A", "reason": "x"}).status_code == 404


def test_an_unknown_kind_is_404(client, seg):
    _login(client, seg, "analyst")
    assert client.get(_edit_url(seg, "doctor")).status_code == 404


# --------------------------------------------------------------------------- the rules page


def test_rules_page_shows_counts_per_line_and_kind(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
        counts = selectors.tier_counts(kind="hcp", product_line=seg.line)
    _login(client, seg, "analyst")
    r = client.get(reverse("segmentation:rule_list"))
    row = next(x for x in r.context["rows"] if x["line"] == seg.line)
    hcp = next(k for k in row["kinds"] if k["kind"] == "hcp")
    assert dict(hcp["counts"]) == counts and hcp["rule"] is not None and row["can_run"]
    other = next(x for x in r.context["rows"] if x["line"] == seg.line2)
    assert not other["can_run"] and "Create rule" in r.content.decode()


def test_rules_page_query_count_is_flat_as_lines_grow(client, seg):
    from products.services import product_line_create

    _rule(seg)
    _login(client, seg, "analyst")
    url = reverse("segmentation:rule_list")
    client.get(url)
    few = count_queries(lambda: client.get(url))
    with seg.world.scope("a"):
        for i in range(6):
            line = product_line_create(name=f"产品线{i}")
            rule_save(kind="hcp", definition=BUILTIN_MATRIX, product_line=line, by=seg.member())
            recompute_now(product_line=line)
    assert count_queries(lambda: client.get(url)) == few
    with assert_max_queries(14):
        client.get(url)


# --------------------------------------------------------------------------- the editor


def test_editor_shows_the_saved_rule_in_plain_fields(client, seg):
    _rule(seg)
    _login(client, seg, "analyst")
    r = client.get(_edit_url(seg))
    form = r.context["form"]
    assert form["potential_thresholds"].value() == "1000, 5000" and form["adoption_by"].value() == "percentile"
    assert (form.rows, form.cols) == (3, 4)
    assert form["grid_2_3"].value() == "A" and form["grid_0_0"].value() == "D"
    body = r.content.decode()
    assert 'name="grid_2_3"' in body and "Potential band 3 × adoption band 4" in body


def test_saving_a_matrix_from_plain_fields(client, seg):
    _login(client, seg, "analyst")
    r = client.post(_edit_url(seg), _matrix_post())
    assert r.status_code == 302 and r.url == reverse("segmentation:rule_list")
    with seg.world.scope("a"):
        rule = SegmentationRule.objects.get(product_line=seg.line, kind="hcp")
        assert rule.updated_by_id == seg.member().pk
    assert rule.definition["grid"] == [["D", "C"], ["C", "B"], ["B", "A"]]
    assert rule.definition["potential"] == {"measure": "hcp.potential", "by": "value", "thresholds": [1000, 5000]}


def test_saving_a_weighted_score(client, seg):
    _login(client, seg, "admin")
    r = client.post(_edit_url(seg), {"method": "score", "is_active": "on", "normalise": "min_max", "cut": "score",
                                     "weight_hcp.potential": "70", "weight_hcp.kol": "30",
                                     "cutoff_A": "80", "cutoff_B": "50", "cutoff_C": "20"})
    assert r.status_code == 302
    with seg.world.scope("a"):
        d = SegmentationRule.objects.get(product_line=seg.line, kind="hcp").definition
    assert d == {"method": "score", "normalise": "min_max", "weights": {"hcp.potential": 70, "hcp.kol": 30},
                 "cut": "score", "cutoffs": {"A": 80, "B": 50, "C": 20}}


@pytest.mark.parametrize(("over", "field", "words"), [
    ({"grid_1_1": ""}, "grid", "Potential band 2 × adoption band 2 has no tier"),
    ({"potential_thresholds": "5000, 1000"}, "potential_thresholds", "Thresholds must go up"),
    ({"adoption_by": "percentile", "adoption_thresholds": "50, 120"}, "adoption_thresholds", "between 0 and 100"),
    ({"potential_measure": ""}, "potential_measure", "Choose a measure"),
])
def test_bad_matrix_is_refused_beside_the_field_and_keeps_what_was_typed(client, seg, over, field, words):
    _login(client, seg, "analyst")
    r = client.post(_edit_url(seg), _matrix_post(**over))
    assert r.status_code == 400
    form = r.context["form"]
    assert any(words in e for e in form.errors[field]), form.errors
    body = r.content.decode()
    assert words.split("“")[0] in body
    assert 'value="心脑血管 · HCP"' in body  # typed values kept
    assert form["potential_thresholds"].value() == _matrix_post(**over)["potential_thresholds"]
    with seg.world.scope("a"):
        assert not SegmentationRule.objects.exists()


def test_weights_that_do_not_add_up_are_refused_beside_the_weights(client, seg):
    _login(client, seg, "analyst")
    r = client.post(_edit_url(seg), {"method": "score", "normalise": "percent_rank", "cut": "share",
                                     "weight_hcp.potential": "60", "weight_hcp.kol": "30",
                                     "cutoff_A": "10", "cutoff_B": "20", "cutoff_C": "30"})
    assert r.status_code == 400
    assert any("add up to 90" in e for e in r.context["form"].errors["weights"])
    assert r.context["form"]["weight_hcp.potential"].value() == "60"
    with seg.world.scope("a"):
        assert not SegmentationRule.objects.exists()


def test_a_failed_save_leaves_the_saved_rule_as_it_was(client, seg):
    rule = _rule(seg)
    _login(client, seg, "analyst")
    assert client.post(_edit_url(seg), _matrix_post(grid_0_0="")).status_code == 400
    with seg.world.scope("a"):
        assert SegmentationRule.objects.get(pk=rule.pk).definition == rule.definition


def test_changing_the_thresholds_redraws_the_grid(client, seg):
    _login(client, seg, "analyst")
    r = client.post(_edit_url(seg), _matrix_post(potential_thresholds="10, 20, 30", action="resize"))
    assert r.status_code == 200
    form = r.context["form"]
    assert (form.rows, form.cols) == (4, 2)
    assert form["grid_2_1"].value() == "A" and form["grid_3_1"].value() in ("", None)
    with seg.world.scope("a"):
        assert not SegmentationRule.objects.exists()


def test_preview_numbers_equal_the_engine(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
        post = _matrix_post(grid_0_0="A")
        expected = rule_preview(kind="hcp", product_line=seg.line, definition={
            "method": "matrix", "potential": {"measure": "hcp.potential", "by": "value", "thresholds": [1000, 5000]},
            "adoption": {"measure": "hcp.title_rank", "by": "value", "thresholds": [3]},
            "grid": [["A", "C"], ["C", "B"], ["B", "A"]]})
    _login(client, seg, "analyst")
    r = client.post(reverse("segmentation:rule_preview", kwargs={"line_code": seg.line.code, "kind": "hcp"}), post)
    assert r.status_code == 200
    assert r.context["preview"] == expected and expected.changes > 0
    for row in r.context["tiers"]:
        assert (row["before"], row["after"]) == (expected.before[row["tier"]], expected.after[row["tier"]])
    moved = {(m["from"], label): c for m in r.context["moves"] for label, c in zip(r.context["labels"], m["cells"],
                                                                                    strict=True) if c}
    assert moved == {k: v for k, v in expected.moves.items() if v}
    body = r.content.decode()
    assert f"{expected.changes} customers would change tier" in body
    with seg.world.scope("a"):
        assert SegmentationRule.objects.get().definition == BUILTIN_MATRIX  # nothing saved by a preview


def test_preview_of_a_bad_rule_says_why(client, seg):
    _login(client, seg, "analyst")
    r = client.post(reverse("segmentation:rule_preview", kwargs={"line_code": seg.line.code, "kind": "hcp"}),
                    _matrix_post(grid_2_1=""))
    assert r.status_code == 200 and r.context["preview"] is None
    assert "has no tier" in r.content.decode()


def test_preview_is_post_only(client, seg):
    _login(client, seg, "analyst")
    url = reverse("segmentation:rule_preview", kwargs={"line_code": seg.line.code, "kind": "hcp"})
    assert client.get(url).status_code == 405


def test_settings_save_and_refuse_a_bad_total(client, seg):
    _login(client, seg, "admin")
    url = reverse("segmentation:settings")
    r = client.post(url, {"primary_product_line": str(seg.line2.code), "weights_total": "abc"})
    assert r.status_code == 400 and r.context["form"].errors["weights_total"]
    r = client.post(url, {"primary_product_line": str(seg.line2.code), "weights_total": ""})
    assert r.status_code == 302
    with seg.world.scope("a"):
        from customers.segmentation.services import settings_get

        assert settings_get().primary_product_line_id == seg.line2.pk and settings_get().weights_total is None


# --------------------------------------------------------------------------- runs


def test_recompute_now_queues_a_run_and_the_page_polls_its_progress(client, seg):
    _rule(seg)
    _login(client, seg, "analyst")
    r = client.post(reverse("segmentation:run_new"), {"product_line": str(seg.line.code)})
    with seg.world.scope("a"):
        run = SegmentationRun.objects.get()
        assert run.requested_by_id == seg.member().pk
    assert r.status_code == 302 and r.url == reverse("segmentation:run_detail", kwargs={"code": run.code})
    assert run.status == "queued"
    page = client.get(r.url).content.decode()
    assert 'role="progressbar"' in page and 'hx-trigger="every 1s"' in page and 'aria-valuenow="0"' in page
    progress = reverse("segmentation:run_progress", kwargs={"code": run.code})
    assert client.get(progress).status_code == 200
    with seg.world.scope("a"):  # the worker's part, here in the test's transaction
        from customers.segmentation.services import run_execute

        run = run_execute(run_id=run.pk)
    r = client.get(progress)
    assert r.status_code == 286
    body = r.content.decode()
    assert 'aria-valuenow="100"' in body and "Tier changes" in body and str(run.tier_changes) in body
    assert len(r.context["changes"]) == min(50, run.tier_changes)


def test_recompute_without_a_rule_says_so(client, seg):
    _login(client, seg, "analyst")
    r = client.post(reverse("segmentation:run_new"), {"product_line": str(seg.line.code)}, follow=True)
    assert "no active rule" in r.content.decode()
    assert client.post(reverse("segmentation:run_new"), {"product_line": "nope"}).status_code == 302
    with seg.world.scope("a"):
        assert not SegmentationRun.objects.exists()


def test_run_list_query_count_is_flat(client, seg):
    _rule(seg)
    _login(client, seg, "admin")
    url = reverse("segmentation:run_list")
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line, by=seg.member())
    client.get(url)
    few = count_queries(lambda: client.get(url))
    with seg.world.scope("a"):
        for _i in range(5):
            recompute_now(product_line=seg.line, by=seg.member())
    assert count_queries(lambda: client.get(url)) == few


# --------------------------------------------------------------------------- pins and the customer page


def test_pin_and_unpin_from_the_customer_page(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
    hcp = _hcp(seg)
    _login(client, seg, "analyst")
    detail = reverse("customers:hcp_detail", kwargs={"code": hcp.code})
    page = client.get(detail).content.decode()
    assert "Pin a tier" in page and "Tier history" in page
    r = client.post(reverse("segmentation:pin_add", kwargs={"kind": "hcp", "code": hcp.code}),
                    {"product_line": str(seg.line.code), "tier": "A", "reason": "重点学术带头人"})
    assert r.status_code == 302 and r.url == detail
    with seg.world.scope("a"):
        row = CustomerTier.objects.get(hcp=hcp, product_line=seg.line)
        assert (row.tier, row.pinned_tier, row.pinned_by_id) == ("A", "A", seg.member().pk)
    pins = client.get(reverse("segmentation:pin_list")).content.decode()
    assert hcp.name in pins and "重点学术带头人" in pins
    page = client.get(detail).content.decode()
    assert "重点学术带头人" in page and "pinned" in page
    r = client.post(reverse("segmentation:pin_remove", kwargs={"kind": "hcp", "code": hcp.code,
                                                               "line_code": seg.line.code}),
                    {"reason": "复核后取消", "next": reverse("segmentation:pin_list")})
    assert r.status_code == 302 and r.url == reverse("segmentation:pin_list")
    with seg.world.scope("a"):
        row = CustomerTier.objects.get(hcp=hcp, product_line=seg.line)
        assert row.pinned_tier == "" and row.tier == row.computed_tier
        kinds = list(TierChange.objects.filter(hcp=hcp).order_by("-at", "-id").values_list("kind", flat=True)[:2])
        assert kinds == ["unpinned", "pinned"]


def test_a_pin_without_a_reason_is_refused(client, seg):
    hcp = _hcp(seg)
    _login(client, seg, "analyst")
    r = client.post(reverse("segmentation:pin_add", kwargs={"kind": "hcp", "code": hcp.code}),
                    {"product_line": str(seg.line.code), "tier": "A", "reason": ""}, follow=True)
    assert "Reason" in r.content.decode()
    with seg.world.scope("a"):
        assert not CustomerTier.objects.filter(hcp=hcp).exists()


@pytest.mark.parametrize("role", ["rep", "manager", "data_steward", "finance"])
def test_only_analysts_and_admins_pin(client, seg, role):
    hcp = _hcp(seg)
    _login(client, seg, role)
    r = client.post(reverse("segmentation:pin_add", kwargs={"kind": "hcp", "code": hcp.code}),
                    {"product_line": str(seg.line.code), "tier": "A", "reason": "x"})
    assert r.status_code == 403


def test_customer_page_shows_tiers_and_history_with_why(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
        change = TierChange.objects.filter(hcp__isnull=False, product_line=seg.line).order_by("id").first()
        hcp = Hcp.objects.get(pk=change.hcp_id)
    _login(client, seg, "admin")
    r = client.get(reverse("customers:hcp_detail", kwargs={"code": hcp.code}))
    panel = next(p for p in r.context["panels"] if p["key"] == "segmentation")
    assert [t.tier for t in panel["context"]["tiers"]] == [change.to_tier]
    assert panel["context"]["history"][0].why_text == selectors.why_text(change)
    body = r.content.decode()
    assert "Tier history" in body and f"— → {change.to_tier}" in body
    assert any(e.kind == "tier" for e in r.context["timeline"])


def test_customer_page_query_count_stays_flat_as_history_grows(client, seg):
    _rule(seg)
    hcp = _hcp(seg)
    _login(client, seg, "analyst")
    url = reverse("customers:hcp_detail", kwargs={"code": hcp.code})
    client.get(url)
    few = count_queries(lambda: client.get(url))
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
        for i, tier in enumerate("ABCDABCD"):
            tier_pin(customer=hcp, tier=tier, reason=f"第{i}次", product_line=seg.line, by=seg.member())
            tier_pin(customer=hcp, tier=tier, reason=f"第{i}次", product_line=seg.line2, by=seg.member())
    assert count_queries(lambda: client.get(url)) == few
    with seg.world.scope("a"):
        inst_url = reverse("customers:institution_detail", kwargs={"code": hcp.institution.code})
    client.get(inst_url)
    with assert_max_queries(28):
        client.get(inst_url)


def test_other_readers_see_tiers_but_no_pin_form(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
    hcp = _hcp(seg)
    url = reverse("customers:hcp_detail", kwargs={"code": hcp.code})
    _login(client, seg, "admin")
    assert "Pin a tier" in client.get(url).content.decode()
    _login(client, seg, "data_steward")
    r = client.get(url)
    panel = next(p for p in r.context["panels"] if p["key"] == "segmentation")
    assert not panel["context"]["can_pin"] and panel["context"]["tiers"] and panel["context"]["lines"] == []
    body = r.content.decode()
    assert "Tier history" in body and "Pin a tier" not in body


# --------------------------------------------------------------------------- target lists


def _list_post(**over):
    data = {"name": "心内A级", "description": "", "kind": "hcp", "product_line": "", "tiers": ["A", "B"],
            "specialties": ["cardiology"], "cities": "上海市", "kol": "", "target": ""}
    data.update(over)
    return data


def test_target_list_create_detail_freeze_unfreeze_delete(client, seg):
    _rule(seg)
    with seg.world.scope("a"):
        recompute_now(product_line=seg.line)
    _login(client, seg, "analyst")
    r = client.post(reverse("segmentation:target_list_new"), _list_post(product_line=str(seg.line.code)))
    with seg.world.scope("a"):
        tl = TargetList.objects.get()
        live = selectors.target_list_live_members(tl, seg.world.users["a"]["analyst"]).count()
    assert r.status_code == 302 and tl.filters["tiers"] == ["A", "B"] and tl.filters["cities"] == ["上海市"]
    assert live > 0
    detail = reverse("segmentation:target_list_detail", kwargs={"code": tl.code})
    r = client.get(detail)
    assert r.context["page"].paginator.count == live
    r = client.post(reverse("segmentation:target_list_freeze", kwargs={"code": tl.code}))
    with seg.world.scope("a"):
        tl.refresh_from_db()
    assert r.status_code == 302 and tl.is_frozen and tl.member_count == live
    r = client.post(reverse("segmentation:target_list_edit", kwargs={"code": tl.code}), _list_post(tiers=["C"]))
    assert r.status_code == 400 and "frozen" in r.content.decode()
    client.post(reverse("segmentation:target_list_freeze", kwargs={"code": tl.code}), {"unfreeze": "1"})
    with seg.world.scope("a"):
        tl.refresh_from_db()
    assert not tl.is_frozen
    r = client.post(reverse("segmentation:target_list_delete", kwargs={"code": tl.code}))
    assert r.status_code == 302
    with seg.world.scope("a"):
        assert not TargetList.objects.exists()


def test_target_list_bad_input_names_the_field(client, seg):
    _login(client, seg, "analyst")
    with seg.world.scope("a"):
        target_list_create(name="心内A级", kind="hcp", filters={}, by=seg.member())
    r = client.post(reverse("segmentation:target_list_new"), _list_post(cities="杭州市"))
    assert r.status_code == 400 and any("exists already" in e for e in r.context["form"].errors["name"])
    assert 'value="杭州市"' in r.content.decode()
    r = client.post(reverse("segmentation:target_list_new"), _list_post(name=""))
    assert r.status_code == 400 and r.context["form"].errors["name"]
    with seg.world.scope("a"):
        assert TargetList.objects.count() == 1


def test_reps_read_lists_within_what_they_see_and_managers_edit_their_own(client, seg):
    with seg.world.scope("a"):
        tl = target_list_create(name="全部医生", kind="hcp", filters={}, by=seg.member("analyst"))
    _login(client, seg, "rep")
    detail = reverse("segmentation:target_list_detail", kwargs={"code": tl.code})
    r = client.get(detail)
    with seg.world.scope("a"):
        visible = Hcp.objects.visible_to(seg.world.users["a"]["rep"]).filter(status="active").count()
    assert r.status_code == 200 and r.context["page"].paginator.count <= visible
    assert client.get(reverse("segmentation:target_list_new")).status_code == 403
    assert client.post(reverse("segmentation:target_list_freeze", kwargs={"code": tl.code})).status_code == 403
    _login(client, seg, "manager")
    assert client.get(reverse("segmentation:target_list_edit", kwargs={"code": tl.code})).status_code == 403
    r = client.post(reverse("segmentation:target_list_new"), _list_post(name="经理的名单"))
    assert r.status_code == 302
    with seg.world.scope("a"):
        own = TargetList.objects.get(name="经理的名单")
    assert client.get(reverse("segmentation:target_list_edit", kwargs={"code": own.code})).status_code == 200


def test_target_list_pages_query_count_is_flat(client, seg):
    _login(client, seg, "analyst")
    with seg.world.scope("a"):
        tl = target_list_create(name="名单0", kind="hcp", filters={}, by=seg.member())
    url = reverse("segmentation:target_list_list")
    detail = reverse("segmentation:target_list_detail", kwargs={"code": tl.code})
    client.get(url)
    client.get(detail)
    few, few_detail = count_queries(lambda: client.get(url)), count_queries(lambda: client.get(detail))
    with seg.world.scope("a"):
        for i in range(1, 8):
            target_list_create(name=f"名单{i}", kind="institution", filters={}, by=seg.member("manager"))
    assert count_queries(lambda: client.get(url)) == few
    assert count_queries(lambda: client.get(detail)) == few_detail


def test_pin_list_query_count_is_flat(client, seg):
    _login(client, seg, "analyst")
    url = reverse("segmentation:pin_list")
    with seg.world.scope("a"):
        hcps = list(Hcp.objects.filter(pk__in=seg.hcp_ids, status="active").exclude(stage="terminated")[:8])
        tier_pin(customer=hcps[0], tier="A", reason="r", product_line=seg.line, by=seg.member())
    client.get(url)
    few = count_queries(lambda: client.get(url))
    with seg.world.scope("a"):
        for h in hcps[1:]:
            tier_pin(customer=h, tier="B", reason="r", product_line=seg.line, by=seg.member())
    assert count_queries(lambda: client.get(url)) == few
