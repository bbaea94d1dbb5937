"""Idempotence, history, the customers' own tier column, leaving the population, isolation."""

from __future__ import annotations

import pytest
from django.db import connection

from customers.models import Hcp
from customers.segmentation.models import CustomerTier, SegmentationRun, TierChange
from customers.segmentation.services import recompute_now, rule_save, settings_update

from .conftest import MATRIX, SCORE


def _tiers(line):
    return {r.hcp_id: r.tier for r in CustomerTier.objects.filter(product_line=line, hcp__isnull=False)}


def test_the_same_night_twice_changes_nothing_and_writes_no_history(seg):
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        first = recompute_now(product_line=seg.line)
        assert first.status == "succeeded" and first.tier_changes > 200 and first.rows_changed == first.tier_changes
        history = TierChange.objects.count()
        with connection.cursor() as cur:
            cur.execute("SELECT xmin::text::bigint FROM segmentation_customertier ORDER BY id")
            versions = cur.fetchall()
        second = recompute_now(product_line=seg.line)
        assert (second.rows_changed, second.tier_changes, second.customers_updated) == (0, 0, 0)
        assert TierChange.objects.count() == history
        with connection.cursor() as cur:
            cur.execute("SELECT xmin::text::bigint FROM segmentation_customertier ORDER BY id")
            assert cur.fetchall() == versions, "no row may be rewritten"


def test_history_says_which_run_moved_whom_and_why(seg):
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        first = recompute_now(product_line=seg.line)
        before = _tiers(seg.line)
        # raise one HCP's potential from the lowest band to the highest
        hcp = Hcp.objects.filter(pk__in=before, potential__lt=1000).exclude(stage="terminated").first()
        Hcp.objects.filter(pk=hcp.pk).update(potential=20000)
        row_before = CustomerTier.objects.get(hcp=hcp, product_line=seg.line)
        second = recompute_now(product_line=seg.line)
        row = CustomerTier.objects.get(hcp=hcp, product_line=seg.line)
        assert row.potential_band == 3 and row_before.potential_band == 1
        assert second.rows_changed == 1
        changes = list(TierChange.objects.filter(run=second))
        if row.tier != row_before.tier:
            assert len(changes) == 1 and second.tier_changes == 1
            change = changes[0]
            assert (change.hcp_id, change.from_tier, change.to_tier, change.kind) == (hcp.pk, row_before.tier, row.tier,
                                                                                     "computed")
            assert change.why["potential_band"] == [1, 3] and change.why["version"] == 1
            assert change.why["adoption_band"][0] == change.why["adoption_band"][1]
            assert Hcp.objects.get(pk=hcp.pk).tier == row.tier
        else:  # the grid gives the same tier: bands stored, no history
            assert changes == []
        first_history = TierChange.objects.filter(run=first, hcp=hcp).get()
        assert first_history.from_tier == "" and first_history.to_tier == row_before.tier


def test_a_customer_leaving_the_population_loses_its_tier(seg):
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=SCORE, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        hcp = Hcp.objects.get(pk=next(iter(_tiers(seg.line))))
        old = hcp.tier
        assert old
        Hcp.objects.filter(pk=hcp.pk).update(stage="terminated")
        run = recompute_now(product_line=seg.line)
        assert not CustomerTier.objects.filter(hcp=hcp).exists()
        change = TierChange.objects.get(run=run, hcp=hcp)
        assert (change.from_tier, change.to_tier, change.why.get("left_population")) == (old, "", True)
        assert Hcp.objects.get(pk=hcp.pk).tier == ""
        Hcp.objects.filter(pk=hcp.pk).update(stage="active")
        recompute_now(product_line=seg.line)
        assert CustomerTier.objects.get(hcp=hcp).tier != ""


def test_a_new_rule_version_moves_tiers_and_history_names_the_version(seg):
    with seg.world.scope("a"):
        rule = rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        changed = {**MATRIX, "grid": [["D"] * 4, ["D"] * 4, ["A"] * 4]}
        rule = rule_save(kind="hcp", definition=changed, product_line=seg.line, by=seg.member())
        assert rule.version == 2
        assert rule_save(kind="hcp", definition=changed, product_line=seg.line, by=seg.member()).version == 2
        run = recompute_now(product_line=seg.line)
        assert run.tier_changes > 0 and run.rows_changed == run.tier_changes  # bands unchanged: tier rows only
        assert set(_tiers(seg.line).values()) <= {"A", "D"}
        assert {c.why["version"] for c in TierChange.objects.filter(run=run)} == {2}


def test_changing_the_primary_line_brings_the_customer_column_in_step(seg):
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        rule_save(kind="hcp", definition=SCORE, product_line=seg.line2, by=seg.member())
        recompute_now(product_line=seg.line)
        recompute_now(product_line=seg.line2)
        settings_update(primary_product_line=seg.line2)
        own = dict(Hcp.objects.filter(pk__in=seg.hcp_ids).values_list("pk", "tier"))
        assert {k: v for k, v in own.items() if v} == _tiers(seg.line2)
        run = recompute_now(product_line=seg.line2)
        assert run.customers_updated == 0


def test_an_inactive_rule_is_not_run_and_its_tiers_stay(seg):
    from customers.segmentation.services import rule_set_active

    with seg.world.scope("a"):
        rule = rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        before = _tiers(seg.line)
        rule_set_active(rule=rule, is_active=False, by=seg.member())
        Hcp.objects.filter(pk__in=seg.hcp_ids).update(potential=0)
        run = recompute_now(product_line=seg.line)
        assert run.rows_changed == 0 and _tiers(seg.line) == before


def test_tenant_b_rules_and_tiers_are_never_touched_or_seen(seg):
    with seg.world.scope("b"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.b_line, by=seg.member(tenant="b"))
        recompute_now(product_line=seg.b_line)
        b_tiers = _tiers(seg.b_line)
        b_history = TierChange.objects.count()
        assert b_tiers
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=SCORE, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        assert not CustomerTier.objects.filter(hcp_id__in=seg.b_hcp_ids).exists()
        with connection.cursor() as cur:
            cur.execute("SELECT count(*) FROM segmentation_customertier WHERE hcp_id = ANY(%s)", [seg.b_hcp_ids])
            assert cur.fetchone()[0] == 0
        assert SegmentationRun.objects.filter(product_line=seg.b_line).count() == 0
    with seg.world.scope("b"):
        assert _tiers(seg.b_line) == b_tiers and TierChange.objects.count() == b_history
        assert not CustomerTier.objects.filter(hcp_id__in=seg.hcp_ids).exists()


def test_a_rule_of_another_tenants_product_line_is_refused(seg):
    from django.db import IntegrityError, transaction

    with seg.world.scope("a"), pytest.raises(IntegrityError), transaction.atomic():
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the tenant keys are checked at commit otherwise
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.b_line, by=seg.member())


def test_bad_input_at_save_names_the_field_and_changes_nothing(seg, english):
    from django.core.exceptions import ValidationError

    from customers.segmentation.models import SegmentationRule

    with seg.world.scope("a"):
        rule = rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        bad = {**MATRIX, "potential": {**MATRIX["potential"], "thresholds": [5000, 1000]}}
        with pytest.raises(ValidationError) as info:
            rule_save(kind="hcp", definition=bad, product_line=seg.line, by=seg.member())
        assert "must go up" in info.value.message_dict["potential.thresholds"][0]
        rule.refresh_from_db()
        assert rule.version == 1 and rule.definition["potential"]["thresholds"] == [1000, 5000]
        for kwargs, field in (({"product_line": None}, "product_line"), ({"kind": "dentist"}, "kind"),
                              ({"purpose": "credit_rating"}, "kind")):
            with pytest.raises(ValidationError) as info:
                rule_save(**{"kind": "hcp", "definition": MATRIX, "product_line": seg.line, "by": seg.member(),
                             **kwargs})
            assert field in info.value.message_dict, info.value.message_dict
        with pytest.raises(ValidationError) as info:
            settings_update(weights_total="lots")
        assert "weights_total" in info.value.message_dict
        settings_update(weights_total=None)
        with_any_total = {**SCORE_ANY}
        assert rule_save(kind="hcp", definition=with_any_total, product_line=seg.line2, by=seg.member()).pk
        assert SegmentationRule.objects.count() == 2


SCORE_ANY = {**SCORE, "weights": {"hcp.potential": 3, "hcp.kol": 1}}
