"""Bulk realignment: the four methods build the right items, the preview's numbers, apply
(future dates, history, idempotence, concurrency), and the bulk align/unalign helpers."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from customers.models import Alignment, Hcp, Institution, RealignmentBatch, RealignmentItem
from customers.services.alignment import align
from customers.services.alignment_bulk import align_bulk, unalign_bulk
from customers.services.realignment import (
    item_counts,
    realignment_apply,
    realignment_by_geography,
    realignment_by_institution,
    realignment_by_rule,
    realignment_cancel,
    realignment_from_file,
    realignment_preview,
    territories_on,
)

from .factories import make_hcp, make_institution

pytestmark = pytest.mark.usefixtures("english")


def _admin(world):
    return world.users["a"]["admin"].membership_row


def _today(world):
    return world.tenants["a"].today()


def _items(batch) -> set[tuple]:
    """(customer name, from territory name, to territory name) of each item."""
    out = set()
    for it in RealignmentItem.objects.filter(batch=batch).select_related("institution", "hcp", "from_territory",
                                                                         "to_territory"):
        who = (it.institution or it.hcp).name
        out.add((who, it.from_territory.name if it.from_territory_id else None,
                 it.to_territory.name if it.to_territory_id else None))
    return out


@pytest.fixture
def example(world, customers):
    """Potentials and targets for the hand-made preview example (see test_preview_numbers)."""
    with world.scope("a"), transaction.atomic():
        for inst, p in ((customers.i1, 1000), (customers.i2, 2000), (customers.i3, 3000)):
            Institution.objects.filter(pk=inst.pk).update(potential=p)
        for hcp, p, target in ((customers.zw, 100, True), (customers.h1, 10, True), (customers.h2, 20, False),
                               (customers.h3, 30, True)):
            Hcp.objects.filter(pk=hcp.pk).update(potential=p, is_target=target)
    return customers


def _geo(world, c, *, day=None, territory="t3", **kw):
    return realignment_by_geography(name="上海 → 朝阳", product_line=c.line,
                                    effective_date=day or _today(world) + dt.timedelta(days=3),
                                    territory=world.nodes["a"][territory], province="上海市", by=_admin(world), **kw)


# --------------------------------------------------------------------------- the methods build the right items


def test_by_geography_moves_institutions_and_hcps_with_their_own_alignment(world, example):
    with world.scope("a"), transaction.atomic():
        batch = _geo(world, example)
        assert _items(batch) == {
            ("上海市第一人民医院", "浦东一区", "朝阳一区"),
            ("复旦大学附属中山医院", "浦西二区", "朝阳一区"),
            ("无人医院", None, "朝阳一区"),
            ("李娜", "浦东一区", "朝阳一区"),  # HCPs of Shanghai institutions with their own alignment
            ("王芳", "浦西二区", "朝阳一区"),
            # 刘洋 is at 朝阳一区 already: no item; 张伟 and 陈静 follow their institution
        }
        assert batch.summary["prepared"]["items"] == {"institutions": 3, "hcps": 2}
        assert batch.state == RealignmentBatch.State.DRAFT and batch.method == "geography"
        counts = item_counts(batch=batch)
        assert (counts["moves"], counts["joins"], counts["leaves"]) == (4, 1, 0)
        assert counts["following"] == 2  # 张伟 (i1) and 陈静 (无人医院)


def test_by_geography_city_narrows(world, example):
    with world.scope("a"), transaction.atomic():
        beijing = realignment_by_geography(product_line=example.line, effective_date=_today(world),
                                           territory=world.nodes["a"]["t1"], province="北京市", city="北京市",
                                           by=_admin(world))
        assert _items(beijing) == {("北京协和医院", "朝阳一区", "浦东一区")}
        assert "北京市" in beijing.name or beijing.name  # a default name is given


def test_by_institution(world, example):
    with world.scope("a"), transaction.atomic():
        batch = realignment_by_institution(product_line=example.line, effective_date=_today(world),
                                           territory=world.nodes["a"]["t2"], institutions=["H001", str(example.i3.code)],
                                           by=_admin(world))
        assert _items(batch) == {("上海市第一人民医院", "浦东一区", "浦西二区"), ("北京协和医院", "朝阳一区", "浦西二区")}


def test_by_institution_unknown_code_is_refused_by_name(world, example):
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            realignment_by_institution(product_line=example.line, effective_date=_today(world),
                                       territory=world.nodes["a"]["t2"], institutions=["H001", "NOPE"], by=_admin(world))
        assert "NOPE" in exc.value.message_dict["institutions"][0]
        assert not RealignmentBatch.objects.exists()


def test_by_rule_institution_level_makes_institution_items(world, example):
    with world.scope("a"), transaction.atomic():
        Institution.objects.filter(pk=example.i2.pk).update(grade="2A")
        batch = realignment_by_rule(product_line=example.line, effective_date=_today(world),
                                    territory=world.nodes["a"]["t3"], level="institution", kinds=["hospital"],
                                    grades=["3A"], province="上海市", by=_admin(world))
        assert _items(batch) == {("上海市第一人民医院", "浦东一区", "朝阳一区"), ("无人医院", None, "朝阳一区")}


def test_by_rule_hcp_level_makes_hcp_items(world, example):
    with world.scope("a"), transaction.atomic():
        Hcp.objects.filter(pk=example.h2.pk).update(specialty="oncology")
        Hcp.objects.filter(pk__in=[example.h1.pk, example.zw.pk]).update(tier="A")
        batch = realignment_by_rule(product_line=example.line, effective_date=_today(world),
                                    territory=world.nodes["a"]["t2"], level="hcp", specialties=["cardiology"],
                                    tiers=["A"], by=_admin(world))
        # 张伟 had no alignment of his own: he gets one; 李娜 leaves 浦东一区.
        assert _items(batch) == {("张伟", None, "浦西二区"), ("李娜", "浦东一区", "浦西二区")}


def test_rule_checks_its_fields(world, example):
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            realignment_by_rule(product_line=example.line, effective_date=_today(world),
                                territory=world.nodes["a"]["t2"], level="institution", specialties=["cardiology"],
                                by=_admin(world))
        assert "specialties" in exc.value.message_dict
        with pytest.raises(ValidationError) as exc:
            realignment_by_rule(product_line=example.line, effective_date=_today(world),
                                territory=world.nodes["a"]["t2"], level="institution", by=_admin(world))
        assert "kinds" in exc.value.message_dict


def test_from_file_add_move_drop(world, example):
    content = ("客户编码,类型,辖区,操作\n"
               "H001,institution,浦西二区,add\n"      # i1 keeps t1 and joins t2
               "D001,hcp,朝阳一区,move\n"             # h1: t1 → t3
               "D002,,,drop\n"                         # h2 leaves every territory
               "H003,institution,朝阳一区,move\n")     # already there: nothing
    with world.scope("a"), transaction.atomic():
        batch = realignment_from_file(product_line=example.line, effective_date=_today(world),
                                      file=content.encode("gb18030"), filename="moves.csv", by=_admin(world))
        assert _items(batch) == {("上海市第一人民医院", None, "浦西二区"), ("李娜", "浦东一区", "朝阳一区"),
                                 ("王芳", "浦西二区", None)}
        assert batch.criteria["rows"] == 4


def test_from_file_utf8_bom_without_header_by_territory_code(world, example):
    with world.scope("a"), transaction.atomic():
        from accounts.models import OrgNode

        OrgNode.objects.filter(pk=world.nodes["a"]["t2"].pk).update(external_code="SH-02")
        content = "\ufeffD001,hcp,sh-02,move\n".encode()
        batch = realignment_from_file(product_line=example.line, effective_date=_today(world), file=content,
                                      by=_admin(world))
        assert _items(batch) == {("李娜", "浦东一区", "浦西二区")}


def test_from_file_with_a_bad_row_is_refused_whole_with_the_row_number(world, example):
    content = ("code,kind,territory,action\n"
               "H001,institution,浦西二区,add\n"
               "D999,hcp,浦西二区,move\n"
               "D001,hcp,火星区,move\n"
               "D002,hcp,浦西二区,teleport\n"
               "D003,hcp,浦东一区,move\n"
               "D003,hcp,浦西二区,add\n")
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            realignment_from_file(product_line=example.line, effective_date=_today(world), file=content.encode(),
                                  by=_admin(world))
        messages = exc.value.message_dict["file"]
        text = "\n".join(messages)
        assert "Row 3: no HCP has the external code “D999”." in text
        assert "Row 4: no active territory has the code or name “火星区”." in text
        assert "Row 5: the action “teleport” is not add, move or drop." in text
        assert "Row 7: the customer is in row 6 too" in text
        assert "Row 2" not in text
        assert not RealignmentBatch.objects.exists()
        assert not RealignmentItem.objects.exists()


def test_from_file_refuses_excel_and_empty_files(world, example):
    with world.scope("a"), transaction.atomic():
        for data, words in ((b"PK\x03\x04rest", "Excel"), (b"  \n", "empty")):
            with pytest.raises(ValidationError) as exc:
                realignment_from_file(product_line=example.line, effective_date=_today(world), file=data,
                                      by=_admin(world))
            assert words in exc.value.message_dict["file"][0]


def test_past_effective_date_is_refused_naming_the_field(world, example):
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            _geo(world, example, day=_today(world) - dt.timedelta(days=1))
        assert list(exc.value.message_dict) == ["effective_date"]
        assert "past" in exc.value.message_dict["effective_date"][0]
        assert not RealignmentBatch.objects.exists()


def test_nothing_selected_is_refused(world, example):
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            realignment_by_geography(product_line=example.line, effective_date=_today(world),
                                     territory=world.nodes["a"]["t1"], province="西藏自治区", by=_admin(world))
        assert "province" in exc.value.message_dict
        assert not RealignmentBatch.objects.exists()


def test_a_district_is_not_a_territory(world, example):
    with world.scope("a"), transaction.atomic():
        with pytest.raises(ValidationError) as exc:
            _geo(world, example, territory="district")
        assert "territory" in exc.value.message_dict


# --------------------------------------------------------------------------- preview


def _row(preview, name):
    return next(r for r in preview if r.name == name)


def test_preview_numbers_on_a_hand_made_example(world, example):
    """Before, on the effective day: 浦东一区 serves i1 (1000) and, through it, 张伟 (target, 100),
    and 李娜 (target, 10) on her own; 浦西二区 serves i2 (2000) and 王芳 (20); 朝阳一区 serves i3
    (3000) and 刘洋 (target, 30). Shanghai moves to 朝阳一区: i1, i2 and 无人医院 (0) with it, and
    every Shanghai HCP — 张伟 and 陈静 follow their institutions, 李娜 and 王芳 have items."""
    with world.scope("a"), transaction.atomic():
        batch = _geo(world, example)
        preview = realignment_preview(batch=batch)
        assert [r.name for r in preview] == ["浦东一区", "浦西二区", "朝阳一区"]
        t1, t2, t3 = (_row(preview, n) for n in ("浦东一区", "浦西二区", "朝阳一区"))
        assert (t1.inst_before, t1.inst_gained, t1.inst_lost, t1.inst_after) == (1, 0, 1, 0)
        assert (t1.hcp_before, t1.hcp_gained, t1.hcp_lost, t1.hcp_after) == (2, 0, 2, 0)
        assert (t1.target_before, t1.target_gained, t1.target_lost, t1.target_after) == (2, 0, 2, 0)
        assert (t1.inst_potential_lost, t1.hcp_potential_lost, t1.potential_lost) == (1000, 110, 1110)
        assert (t2.inst_before, t2.inst_lost, t2.hcp_before, t2.hcp_lost, t2.target_lost) == (1, 1, 1, 1, 0)
        assert (t2.inst_potential_after, t2.hcp_potential_before, t2.hcp_potential_after) == (0, 20, 0)
        assert (t3.inst_before, t3.inst_gained, t3.inst_lost, t3.inst_after) == (1, 3, 0, 4)
        assert (t3.hcp_before, t3.hcp_gained, t3.hcp_lost, t3.hcp_after) == (1, 4, 0, 5)
        assert (t3.target_before, t3.target_gained, t3.target_after) == (1, 2, 3)
        assert t3.inst_potential_gained == Decimal("3000") and t3.inst_potential_after == Decimal("6000")
        assert t3.hcp_potential_gained == Decimal("130") and t3.hcp_potential_after == Decimal("160")


def test_preview_counts_an_hcp_with_own_alignment_leaving_the_institutions_territory(world, example):
    """张伟 gets an alignment of his own in 浦西二区: 浦东一区 (his institution's) loses him,
    though it is not in any item."""
    with world.scope("a"), transaction.atomic():
        Hcp.objects.filter(pk=example.zw.pk).update(external_code="D100")
        batch = realignment_from_file(product_line=example.line, effective_date=_today(world),
                                      file="D100,浦西二区,add\n".encode(), by=_admin(world))
        preview = realignment_preview(batch=batch)
        assert [r.name for r in preview] == ["浦东一区", "浦西二区"]
        t1, t2 = preview
        assert (t1.hcp_before, t1.hcp_lost, t1.target_lost, t1.hcp_after) == (2, 1, 1, 1)
        assert (t2.hcp_before, t2.hcp_gained, t2.target_gained, t2.hcp_after) == (1, 1, 1, 2)
        assert t1.inst_lost == t2.inst_gained == 0


# --------------------------------------------------------------------------- apply


def _visible(model, user, on=None):
    return set(model.objects.visible_to(user, on=on).values_list("name", flat=True))


def test_apply_with_a_future_date_changes_visibility_from_that_day(world, example):
    rep, rep2 = world.users["a"]["rep"], world.users["a"]["rep2"]
    today = _today(world)
    day = today + dt.timedelta(days=3)
    with world.scope("a"), transaction.atomic():
        batch = _geo(world, example, day=day)
        batch, applied = realignment_apply(batch=batch, by=_admin(world))
        assert applied and batch.state == RealignmentBatch.State.APPLIED
        assert batch.summary["applied"] == {"ended": 4, "deleted": 0, "created": 5}
        # Today nothing changed for anyone.
        assert _visible(Hcp, rep) == {"李娜", "张伟"}
        assert _visible(Institution, rep) == {"上海市第一人民医院"}
        assert _visible(Hcp, rep2) == {"刘洋"}
        # The day before, still the same; from the effective date the Shanghai customers are rep2's.
        assert _visible(Hcp, rep, on=day - dt.timedelta(days=1)) == {"李娜", "张伟"}
        assert _visible(Hcp, rep, on=day) == set()
        assert _visible(Hcp, rep2, on=day) == {"李娜", "张伟", "王芳", "刘洋", "陈静"}
        assert _visible(Institution, rep2, on=day) == {"上海市第一人民医院", "复旦大学附属中山医院", "北京协和医院", "无人医院"}
        new = Alignment.objects.filter(batch=batch)
        assert new.count() == 5 and set(new.values_list("source", flat=True)) == {"realignment"}
        assert set(new.values_list("start_date", flat=True)) == {day}


def test_history_stays_credited_to_the_territory_of_its_time(world, example):
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        realignment_apply(batch=_geo(world, example, day=today), by=_admin(world))
        i1 = Institution.objects.get(pk=example.i1.pk)
        assert [n.name for n in territories_on(i1, today - dt.timedelta(days=2))] == ["浦东一区"]
        assert [n.name for n in territories_on(i1, today)] == ["朝阳一区"]
        assert [n.name for n in territories_on(i1, today, product_line=example.line)] == ["朝阳一区"]
        # 张伟 has no alignment of his own: he follows i1 on each day.
        zw = Hcp.objects.get(pk=example.zw.pk)
        assert [n.name for n in territories_on(zw, today - dt.timedelta(days=2))] == ["浦东一区"]
        assert [n.name for n in territories_on(zw, today)] == ["朝阳一区"]
        old = Alignment.objects.get(institution=i1, territory=world.nodes["a"]["t1"])
        assert old.end_date == today - dt.timedelta(days=1)
        # The applied batch keeps the preview it was applied with.
        batch = RealignmentBatch.objects.get()
        assert _row(realignment_preview(batch=batch), "朝阳一区").inst_gained == 3


def test_apply_is_idempotent_and_a_batch_that_changes_nothing_changes_nothing(world, example):
    with world.scope("a"), transaction.atomic():
        batch = _geo(world, example)
        realignment_apply(batch=batch, by=_admin(world))
        before = sorted(Alignment.objects.values_list("id", "territory_id", "start_date", "end_date"))
        batch, applied = realignment_apply(batch=batch, by=_admin(world))
        assert not applied
        assert sorted(Alignment.objects.values_list("id", "territory_id", "start_date", "end_date")) == before
        again = _geo(world, example)  # the same move prepared again: everything is in place
        assert item_counts(batch=again)["total"] == 0
        again, applied = realignment_apply(batch=again, by=_admin(world))
        assert applied and again.summary["applied"] == {"ended": 0, "deleted": 0, "created": 0}
        assert sorted(Alignment.objects.values_list("id", "territory_id", "start_date", "end_date")) == before


def test_apply_deletes_an_alignment_starting_on_or_after_the_effective_date(world, example):
    today = _today(world)
    day = today + dt.timedelta(days=3)
    with world.scope("a"), transaction.atomic():
        future = align(customer=example.i1, territory=world.nodes["a"]["t2"], product_line=example.line,
                       start_date=day + dt.timedelta(days=5))
        batch = realignment_by_institution(product_line=example.line, effective_date=day,
                                           territory=world.nodes["a"]["t3"], institutions=[example.i1],
                                           by=_admin(world))
        assert _items(batch) == {("上海市第一人民医院", "浦东一区", "朝阳一区"), ("上海市第一人民医院", "浦西二区", None)}
        batch, _ = realignment_apply(batch=batch, by=_admin(world))
        assert batch.summary["applied"] == {"ended": 1, "deleted": 1, "created": 1}
        assert not Alignment.objects.filter(pk=future.pk).exists()


def test_a_join_before_a_later_alignment_to_the_same_territory_ends_the_day_before(world, example):
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        later = align(customer=example.i2, territory=world.nodes["a"]["t3"], product_line=example.line,
                      start_date=today + dt.timedelta(days=10))
        batch = realignment_by_institution(product_line=example.line, effective_date=today + dt.timedelta(days=2),
                                           territory=world.nodes["a"]["t3"], institutions=[example.i2],
                                           by=_admin(world))
        realignment_apply(batch=batch, by=_admin(world))
        new = Alignment.objects.get(batch=batch)
        assert (new.start_date, new.end_date) == (today + dt.timedelta(days=2), today + dt.timedelta(days=9))
        assert Alignment.objects.filter(pk=later.pk).exists()


def test_apply_refuses_a_cancelled_batch_and_a_date_now_past(world, example):
    with world.scope("a"), transaction.atomic():
        batch = _geo(world, example)
        assert realignment_cancel(batch=batch, by=_admin(world))
        with pytest.raises(ValidationError) as exc:
            realignment_apply(batch=batch, by=_admin(world))
        assert "state" in exc.value.message_dict
        other = _geo(world, example)
        RealignmentBatch.objects.filter(pk=other.pk).update(effective_date=_today(world) - dt.timedelta(days=1))
        with pytest.raises(ValidationError) as exc:
            realignment_apply(batch=other, by=_admin(world))
        assert "effective_date" in exc.value.message_dict
        assert not Alignment.objects.filter(source="realignment").exists()


def test_cancel_an_applied_batch_is_refused(world, example):
    with world.scope("a"), transaction.atomic():
        batch, _ = realignment_apply(batch=_geo(world, example), by=_admin(world))
        with pytest.raises(ValidationError):
            realignment_cancel(batch=batch, by=_admin(world))
        batch.refresh_from_db()
        assert batch.state == RealignmentBatch.State.APPLIED


@pytest.mark.django_db(transaction=True)
def test_two_applies_at_the_same_moment_apply_once(tworld, tcustomers):
    world = tworld
    with world.scope("a"), transaction.atomic():
        batch = _geo(world, tcustomers)
    barrier = threading.Barrier(2)
    results: list[bool] = []

    def act():
        try:
            with world.scope("a"), transaction.atomic():
                barrier.wait(timeout=10)
                _b, applied = realignment_apply(batch=batch, by=_admin(world))
            results.append(applied)
        finally:
            connection.close()

    threads = [threading.Thread(target=act) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results) == [False, True]
    with world.scope("a"), transaction.atomic():
        assert Alignment.objects.filter(batch=batch).count() == 5


# --------------------------------------------------------------------------- bulk align / unalign


def test_align_bulk_skips_those_already_aligned_and_merged_records(world, example):
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        t1 = world.nodes["a"]["t1"]
        ids = [example.h1.pk, example.h2.pk, example.unaligned.pk]
        n = align_bulk(model=Hcp, ids=ids, territory=t1, product_line=example.line, start_date=today, by=_admin(world))
        assert n == 2  # 李娜 is in 浦东一区 already
        assert align_bulk(model=Hcp, ids=ids, territory=t1, product_line=example.line, start_date=today,
                          by=_admin(world)) == 0
        assert Alignment.objects.filter(hcp_id__in=ids, territory=t1).count() == 3
        with pytest.raises(ValidationError) as exc:
            align_bulk(model=Hcp, ids=ids, territory=world.nodes["a"]["district"], product_line=example.line,
                       start_date=today, by=_admin(world))
        assert "territory" in exc.value.message_dict


def test_unalign_bulk_ends_and_removes(world, example):
    today = _today(world)
    with world.scope("a"), transaction.atomic():
        t1 = world.nodes["a"]["t1"]
        extra = make_institution("浦东新区人民医院", external_code="H010")
        align(customer=extra, territory=t1, product_line=example.line, start_date=today + dt.timedelta(days=5))
        n = unalign_bulk(model=Institution, ids=[example.i1.pk, extra.pk, example.i2.pk], territory=t1,
                         product_line=example.line, end_date=today, by=_admin(world))
        assert n == 2
        assert Alignment.objects.get(institution=example.i1, territory=t1).end_date == today
        assert not Alignment.objects.filter(institution=extra).exists()


def test_items_are_built_set_based(world, example):
    """Preparing a batch of many customers is a fixed number of queries."""
    from tests.helpers import count_queries

    with world.scope("a"), transaction.atomic():
        small = count_queries(lambda: _geo(world, example))
        loose = Institution.objects.get(external_code="H009")
        for n in range(30):
            inst = make_institution(f"上海测试医院{n}", external_code=f"X{n:03d}")
            hcp = make_hcp(f"测试医生{n}", institution=loose, external_code=f"XD{n:03d}")
            align(customer=inst, territory=world.nodes["a"]["t1"], product_line=example.line,
                  start_date=_today(world))
            align(customer=hcp, territory=world.nodes["a"]["t2"], product_line=example.line,
                  start_date=_today(world))
        big = count_queries(lambda: _geo(world, example))
        assert big == small
        assert RealignmentItem.objects.filter(batch=RealignmentBatch.objects.order_by("-id").first()).count() == 65


def test_hot_queries_use_tenant_leading_indexes(world, example):
    from tests.helpers import assert_uses_tenant_index

    with world.scope("a"), transaction.atomic():
        batch = _geo(world, example)
        # Either the (tenant, batch) index or the (tenant, id) key, whichever the planner
        # prefers for this small table: both lead with the tenant (the helper checks that).
        assert set(assert_uses_tenant_index(RealignmentItem.objects.filter(batch=batch).order_by("id")[:51])) & {
            "realignitem_tenant_batch", "customers_realignmentitem_tenant_id_key"}
        assert_uses_tenant_index(RealignmentBatch.objects.filter(state="draft").order_by("-created_at")[:25])
        assert_uses_tenant_index(Alignment.objects.filter(hcp=example.h1).active_on(_today(world)))
