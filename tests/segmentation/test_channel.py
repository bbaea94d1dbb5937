"""R9: channel customers re-classified and distributors rated from a registered performance
measure; owners of the accounts that moved are told, one notification each."""

from __future__ import annotations

import datetime as dt

import pytest

from accounts.models import Notification
from customers.models import Institution
from customers.segmentation.measures import Measure, register_measure, unregister_measure
from customers.segmentation.models import CustomerTier, SegmentationRun, TierChange
from customers.segmentation.services import recompute_now, rule_save, tier_pin
from customers.services.alignment import align

GROWTH = Measure(key="test.sales_growth", label="sales growth (test)", kind="institution",
                 sql="SELECT id, potential FROM customers_institution WHERE tenant_id = %(tenant)s")
CHANNEL = {"method": "score", "weights": {"test.sales_growth": 100}, "cut": "score",
           "cutoffs": {"A": 90, "B": 50, "C": 10}, "normalise": "min_max"}


@pytest.fixture
def growth():
    register_measure(GROWTH)
    yield
    unregister_measure(GROWTH.key)


def test_channel_classes_and_credit_ratings_alert_the_owners(seg, growth, english):
    world = seg.world
    with world.scope("a"):
        pharmacy, chain, dist1, dist2 = seg.institutions[-4:]
        start = world.tenants["a"].today() - dt.timedelta(days=5)
        nodes = world.nodes["a"]
        for inst, node in ((pharmacy, "t1"), (chain, "t2"), (dist1, "t3"), (dist2, "t1")):
            align(customer=inst, territory=nodes[node], product_line=seg.line, start_date=start)
        for inst, potential in ((pharmacy, 100), (chain, 500), (dist1, 1000), (dist2, 0)):
            Institution.objects.filter(pk=inst.pk).update(potential=potential)
        rule_save(kind="institution", purpose="channel_class", definition=CHANNEL, by=seg.member())
        rule_save(kind="institution", purpose="credit_rating", definition=CHANNEL, by=seg.member())
        first = recompute_now(purpose="channel")
        classes = dict(CustomerTier.objects.filter(purpose="channel_class").values_list("institution_id", "tier"))
        ratings = dict(CustomerTier.objects.filter(purpose="credit_rating").values_list("institution_id", "tier"))
        # min-max over pharmacy 100, chain 500, distributors 1000 and 0: 10, 50, 100, 0
        assert classes == {pharmacy.pk: "C", chain.pk: "B", dist1.pk: "A", dist2.pk: "D"}
        assert ratings == {dist1.pk: "A", dist2.pk: "D"}  # distributors only: 100 and 0
        assert first.tier_changes == 6 and not Notification.objects.filter(kind__startswith="segmentation").exists()
        hospital_rows = CustomerTier.objects.filter(purpose="channel_class").exclude(
            institution__in=[pharmacy, chain, dist1, dist2])
        assert not hospital_rows.exists()

        # the chain falls behind, the pharmacy grows: the pharmacy's rep (t1), the manager above
        # the vacant t2 (the chain), nobody for the unchanged distributors
        Institution.objects.filter(pk=chain.pk).update(potential=50)
        Institution.objects.filter(pk=pharmacy.pk).update(potential=950)
        run = recompute_now(purpose="channel")
        assert {(c.institution_id, c.from_tier, c.to_tier) for c in TierChange.objects.filter(run=run)} == {
            (pharmacy.pk, "C", "A"), (chain.pk, "B", "D")}
        notes = {n.recipient_id: n for n in Notification.objects.filter(kind="segmentation.channel_class")}
        rep, manager = world.users["a"]["rep"].membership_row, world.users["a"]["manager"].membership_row
        assert set(notes) == {rep.pk, manager.pk}
        assert "1 of your channel customers" in notes[rep.pk].title and pharmacy.name in notes[rep.pk].body
        assert "C → A" in notes[rep.pk].body and chain.name in notes[manager.pk].body
        assert run.counts["channel_class:institution"]["notified"] == 2
        assert SegmentationRun.objects.filter(purpose="channel", status="succeeded").count() == 2

        # a rating pinned by hand is not moved by the next run (and is told like a pin: not at all)
        tier_pin(customer=dist2, purpose="credit_rating", tier="B", reason="担保到位", by=seg.member())
        Institution.objects.filter(pk=dist2.pk).update(potential=5)
        recompute_now(purpose="channel")
        assert CustomerTier.objects.get(purpose="credit_rating", institution=dist2).tier == "B"
