"""Duplicate detection on real rows: on create (``find_for``) and by the nightly set-based
scan — same name at the same institution, similar names by trigram (张伟 / 张玮 are both
"zhangwei"), same phone, same or similar institution names in a city, same national code;
pairs stored once (a < b), dismissed pairs stay dismissed; tenants never mix; the nightly
task on a real Celery worker."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from customers.models import DuplicateCandidate, Hcp, Institution
from customers.services import duplicates
from customers.services.duplicates import duplicate_dismiss, find_for, open_candidates, scan_tenant
from tests.approvals.conftest import member
from tests.customers.factories import make_hcp, make_institution
from tests.helpers import assert_max_queries, index_leading_columns

Reason = DuplicateCandidate.Reason


def pairs(world, key="a") -> dict[frozenset, DuplicateCandidate]:
    with world.scope(key), transaction.atomic():
        out = {}
        for c in DuplicateCandidate.objects.select_related("hcp_a", "hcp_b", "institution_a", "institution_b"):
            a, b = c.pair
            assert a.pk < b.pk
            out[frozenset((a.name, b.name))] = c
        return out


def test_find_for_a_new_hcp_same_name_similar_name_same_phone(world, customers):
    with world.scope("a"), transaction.atomic():
        typo = make_hcp("张玮", institution=customers.i1, department="心内科")  # zw is 张伟 at i1
        found = find_for(typo)
        assert [(c.hcp_a_id, c.hcp_b_id, c.reasons) for c in found] == [
            (customers.zw.pk, typo.pk, [Reason.SIMILAR_NAME])]
        assert 0.85 < found[0].score <= 0.9  # same pinyin: 0.9 × 1.0
        twin = make_hcp("张伟", institution=customers.i1, phone="13800138000")
        found = find_for(twin)
        by_other = {(c.hcp_a_id if c.hcp_b_id == twin.pk else c.hcp_b_id): c for c in found}
        assert set(by_other) == {customers.zw.pk, typo.pk}
        assert by_other[customers.zw.pk].reasons == [Reason.SAME_NAME_INSTITUTION, Reason.SAME_PHONE]
        assert by_other[customers.zw.pk].score == 1.0
        elsewhere = make_hcp("李四", institution=customers.i2, phone="13800138000")
        assert {tuple(c.reasons) for c in find_for(elsewhere)} == {(Reason.SAME_PHONE,)}
        unrelated = make_hcp("赵六", institution=customers.i1)
        assert find_for(unrelated) == []
        # Calling it again records nothing twice.
        before = DuplicateCandidate.objects.count()
        find_for(twin)
        assert DuplicateCandidate.objects.count() == before


def test_a_switchboard_number_is_not_a_signal(world, customers):
    with world.scope("a"), transaction.atomic():
        people = [make_hcp(name, institution=customers.i2, department="", phone="13900000000")
                  for name in ("赵一", "钱二", "孙三", "李四", "周五", "吴六", "郑七")]
        assert find_for(people[-1]) == []


def test_find_for_a_new_institution(world, customers):
    with world.scope("a"), transaction.atomic():
        # The same name once the city is taken off: 上海市第一人民医院 (i1) = 上海第一人民医院.
        inst = make_institution("上海第一人民医院", external_code="H010", national_code="PDY123")
        found = find_for(inst)
        assert [(c.institution_a_id, c.reasons) for c in found] == [(customers.i1.pk, [Reason.SAME_NAME_CITY])]
        similar = make_institution("复旦大学附属中山医院门诊", external_code="H013")  # i2 + 门诊: 0.71
        found = find_for(similar)
        assert [(c.institution_a_id, c.reasons) for c in found] == [(customers.i2.pk, [Reason.SIMILAR_NAME])]
        assert find_for(make_institution("上海市第六人民医院", external_code="H014")) == []  # 第一 / 第六: 0.4
        same_code = make_institution("浦东某某门诊部", kind="clinic", national_code="PDY123", external_code="H011")
        assert [c.reasons for c in find_for(same_code)] == [[Reason.SAME_EXTERNAL_CODE]]
        other_city = make_institution("上海市第一人民医院", city="苏州市", province="江苏省", external_code="H012")
        assert find_for(other_city) == []


def test_the_single_record_checks_read_through_tenant_leading_indexes(world, customers):
    """EXPLAIN with sequential scans off: every read of the customer tables is an index
    scan on an index led by tenant_id (at scale the planner picks the trigram GIN indexes
    ``inst_tenant_name_trgm`` / ``inst_tenant_pinyin_trgm`` for ``%``; see the report in
    ``customers/services/duplicates.py``)."""
    with world.scope("a"), transaction.atomic():
        hcp = Hcp.objects.get(pk=customers.zw.pk)
        params = {**duplicates._PARAMS, "t": world.tenants["a"].pk}
        with connection.cursor() as cur:
            cur.execute("SET LOCAL enable_seqscan = off")
            for sql, extra in ((duplicates.INSTITUTION_FIND, {"id": customers.i1.pk, "kind": "institution",
                                                              "name": customers.i1.name,
                                                              "pinyin": customers.i1.name_pinyin}),
                               (duplicates.HCP_FIND, {"id": hcp.pk, "kind": "hcp"})):
                cur.execute("EXPLAIN (FORMAT JSON) " + sql, {**params, **extra})
                nodes = list(_nodes(cur.fetchone()[0][0]["Plan"]))
                reads = [n for n in nodes if n.get("Relation Name") in ("customers_hcp", "customers_institution")]
                assert reads and all(n["Node Type"] != "Seq Scan" for n in reads), reads
                indexes = {n["Index Name"] for r in reads for n in _nodes(r) if "Index Name" in n}
                # The record itself is one probe by id (the planner takes the primary key or
                # the (tenant_id, id) key, equal in cost); every search is tenant-led.
                probes = {n["Index Name"] for r in reads for n in _nodes(r)
                          if n.get("Index Name", "").endswith("_pkey") and n.get("Index Cond", "").startswith("(id = ")}
                searches = indexes - probes
                assert searches and all(index_leading_columns(i)[0] == "tenant_id" for i in searches), indexes
            cur.execute("SET LOCAL enable_seqscan = on")


def _nodes(plan):
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def _bulk_rows(world):
    """Rows made without the create hook: what the nightly scan must find on its own."""
    with world.scope("a"), transaction.atomic():
        make_hcp("张玮", institution=Institution.objects.get(pk=nightly_i1(world)), department="")
        make_hcp("王小明", institution=Institution.objects.get(name="无人医院"), phone="13800138000", external_code="D099")
        make_institution("复旦大学附属中山医院", external_code="H020")  # same name, same city as i2
        make_institution("北京协和医院", city="天津市", province="天津市", external_code="H021")  # other city
        DuplicateCandidate.objects.all().delete()  # whatever a create hook may have recorded


def nightly_i1(world):
    return Institution.objects.get(name="上海市第一人民医院").pk


def test_the_nightly_scan_finds_pairs_set_based_and_only_once(world, customers):
    _bulk_rows(world)
    with world.scope("a"), transaction.atomic():
        with assert_max_queries(5):  # savepoint, set_config, one INSERT … SELECT per kind, release
            found = scan_tenant()
    assert found == {"hcp": 2, "institution": 1}
    got = pairs(world)
    assert set(got) == {frozenset(("张伟", "张玮")), frozenset(("张伟", "王小明")),
                        frozenset(("复旦大学附属中山医院",))}
    assert got[frozenset(("张伟", "张玮"))].reasons == [Reason.SIMILAR_NAME]
    assert got[frozenset(("张伟", "王小明"))].reasons == [Reason.SAME_PHONE]
    assert got[frozenset(("复旦大学附属中山医院",))].reasons == [Reason.SAME_NAME_CITY]
    # A second run adds nothing; a dismissed pair is not brought back.
    with world.scope("a"), transaction.atomic():
        duplicate_dismiss(candidate=got[frozenset(("张伟", "王小明"))], by=member(world, "data_steward"))
        assert scan_tenant() == {"hcp": 0, "institution": 0}
        assert DuplicateCandidate.objects.get(pk=got[frozenset(("张伟", "王小明"))].pk).state == "dismissed"
        assert open_candidates().count() == 2
        assert open_candidates("institution").count() == 1


def test_the_scan_never_pairs_across_tenants(world, customers):
    # Tenant B has a 张伟 with A's external code D001 and an institution with A's code H001.
    with world.scope("b"), transaction.atomic():
        assert scan_tenant() == {"hcp": 0, "institution": 0}
    with world.scope("a"), transaction.atomic():
        scan_tenant()
        ids = set(DuplicateCandidate.objects.values_list("hcp_a_id", "hcp_b_id"))
    assert all(customers.b_hcp.pk not in pair for pair in ids)
    with world.scope("b"), transaction.atomic():
        assert not DuplicateCandidate.objects.exists()


def test_merged_records_leave_the_scan_and_the_queue(world, customers):
    from customers.services.merge import merge

    _bulk_rows(world)
    with world.scope("a"), transaction.atomic():
        scan_tenant()
        typo = Hcp.objects.get(name="张玮")
        merge(survivor=Hcp.objects.get(pk=customers.zw.pk), merged=typo, by=member(world, "data_steward"))
        assert not open_candidates().filter(hcp_b=typo).exists() and not open_candidates().filter(hcp_a=typo).exists()
        pair = DuplicateCandidate.objects.get(hcp_a=customers.zw, hcp_b=typo)
        assert pair.state == "merged"


def test_the_fan_out_enqueues_one_scan_per_active_tenant(world, monkeypatch):
    from customers.tasks import quality as tasks
    from sfe.core.tenancy import current_tenant_id
    from sfe.schedule import BEAT_SCHEDULE

    seen = []
    monkeypatch.setattr(tasks.scan_duplicates, "delay", lambda *a, **k: seen.append(current_tenant_id()))
    world.tenants["b"].is_active = False
    world.tenants["b"].save(update_fields=["is_active"])
    assert tasks.scan_duplicates_all_tenants() == 1
    assert seen == [world.tenants["a"].pk]
    assert BEAT_SCHEDULE["customers-scan-duplicates"]["task"] == "customers.scan_duplicates_all_tenants"


@pytest.mark.celery
def test_the_nightly_scan_runs_on_a_real_worker(tworld, tcustomers, celery_worker_proc):
    from customers.tasks import scan_duplicates

    _bulk_rows(tworld)
    with tworld.scope("a"):
        found = scan_duplicates.apply_async(queue=celery_worker_proc).get(timeout=60)
    assert found == {"hcp": 2, "institution": 1}
    assert frozenset(("张伟", "张玮")) in pairs(tworld)
    with tworld.scope("b"):
        assert scan_duplicates.apply_async(queue=celery_worker_proc).get(timeout=60) == {"hcp": 0, "institution": 0}


pytestmark = pytest.mark.usefixtures("english")
