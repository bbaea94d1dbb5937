"""A merge moves tiers, pins, history and list memberships with the record (registered
references), and undo moves them back; hot reads use tenant-leading indexes."""

from __future__ import annotations

from customers.models import Hcp
from customers.segmentation import selectors
from customers.segmentation.models import CustomerTier, TierChange
from customers.segmentation.services import recompute_now, rule_save, tier_pin
from customers.services.merge import merge, undo_merge
from tests.helpers import assert_uses_tenant_index

from .conftest import MATRIX


def test_a_merge_moves_a_pin_the_survivor_lacks_and_the_next_run_settles_tiers(seg):
    steward = seg.member("data_steward")
    with seg.world.scope("a"):
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        survivor, merged = Hcp.objects.filter(pk__in=seg.hcp_ids, status="active").exclude(stage="terminated")[:2]
        tier_pin(customer=merged, product_line=seg.line2, tier="A", reason="KOL", by=seg.member())
        done = merge(survivor=survivor, merged=merged, by=steward, reason="同一人")
        # the pin in line 2 moved (the survivor had none there); line 1's row collided and stayed
        assert CustomerTier.objects.get(hcp=survivor, product_line=seg.line2).pinned_tier == "A"
        assert CustomerTier.objects.filter(hcp=merged, product_line=seg.line).exists()
        assert TierChange.objects.filter(hcp=survivor, kind="pinned").exists()
        run = recompute_now(product_line=seg.line)  # the merged record left: its tier goes
        assert not CustomerTier.objects.filter(hcp=merged).exists()
        assert TierChange.objects.get(run=run, hcp=merged).to_tier == ""
        undo_merge(merge=done, by=steward)
        assert CustomerTier.objects.get(hcp=merged, product_line=seg.line2).pinned_tier == "A"


def _many_batches(seg) -> None:
    """A history of many small batches (as years of quiet nights leave), analysed: what the
    planner sees in production, where a customer's few batches are worth an index."""
    from django.db import connection
    from django.db.backends.postgresql.psycopg_any import NumericRange
    from django.utils import timezone

    from customers.segmentation.models import TierChangeBatch

    now = timezone.now()
    TierChangeBatch.objects.bulk_create([
        TierChangeBatch(product_line=seg.line, customer_kind="hcp", kind="computed", at=now, from_tiers="A",
                        to_tiers="B", span=NumericRange(i, i, "[]"), customers=[i])
        for _ in range(20) for i in seg.hcp_ids])
    with connection.cursor() as cur:
        cur.execute("ANALYZE segmentation_tierchangebatch")


def _batch_scans(queryset) -> list[dict]:
    """The plan's scans of the history batches."""
    import json

    from django.db import connection

    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cur.fetchone()[0]
    plan = json.loads(plan) if isinstance(plan, str) else plan

    def nodes(node):
        yield node
        for child in node.get("Plans", []):
            yield from nodes(child)

    return [node for node in nodes(plan[0]["Plan"]) if node.get("Relation Name") == "segmentation_tierchangebatch"]


def _span_reaches_the_batches(queryset) -> bool:
    """Whether the plan filters the batches themselves by ``span`` (through the GiST index or
    as the scan's filter), so that only a customer's few batches are unnested."""
    return any("span @>" in node.get(key, "") for node in _batch_scans(queryset)
               for key in ("Index Cond", "Filter", "Recheck Cond"))


def test_a_customers_tiers_and_history_read_through_tenant_indexes(seg):
    from customers.segmentation.models import SegmentationRun

    with seg.world.scope("a"):
        hcp = Hcp.objects.get(pk=seg.hcp_ids[0])
        assert_uses_tenant_index(CustomerTier.objects.filter(hcp=hcp))
        assert_uses_tenant_index(selectors.pins(product_line=seg.line))
        assert_uses_tenant_index(CustomerTier.objects.filter(product_line=seg.line, purpose="tier", tier="A"))
        assert_uses_tenant_index(SegmentationRun.objects.filter(product_line=seg.line).order_by("-created_at")[:20])
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        run = recompute_now(product_line=seg.line)
        _many_batches(seg)
        history = selectors.changes_of(hcp).order_by("-at")[:50]
        assert_uses_tenant_index(history)
        assert _span_reaches_the_batches(history), "a customer's history must narrow the batches by span"
        assert "tierbatch_tenant_run" in assert_uses_tenant_index(selectors.run_changes(run)[:50])
        # The history API's first page: the batches read backwards by key, unnested as needed
        # (batches are few — about 500 per million changes — whichever key the planner takes).
        first_page = _batch_scans(TierChange.objects.order_by(*selectors.NEWEST_FIRST)[:50])
        assert [(n["Node Type"], n.get("Scan Direction")) for n in first_page] == [("Index Scan", "Backward")]
        assert selectors.run_changes(run).count() == run.tier_changes > 0


def test_tier_history_has_no_tenant_key_and_no_checked_foreign_key(db):
    """History is a view over batches (``models/history.py``): it has no key of its own and
    no foreign-key check; the tiers table, which rows do point at, keeps its key."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT tablename, indexname FROM pg_indexes WHERE tablename IN "
                    "('segmentation_tierchange', 'segmentation_customertier') AND indexname LIKE '%%tenant_id_key'")
        keys = set(cur.fetchall())
        cur.execute("SELECT count(*) FROM pg_constraint WHERE conrelid = 'segmentation_tierchange'::regclass "
                    "AND contype = 'f'")
        foreign_keys = cur.fetchone()[0]
    assert keys == {("segmentation_customertier", "segmentation_customertier_tenant_id_key")}
    assert foreign_keys == 0
    assert TierChange.tenant_key is False and CustomerTier.tenant_key is True
