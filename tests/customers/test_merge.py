"""Merging two records moves every reference to the survivor (alignments, affiliations, KOL
links, HCPs and departments of an institution, supply relations, stage changes, change
requests, references registered by later apps), one set-based UPDATE each; rows that would
collide stay behind; undo puts back exactly what moved (compared as whole snapshots).
Refused: across kinds, into itself, an already merged record."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction

from customers import registry
from customers.models import (
    Affiliation,
    Alignment,
    ChangeRequest,
    Department,
    DuplicateCandidate,
    Hcp,
    Institution,
    KolLink,
    Merge,
    StageChange,
    SupplyRelation,
)
from customers.services.alignment import align
from customers.services.duplicates import find_for
from customers.services.lifecycle import stage_change
from customers.services.merge import merge, merges_into, undo_merge
from sfe.core.models import AuditEvent
from tests.approvals.conftest import member
from tests.customers.factories import make_hcp, make_institution

# --------------------------------------------------------------------------- a reference of a "later app"


@pytest.fixture
def visits():
    """A later app's table with a foreign key to HCPs (one visit per HCP and day), registered
    as a merge reference: a temporary table behind an unmanaged model, gone after the test."""

    class Visit(models.Model):
        tenant_id = models.BigIntegerField()
        hcp = models.ForeignKey(Hcp, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+")
        day = models.DateField()

        class Meta:
            app_label = "customers"
            managed = False
            db_table = "merge_test_visit"

        def __str__(self) -> str:
            return f"visit {self.day}"

    ref = registry.Reference(model="customers.Visit", field="hcp", kind="hcp", unique_with=("day",))
    registry.register_reference(ref)
    try:
        yield Visit
    finally:
        registry._references.pop((ref.model, ref.field), None)
        apps.all_models["customers"].pop("visit", None)
        apps.clear_cache()


def _create_visits_table():
    with connection.cursor() as cur:
        cur.execute("CREATE TEMP TABLE merge_test_visit (id bigserial PRIMARY KEY, tenant_id bigint NOT NULL, "
                    "hcp_id bigint NOT NULL, day date NOT NULL, UNIQUE (hcp_id, day)) ON COMMIT DROP")


# --------------------------------------------------------------------------- snapshots


TABLES = {
    "customers_hcp": ("institution_id", "department_id", "status", "merged_into_id", "external_code", "email", "phone",
                      "is_kol", "title"),
    "customers_institution": ("status", "merged_into_id", "external_code", "national_code", "grade", "beds"),
    "customers_alignment": ("hcp_id", "institution_id", "territory_id", "start_date", "end_date"),
    "customers_affiliation": ("hcp_id", "institution_id", "department_id", "role"),
    "customers_kollink": ("source_id", "target_id", "kind"),
    "customers_department": ("institution_id", "name"),
    "customers_supplyrelation": ("supplier_id", "customer_id"),
    "customers_stagechange": ("hcp_id", "institution_id"),
    "customers_changerequest": ("hcp_id", "institution_id"),
    "customers_duplicatecandidate": ("state", "resolved_by_id"),
}


def snapshot(extra_tables=()) -> dict:
    out = {}
    with connection.cursor() as cur:
        for table, cols in [*TABLES.items(), *extra_tables]:
            cur.execute(f"SELECT id, {', '.join(cols)} FROM {table} ORDER BY id")
            out[table] = {r[0]: r[1:] for r in cur.fetchall()}
    return out


def diff(a: dict, b: dict) -> dict:
    return {t: {i: (a[t].get(i), b[t].get(i)) for i in set(a[t]) | set(b[t]) if a[t].get(i) != b[t].get(i)}
            for t in a if a[t] != b[t]}


# --------------------------------------------------------------------------- HCPs


def test_merging_hcps_moves_every_reference_and_undo_restores_exactly(world, customers, visits):
    steward = member(world, "data_steward")
    nodes = world.nodes["a"]
    start = world.tenants["a"].today() - dt.timedelta(days=10)
    with world.scope("a"), transaction.atomic():
        _create_visits_table()
        survivor = Hcp.objects.get(pk=customers.zw.pk)  # 张伟 at i1, phone 13800138000, no e-mail
        dup = make_hcp("张玮", institution=customers.i1, phone="13800138000", email="zw@example.cn",
                       external_code="D777", is_kol="yes")
        # Alignments: the survivor holds t2; the duplicate t2 (overlaps: stays) and t1 (moves).
        align(customer=survivor, territory=nodes["t2"], product_line=customers.line, start_date=start)
        overlapping = align(customer=dup, territory=nodes["t2"], product_line=customers.line, start_date=start)
        moving = align(customer=dup, territory=nodes["t1"], product_line=customers.line, start_date=start)
        affiliation = Affiliation.objects.create(hcp=dup, institution=customers.i2, role="客座专家")
        h1, h3 = Hcp.objects.get(pk=customers.h1.pk), Hcp.objects.get(pk=customers.h3.pk)
        KolLink.objects.create(source=survivor, target=h1, kind="mentor")
        same_link = KolLink.objects.create(source=dup, target=h1, kind="mentor")  # repeats one: stays
        out_link = KolLink.objects.create(source=dup, target=h3, kind="influences")
        in_link = KolLink.objects.create(source=h1, target=dup, kind="peer")
        self_link = KolLink.objects.create(source=survivor, target=dup, kind="peer")  # would be a self-link: stays
        stage_change(record=dup, stage="developing", reason="首次拜访", by=steward)
        dcr = ChangeRequest.objects.create(kind="edit", hcp=dup, proposed={"title": "attending"}, before={},
                                           reason="x", requested_by=member(world, "rep"))
        (pair,) = [c for c in find_for(dup) if survivor.pk in (c.hcp_a_id, c.hcp_b_id)]
        visits.objects.bulk_create([visits(tenant_id=world.tenants["a"].pk, hcp=survivor, day=start),
                                    visits(tenant_id=world.tenants["a"].pk, hcp=dup, day=start),  # same day: stays
                                    visits(tenant_id=world.tenants["a"].pk, hcp=dup, day=start + dt.timedelta(1))])
        probe = [("merge_test_visit", ("hcp_id", "day"))]
        before = snapshot(probe)

        done = merge(survivor=survivor, merged=dup, by=steward, reason="同一人，名字录错")
        assert set(diff(before, snapshot(probe))) == {
            "customers_hcp", "customers_alignment", "customers_affiliation", "customers_kollink", "customers_stagechange",
            "customers_changerequest", "customers_duplicatecandidate", "merge_test_visit"}
        survivor.refresh_from_db()
        dup.refresh_from_db()
        assert (dup.status, dup.merged_into_id, dup.external_code) == ("merged", survivor.pk, "")
        assert (survivor.email, survivor.external_code, survivor.is_kol) == ("zw@example.cn", "D777", True)
        assert done.survivor_filled == {"email": "zw@example.cn", "external_code": "D777", "is_kol": True}
        assert Alignment.objects.get(pk=moving.pk).hcp_id == survivor.pk
        assert Alignment.objects.get(pk=overlapping.pk).hcp_id == dup.pk
        assert Affiliation.objects.get(pk=affiliation.pk).hcp_id == survivor.pk
        assert KolLink.objects.get(pk=out_link.pk).source_id == survivor.pk
        assert KolLink.objects.get(pk=in_link.pk).target_id == survivor.pk
        assert KolLink.objects.get(pk=same_link.pk).source_id == dup.pk
        assert KolLink.objects.get(pk=self_link.pk).target_id == dup.pk
        assert StageChange.objects.filter(hcp=survivor).count() == 1 and not StageChange.objects.filter(hcp=dup).exists()
        assert ChangeRequest.objects.get(pk=dcr.pk).hcp_id == survivor.pk
        assert DuplicateCandidate.objects.get(pk=pair.pk).state == "merged"
        assert sorted(visits.objects.filter(hcp=survivor).values_list("day", flat=True)) == [
            start, start + dt.timedelta(1)]
        assert visits.objects.filter(hcp=dup).count() == 1
        steps = {(s["table"], s["column"]): s for s in done.moved["steps"]}
        assert steps[("customers_alignment", "hcp_id")]["ids"] == [moving.pk]
        assert steps[("customers_alignment", "hcp_id")]["kept"] == [overlapping.pk]
        assert ("merge_test_visit", "hcp_id") in steps
        assert list(merges_into(survivor)) == [done]
        # The merged record leaves the lists.
        assert not Hcp.objects.live().filter(pk=dup.pk).exists()

        undo_merge(merge=done, by=steward)
        after = snapshot(probe)
        assert diff(before, after) == {}
        done.refresh_from_db()
        assert done.undone_by_id == steward.pk and done.undone_at is not None


def test_merge_reason_is_in_the_audit_trail(world, customers):
    steward = member(world, "data_steward")
    with world.scope("a"), transaction.atomic():
        survivor, dup = Hcp.objects.get(pk=customers.h1.pk), Hcp.objects.get(pk=customers.h2.pk)
        merge(survivor=survivor, merged=dup, by=steward, reason="同一人")
        rows = AuditEvent.objects.filter(table_name="customers_hcp", row_id=dup.pk, action="U")
        assert list(rows.values_list("reason", flat=True)) == ["同一人"]
        moved = Alignment.objects.get(hcp=survivor, territory=world.nodes["a"]["t2"])
        assert AuditEvent.objects.filter(table_name="customers_alignment", row_id=moved.pk, action="U",
                                         reason="同一人").exists()


# --------------------------------------------------------------------------- institutions


def test_merging_institutions_moves_hcps_departments_supply_and_undo_restores_exactly(world, customers):
    steward = member(world, "data_steward")
    nodes = world.nodes["a"]
    start = world.tenants["a"].today() - dt.timedelta(days=10)
    with world.scope("a"), transaction.atomic():
        survivor = Institution.objects.get(pk=customers.i1.pk)  # aligned to t1; has 心内科 (张伟's)
        dup = make_institution("上海第一人民医院", external_code="H050", national_code="PDY1", beds="800")
        cardio = Department.objects.get(institution=survivor, name="心内科")
        a = make_hcp("甲医生", institution=dup, department="心内科")  # folded into the survivor's 心内科
        b = make_hcp("乙医生", institution=dup, department="肿瘤科")  # the department moves
        affiliation = Affiliation.objects.create(hcp=Hcp.objects.get(pk=customers.h1.pk), institution=dup,
                                                 department=a.department, role="会诊")
        overlapping = align(customer=dup, territory=nodes["t1"], product_line=customers.line, start_date=start)
        moving = align(customer=dup, territory=nodes["t2"], product_line=customers.line, start_date=start)
        distributor = make_institution("国药控股上海", kind="distributor", external_code="H060")
        into_dup = SupplyRelation.objects.create(supplier=distributor, customer=dup)
        from_dup = SupplyRelation.objects.create(supplier=dup, customer=Institution.objects.get(pk=customers.i2.pk))
        self_supply = SupplyRelation.objects.create(supplier=survivor, customer=dup)  # would be self: stays
        before = snapshot()

        done = merge(survivor=survivor, merged=dup, by=steward, reason="同一家医院")
        assert set(diff(before, snapshot())) == {
            "customers_hcp", "customers_institution", "customers_alignment", "customers_affiliation",
            "customers_department", "customers_supplyrelation"}
        a.refresh_from_db()
        b.refresh_from_db()
        assert (a.institution_id, a.department_id) == (survivor.pk, cardio.pk)
        assert b.institution_id == survivor.pk and b.department.institution_id == survivor.pk
        assert Affiliation.objects.get(pk=affiliation.pk).institution_id == survivor.pk
        assert Affiliation.objects.get(pk=affiliation.pk).department_id == cardio.pk
        assert Alignment.objects.get(pk=moving.pk).institution_id == survivor.pk
        assert Alignment.objects.get(pk=overlapping.pk).institution_id == dup.pk
        assert SupplyRelation.objects.get(pk=into_dup.pk).customer_id == survivor.pk
        assert SupplyRelation.objects.get(pk=from_dup.pk).supplier_id == survivor.pk
        assert SupplyRelation.objects.get(pk=self_supply.pk).customer_id == dup.pk
        survivor.refresh_from_db()
        assert (survivor.national_code, survivor.beds) == ("PDY1", 800)  # filled; its external code was not empty
        assert Institution.objects.get(pk=dup.pk).external_code == "H050"

        undo_merge(merge=done, by=steward)
        assert diff(before, snapshot()) == {}


def test_undo_moves_back_only_rows_still_on_the_survivor(world, customers):
    steward = member(world, "data_steward")
    with world.scope("a"), transaction.atomic():
        survivor = Institution.objects.get(pk=customers.i1.pk)
        dup = make_institution("上海第一人民医院", external_code="H050")
        doctor = make_hcp("甲医生", institution=dup, department="")
        done = merge(survivor=survivor, merged=dup, by=steward)
        # Meanwhile the doctor moved to another hospital: undo leaves that alone.
        Hcp.objects.filter(pk=doctor.pk).update(institution=customers.i2)
        undo_merge(merge=done, by=steward)
        assert Hcp.objects.get(pk=doctor.pk).institution_id == customers.i2.pk
        assert Institution.objects.get(pk=dup.pk).status == "active"


# --------------------------------------------------------------------------- refusals


def test_merges_that_make_no_sense_are_refused(world, customers):
    steward = member(world, "data_steward")
    with world.scope("a"), transaction.atomic():
        h1, h2, h3 = (Hcp.objects.get(pk=h.pk) for h in (customers.h1, customers.h2, customers.h3))
        i1 = Institution.objects.get(pk=customers.i1.pk)
        with pytest.raises(ValidationError, match="two HCPs or two institutions"):
            merge(survivor=h1, merged=i1, by=steward)
        with pytest.raises(ValidationError, match="into itself"):
            merge(survivor=h1, merged=h1, by=steward)
        done = merge(survivor=h1, merged=h2, by=steward)
        with pytest.raises(ValidationError, match="already merged"):
            merge(survivor=h3, merged=h2, by=steward)
        with pytest.raises(ValidationError, match="merge into that one"):
            merge(survivor=h2, merged=h3, by=steward)
        # Undo once; a second undo is refused. A survivor merged since must be undone first.
        later = merge(survivor=h3, merged=h1, by=steward)
        with pytest.raises(ValidationError, match="undo that merge first"):
            undo_merge(merge=done, by=steward)
        undo_merge(merge=later, by=steward)
        undo_merge(merge=done, by=steward)
        with pytest.raises(ValidationError, match="already undone"):
            undo_merge(merge=done, by=steward)
        assert Merge.objects.count() == 2
        assert set(Hcp.objects.filter(pk__in=[h1.pk, h2.pk, h3.pk]).values_list("status", flat=True)) == {"active"}


def test_another_tenant_cannot_merge_tenant_a_records(world, customers):
    with world.scope("b"), transaction.atomic():
        assert not Hcp.objects.filter(pk__in=[customers.h1.pk, customers.h2.pk]).exists()
        b_hcp = Hcp.objects.get(pk=customers.b_hcp.pk)
        with pytest.raises(ValidationError, match="does not exist"):
            merge(survivor=b_hcp, merged=customers.h1, by=member(world, "admin", "b"))


pytestmark = pytest.mark.usefixtures("english")
