"""R8: target lists are saved segment filters, read within the reader's visibility, and can be
frozen as a snapshot that later changes do not move."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from customers.models import Hcp
from customers.segmentation import selectors
from customers.segmentation.models import CustomerTier, TargetListMember
from customers.segmentation.services import (
    recompute_now,
    rule_save,
    target_list_create,
    target_list_delete,
    target_list_freeze,
    target_list_unfreeze,
    target_list_update,
)
from tests.customers.factories import make_customers_a
from tests.helpers import assert_max_queries

from .conftest import MATRIX


def test_a_live_list_is_its_filter_within_what_the_reader_sees(seg, english):
    world = seg.world
    with world.scope("a"):
        c = make_customers_a(world)  # h1 aligned to the rep's territory, h2 to t2, h3 to rep2's
        rule_save(kind="hcp", definition=MATRIX, product_line=seg.line, by=seg.member())
        recompute_now(product_line=seg.line)
        CustomerTier.objects.filter(hcp__in=[c.h1, c.h2, c.h3]).delete()
        for hcp in (c.h1, c.h2, c.h3):
            CustomerTier.objects.create(hcp=hcp, product_line=seg.line, tier="A", computed_tier="A",
                                        changed_at=hcp.created_at)
        tl = target_list_create(name="心内 A 级", kind="hcp", by=seg.member(),
                                filters={"product_line": str(seg.line.code), "tiers": ["A"],
                                         "specialties": ["cardiology"], "cities": []})
        assert tl.filters == {"product_line": str(seg.line.code), "tiers": ["A"], "specialties": ["cardiology"]}
        analyst = world.users["a"]["analyst"]
        analyst.membership = analyst.membership_row  # as the middleware sets it
        expected = set(CustomerTier.objects.filter(product_line=seg.line, tier="A").values_list("hcp_id", flat=True))
        expected &= set(Hcp.objects.filter(specialty="cardiology", status="active").exclude(stage="terminated")
                        .values_list("pk", flat=True))
        with assert_max_queries(1):
            members = set(selectors.target_list_members(tl, analyst).values_list("pk", flat=True))
        assert members == expected and {c.h1.pk, c.h2.pk, c.h3.pk} <= members
        assert set(selectors.target_list_members(tl, world.users["a"]["rep"]).values_list("pk", flat=True)) == {c.h1.pk}
        manager = set(selectors.target_list_members(tl, world.users["a"]["manager"]).values_list("pk", flat=True))
        assert manager == {c.h1.pk, c.h2.pk}

        # "none": customers without a tier in the line; filters of the institution
        CustomerTier.objects.filter(hcp=c.unaligned).delete()
        untiered = target_list_create(name="未分级", kind="hcp", by=seg.member(),
                                      filters={"product_line": str(seg.line.code), "tiers": ["none"],
                                               "provinces": ["上海市"]})
        got = set(selectors.target_list_members(untiered, analyst).values_list("pk", flat=True))
        assert got == {c.unaligned.pk}


def test_a_frozen_list_keeps_its_members(seg):
    world = seg.world
    analyst = world.users["a"]["analyst"]
    with world.scope("a"):
        tl = target_list_create(name="KOL", kind="hcp", filters={"kol": True}, by=seg.member())
        live = set(selectors.target_list_members(tl, analyst).values_list("pk", flat=True))
        assert live
        tl = target_list_freeze(target_list=tl, by=seg.member())
        assert tl.is_frozen and tl.member_count == len(live)
        Hcp.objects.filter(pk__in=live).update(is_kol=False)
        assert set(selectors.target_list_members(tl, analyst).values_list("pk", flat=True)) == live
        assert not selectors.target_list_live_members(tl, analyst).exists()
        with pytest.raises(ValidationError) as info:
            target_list_update(target_list=tl, by=seg.member(), filters={"kol": False})
        assert "filters" in info.value.message_dict
        tl = target_list_freeze(target_list=tl, by=seg.member())  # a new snapshot replaces the old
        assert tl.member_count == 0 and not TargetListMember.objects.filter(target_list=tl).exists()
        target_list_unfreeze(target_list=tl, by=seg.member())
        target_list_update(target_list=tl, by=seg.member(), filters={"kol": False, "stages": ["key"]}, name="重点")
        tl.refresh_from_db()
        assert tl.filters == {"kol": False, "stages": ["key"]} and tl.name == "重点"
        target_list_delete(target_list=tl, by=seg.member())
        assert not selectors.target_lists_for(analyst).exists()


@pytest.mark.parametrize(("kind", "filters", "field"), [
    ("hcp", {"tiers": ["E"]}, "filters.tiers"),
    ("hcp", {"specialties": ["dentistry"]}, "filters.specialties"),
    ("hcp", {"kinds": ["hospital"]}, "filters.kinds"),
    ("institution", {"kol": True}, "filters.kol"),
    ("hcp", {"product_line": "not-a-code"}, "filters.product_line"),
    ("hcp", "tier A please", "filters"),
])
def test_bad_filters_are_refused_naming_the_field(seg, kind, filters, field):
    with seg.world.scope("a"), pytest.raises(ValidationError) as info:
        target_list_create(name="x", kind=kind, filters=filters, by=seg.member())
    assert field in info.value.message_dict


def test_names_are_required_and_unique_and_other_tenants_lines_unknown(seg):
    with seg.world.scope("a"):
        target_list_create(name="A", kind="institution", filters={"kinds": ["hospital"]}, by=seg.member())
        with pytest.raises(ValidationError) as info:
            target_list_create(name="A", kind="hcp", filters={}, by=seg.member())
        assert "name" in info.value.message_dict
        with pytest.raises(ValidationError) as info:
            target_list_create(name=" ", kind="hcp", filters={}, by=seg.member())
        assert "name" in info.value.message_dict
        with pytest.raises(ValidationError) as info:
            target_list_create(name="B", kind="hcp", filters={"product_line": str(seg.b_line.code)}, by=seg.member())
        assert "filters.product_line" in info.value.message_dict
    with seg.world.scope("b"):
        assert not selectors.target_lists_for(seg.world.users["b"]["analyst"]).exists()
