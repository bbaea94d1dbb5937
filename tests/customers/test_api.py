"""``/api/v1/customers/``: lists, records, search and timelines — visibility per role,
tenant isolation (session and token), filters, pagination without an unbounded count,
flat query counts (real PostgreSQL, row-level security on)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.urls import reverse

from customers.api import CappedPagination
from customers.models import Hcp, Institution, Stage, Status
from customers.services.alignment import align
from customers.services.lifecycle import stage_change
from customers.services.records import record_set_active
from tests.api.test_api import assert_no_integer_ids, session_client, token_client
from tests.helpers import assert_max_queries, count_queries

from .factories import make_hcp, make_institution

HCPS = "api-customers-hcps-list"
INSTS = "api-customers-institutions-list"
SEARCH = "api-customers-search"

ALL_HCPS = {"张伟", "李娜", "王芳", "刘洋", "陈静"}
ALL_INSTS = {"上海市第一人民医院", "复旦大学附属中山医院", "北京协和医院", "无人医院"}


def hcp_url(code, what="detail"):
    return reverse(f"api-customers-hcps-{what}", kwargs={"code": code})


def inst_url(code, what="detail"):
    return reverse(f"api-customers-institutions-{what}", kwargs={"code": code})


def ok(response) -> dict:
    assert response.status_code == 200, response.content
    return response.json()


def names(response) -> set[str]:
    return {item["name"] for item in ok(response)["results"]}


# --------------------------------------------------------------------------- visibility


@pytest.mark.parametrize(("role", "hcps", "insts"), [
    ("rep", {"张伟", "李娜"}, {"上海市第一人民医院"}),
    ("rep2", {"刘洋"}, {"北京协和医院"}),
    ("manager", {"张伟", "李娜", "王芳"}, {"上海市第一人民医院", "复旦大学附属中山医院"}),
    ("analyst", ALL_HCPS, ALL_INSTS),
    ("admin", ALL_HCPS, ALL_INSTS),
    ("data_steward", ALL_HCPS, ALL_INSTS),
    ("finance", ALL_HCPS, ALL_INSTS),
])
def test_lists_show_what_the_role_sees(world, customers, role, hcps, insts):
    client = session_client(world.users["a"][role])
    assert names(client.get(reverse(HCPS))) == hcps
    assert names(client.get(reverse(INSTS))) == insts


@pytest.mark.parametrize(("role", "status"), [
    ("rep", 200), ("manager", 200), ("analyst", 200), ("admin", 200), ("data_steward", 200), ("finance", 200),
    ("rep2", 404),
])
def test_records_of_the_rep_are_404_for_who_does_not_see_them(world, customers, role, status):
    client = session_client(world.users["a"][role])
    for path in (hcp_url(customers.zw.code), hcp_url(customers.h1.code), hcp_url(customers.zw.code, "timeline"),
                 inst_url(customers.i1.code), inst_url(customers.i1.code, "timeline")):
        assert client.get(path).status_code == status, path


def test_manager_does_not_see_the_other_district_and_rep_not_the_neighbour(world, customers):
    manager = session_client(world.users["a"]["manager"])
    assert manager.get(hcp_url(customers.h3.code)).status_code == 404
    assert manager.get(inst_url(customers.i3.code)).status_code == 404
    rep = session_client(world.users["a"]["rep"])
    assert rep.get(hcp_url(customers.h2.code)).status_code == 404
    assert rep.get(inst_url(customers.i2.code)).status_code == 404
    assert rep.get(hcp_url(customers.unaligned.code)).status_code == 404


def test_analyst_opens_any_record(world, customers):
    client = token_client("analyst@a.test")
    for hcp in (customers.h1, customers.h2, customers.h3, customers.unaligned):
        assert client.get(hcp_url(hcp.code)).status_code == 200


# --------------------------------------------------------------------------- tenant isolation


def test_tenant_b_gets_404_for_tenant_a_codes_by_token_and_session(world, customers):
    for client in (token_client("admin@b.test"), session_client(world.users["b"]["admin"]),
                   token_client("rep@b.test")):
        for path in (hcp_url(customers.zw.code), hcp_url(customers.zw.code, "timeline"),
                     inst_url(customers.i1.code), inst_url(customers.i1.code, "timeline")):
            assert client.get(path).status_code == 404, path
        assert client.patch(hcp_url(customers.zw.code), {"name": "X"}, format="json").status_code in (403, 404)
        assert client.post(hcp_url(customers.zw.code, "stage"), {"stage": "key", "reason": "x"},
                           format="json").status_code == 404


def test_tenant_b_lists_and_search_hold_only_its_own_rows(world, customers):
    client = token_client("admin@b.test")
    hcps = ok(client.get(reverse(HCPS)))["results"]
    assert [(h["code"], h["name"]) for h in hcps] == [(str(customers.b_hcp.code), "张伟")]
    assert names(client.get(reverse(INSTS))) == {"乙方医院"}
    found = ok(client.get(reverse(SEARCH), {"q": "zw"}))
    assert [h["code"] for h in found["hcps"]] == [str(customers.b_hcp.code)]
    assert ok(client.get(hcp_url(customers.b_hcp.code)))["name"] == "张伟"


def test_tenant_a_never_sees_tenant_b_zhang_wei(world, customers):
    client = token_client("analyst@a.test")
    for response in (client.get(reverse(HCPS)), client.get(reverse(HCPS), {"q": "zw"})):
        codes = {h["code"] for h in ok(response)["results"]}
        assert str(customers.b_hcp.code) not in codes
    found = ok(client.get(reverse(SEARCH), {"q": "张伟"}))
    assert [h["code"] for h in found["hcps"]] == [str(customers.zw.code)]
    assert client.get(hcp_url(customers.b_hcp.code)).status_code == 404


# --------------------------------------------------------------------------- list items and details


def test_list_item_fields(world, customers, english):
    items = ok(session_client(world.users["a"]["rep"]).get(reverse(HCPS)))["results"]
    zw = next(i for i in items if i["name"] == "张伟")
    assert set(zw) == {"code", "name", "name_pinyin", "gender", "title", "specialty", "institution", "department",
                       "tier", "stage", "status", "is_kol", "is_target", "potential", "external_code", "updated_at"}
    assert zw["code"] == str(customers.zw.code)
    assert zw["name_pinyin"] == "zhangwei"
    assert zw["institution"] == {"code": str(customers.i1.code), "name": "上海市第一人民医院"}
    assert zw["department"] == "心内科"
    assert (zw["title"], zw["specialty"], zw["stage"], zw["status"]) == ("chief", "cardiology", "prospect", "active")
    assert_no_integer_ids(items, HCPS)
    insts = ok(session_client(world.users["a"]["rep"]).get(reverse(INSTS)))["results"]
    assert insts[0]["code"] == str(customers.i1.code)
    assert (insts[0]["kind"], insts[0]["grade"], insts[0]["city"]) == ("hospital", "3A", "上海市")
    assert_no_integer_ids(insts, INSTS)


def test_hcp_detail_has_affiliations_kol_links_and_alignments(world, customers):
    from customers.models import Affiliation, KolLink

    with world.scope("a"), transaction.atomic():
        Affiliation.objects.create(hcp=customers.zw, institution=customers.i2, role="客座专家")
        KolLink.objects.create(source=customers.zw, target=customers.h1, kind=KolLink.Kind.MENTOR)
        KolLink.objects.create(source=customers.h3, target=customers.zw, kind=KolLink.Kind.COAUTHOR)
        align(customer=customers.zw, territory=world.nodes["a"]["t2"], product_line=customers.line,
              start_date=world.tenants["a"].today())
    data = ok(session_client(world.users["a"]["rep"]).get(hcp_url(customers.zw.code)))
    assert data["phone"] == "13800138000"
    assert data["merged_into"] is None
    assert [(a["institution"]["name"], a["role"]) for a in data["affiliations"]] == [("复旦大学附属中山医院", "客座专家")]
    # The rep sees 李娜 (t1), not 刘洋 (t3): only the link to 李娜 is shown.
    assert [(k["kind"], k["direction"], k["hcp"]["name"]) for k in data["kol_links"]] == [("mentor", "out", "李娜")]
    assert [(a["territory"]["name"], a["product_line"]["name"]) for a in data["alignments"]] == [("浦西二区", "心血管")]
    assert_no_integer_ids(data, "hcp detail")
    # The analyst sees both links.
    data = ok(session_client(world.users["a"]["analyst"]).get(hcp_url(customers.zw.code)))
    assert {(k["direction"], k["hcp"]["name"]) for k in data["kol_links"]} == {("out", "李娜"), ("in", "刘洋")}


def test_institution_detail_has_departments_counts_network_and_alignments(world, customers):
    from customers.models import SupplyRelation

    with world.scope("a"), transaction.atomic():
        distributor = make_institution("国药控股上海", kind="distributor", grade="", external_code="S001")
        old = make_institution("旧配送商", kind="distributor", grade="", external_code="S002")
        SupplyRelation.objects.create(supplier=distributor, customer=customers.i1)
        SupplyRelation.objects.create(supplier=old, customer=customers.i1,
                                      end_date=world.tenants["a"].today() - dt.timedelta(days=1))
        SupplyRelation.objects.create(supplier=customers.i1, customer=customers.i2)
        kol = make_hcp("赵敏", institution=customers.i1, is_kol="1")
        gone = make_hcp("钱进", institution=customers.i1)
        record_set_active(record=gone, active=False)
        Hcp.objects.filter(pk=kol.pk).update(is_target=True)
    data = ok(session_client(world.users["a"]["rep"]).get(inst_url(customers.i1.code)))
    assert [d["name"] for d in data["departments"]] == ["心内科"]
    assert data["hcp_counts"] == {"total": 3, "active": 2, "kol": 1, "target": 1}
    network = data["supply_network"]
    assert [(s["institution"]["name"], s["brand"]) for s in network["suppliers"]] == [("国药控股上海", None)]
    assert [s["institution"]["name"] for s in network["customers"]] == ["复旦大学附属中山医院"]
    assert network["suppliers_more"] is False and network["customers_more"] is False
    assert [a["territory"]["name"] for a in data["alignments"]] == ["浦东一区"]
    assert_no_integer_ids(data, "institution detail")


def test_a_merged_record_answers_with_its_survivor(world, customers):
    with world.scope("a"), transaction.atomic():
        Hcp.objects.filter(pk=customers.h1.pk).update(status=Status.MERGED, merged_into=customers.zw)
    client = session_client(world.users["a"]["analyst"])
    data = ok(client.get(hcp_url(customers.h1.code)))
    assert data["status"] == "merged" and data["merged_into"] == str(customers.zw.code)
    assert "李娜" not in names(client.get(reverse(HCPS), {"show": "all"}))


# --------------------------------------------------------------------------- filters


def test_hcp_filters(world, customers):
    client = session_client(world.users["a"]["analyst"])
    with world.scope("a"), transaction.atomic():
        analyst = world.users["a"]["analyst"].membership_row
        stage_change(record=customers.h1, stage=Stage.KEY, reason="重点", by=analyst)
        stage_change(record=customers.h2, stage=Stage.TERMINATED, reason="离职", by=analyst)
        record_set_active(record=customers.h3, active=False)
        Hcp.objects.filter(pk=customers.zw.pk).update(is_kol=True, tier="A")
        Hcp.objects.filter(pk=customers.unaligned.pk).update(is_target=True, specialty="oncology")
    get = lambda **q: names(client.get(reverse(HCPS), q))  # noqa: E731
    assert get() == {"张伟", "李娜", "陈静"}  # terminated and inactive leave the default list
    assert get(show="all") == ALL_HCPS
    assert get(show="inactive") == {"刘洋"}
    assert get(stage="key") == {"李娜"}
    assert names(client.get(reverse(HCPS) + "?stage=key&stage=prospect")) == {"李娜", "张伟", "陈静"}
    assert get(kol="true") == {"张伟"}
    assert get(kol="false") == {"张伟", "李娜", "陈静"}  # false means no filter, not "only KOLs"
    assert get(target="1") == {"陈静"}
    assert get(specialty="oncology") == {"陈静"}
    assert get(tier="A") == {"张伟"}
    assert get(tier="none") == {"李娜", "陈静"}
    assert get(city="上海市") == {"张伟", "李娜", "陈静"}
    assert get(city="北京市", show="all") == set()
    assert get(territory=str(world.nodes["a"]["district"].code), show="all") == {"张伟", "李娜", "王芳"}
    assert get(territory=str(world.nodes["a"]["t3"].code), show="all") == {"刘洋"}
    assert get(institution=str(customers.i1.code)) == {"张伟"}
    assert get(institution=str(customers.i3.code)) == set()
    assert get(q="zw") == {"张伟"}
    assert get(q="张") == {"张伟"}
    assert get(q="lina") == {"李娜"}
    order = [i["name"] for i in ok(client.get(reverse(HCPS), {"sort": "-name"}))["results"]]
    assert order == ["张伟", "李娜", "陈静"]  # zhangwei, lina, chenjing


def test_mine_narrows_to_own_positions(world, customers):
    assert names(session_client(world.users["a"]["analyst"]).get(reverse(HCPS), {"mine": "true"})) == set()
    assert names(session_client(world.users["a"]["manager"]).get(reverse(HCPS), {"mine": "1"})) == {
        "张伟", "李娜", "王芳"}


def test_institution_filters(world, customers):
    with world.scope("a"), transaction.atomic():
        make_institution("老百姓大药房", kind="retail_pharmacy", grade="", external_code="P001")
    client = session_client(world.users["a"]["admin"])
    get = lambda **q: names(client.get(reverse(INSTS), q))  # noqa: E731
    assert get(kind="retail_pharmacy") == {"老百姓大药房"}
    assert get(grade="none") == {"老百姓大药房"}
    assert get(grade="3A", province="北京市") == {"北京协和医院"}
    assert get(city="上海市", kind="hospital") == {"上海市第一人民医院", "复旦大学附属中山医院", "无人医院"}
    assert get(territory=str(world.nodes["a"]["t1"].code)) == {"上海市第一人民医院"}
    assert get(q="xiehe") == set()  # a prefix search: the name starts with 北京
    assert get(q="bjxh") == {"北京协和医院"}


@pytest.mark.parametrize("query", [
    {"stage": "bogus"}, {"tier": "Z"}, {"specialty": "astrology"}, {"sort": "id"}, {"show": "deleted"},
    {"territory": "not-a-code"}, {"territory": "00000000-0000-0000-0000-000000000000"}, {"kol": "maybe"},
    {"institution": "i1"},
])
def test_bad_filters_are_400_naming_the_parameter(world, customers, english, query):
    response = session_client(world.users["a"]["rep"]).get(reverse(HCPS), query)
    assert response.status_code == 400
    assert set(response.json()) == set(query)


def test_bad_institution_filter_is_400(world, customers, english):
    response = session_client(world.users["a"]["rep"]).get(reverse(INSTS), {"kind": "castle", "grade": "9Z"})
    assert response.status_code == 400 and set(response.json()) == {"kind", "grade"}


def test_a_territory_of_the_other_tenant_is_unknown(world, customers, english):
    response = session_client(world.users["a"]["analyst"]).get(reverse(HCPS),
                                                                {"territory": str(world.nodes["b"]["t1"].code)})
    assert response.status_code == 400
    assert response.json() == {"territory": ["No organisation node has this code."]}


# --------------------------------------------------------------------------- pagination


def test_pages_have_next_previous_and_an_exact_small_count(world, customers):
    client = session_client(world.users["a"]["analyst"])
    first = ok(client.get(reverse(HCPS), {"page_size": 2}))
    assert first["count"] == 5 and first["count_capped"] is False
    assert first["previous"] is None and "page=2" in first["next"]
    second = ok(client.get(first["next"]))
    assert second["count"] == 5 and "page=3" in second["next"] and second["previous"]
    third = ok(client.get(second["next"]))
    assert third["count"] == 5 and third["next"] is None
    seen = [i["name"] for i in first["results"] + second["results"] + third["results"]]
    assert seen == ["陈静", "李娜", "刘洋", "王芳", "张伟"]  # by pinyin
    assert client.get(reverse(HCPS), {"page": 4, "page_size": 2}).status_code == 404
    assert client.get(reverse(HCPS), {"page": "x"}).status_code == 404


def test_the_count_stops_at_the_cap_and_pages_stop_there(world, customers, monkeypatch, english):
    monkeypatch.setattr(CappedPagination, "cap", 2)
    client = session_client(world.users["a"]["analyst"])
    page = ok(client.get(reverse(HCPS), {"page_size": 1}))
    assert page["count"] == 2 and page["count_capped"] is True
    assert ok(client.get(reverse(HCPS), {"page_size": 1, "page": 2}))["next"] is None
    response = client.get(reverse(HCPS), {"page_size": 1, "page": 3})
    assert response.status_code == 404 and "narrow the filter" in response.json()["detail"]


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("q", ["zw", "zhangwei", "张", "张伟", "zhang wei", "ZW"])
def test_search_finds_zhang_wei_for_the_rep(world, customers, q):
    found = ok(token_client("rep@a.test").get(reverse(SEARCH), {"q": q}))
    assert [h["code"] for h in found["hcps"]][:1] == [str(customers.zw.code)]
    assert found["hcps"][0]["institution"]["name"] == "上海市第一人民医院"
    assert_no_integer_ids(found, SEARCH)


def test_search_is_scoped(world, customers):
    assert ok(session_client(world.users["a"]["rep2"]).get(reverse(SEARCH), {"q": "zw"})) == {
        "hcps": [], "institutions": []}
    found = ok(session_client(world.users["a"]["rep"]).get(reverse(SEARCH), {"q": "shanghai"}))
    assert [i["name"] for i in found["institutions"]] == ["上海市第一人民医院"]
    found = ok(session_client(world.users["a"]["manager"]).get(reverse(SEARCH), {"q": "wf"}))
    assert [h["name"] for h in found["hcps"]] == ["王芳"]


def test_search_tolerates_a_typo_from_three_letters(world, customers):
    found = ok(session_client(world.users["a"]["rep"]).get(reverse(SEARCH), {"q": "zhangwie"}))
    assert [h["name"] for h in found["hcps"]] == ["张伟"]


def test_empty_search_and_bad_limit(world, customers):
    client = session_client(world.users["a"]["rep"])
    assert ok(client.get(reverse(SEARCH))) == {"hcps": [], "institutions": []}
    assert client.get(reverse(SEARCH), {"q": "zw", "limit": 0}).status_code == 400
    assert client.get(reverse(SEARCH), {"q": "zw", "limit": 500}).status_code == 400


# --------------------------------------------------------------------------- timeline


def test_timeline_has_stage_and_alignment_entries_newest_first(world, customers, english):
    with world.scope("a"), transaction.atomic():
        stage_change(record=customers.zw, stage=Stage.DEVELOPING, reason="首次拜访",
                     by=world.users["a"]["rep"].membership_row)
    entries = ok(session_client(world.users["a"]["rep"]).get(hcp_url(customers.zw.code, "timeline")))
    assert entries[0]["kind"] == "stage"
    assert entries[0]["title"] == "Stage: Prospect → Developing"
    assert entries[0]["detail"] == "首次拜访" and entries[0]["by"] == "rep a"
    assert set(entries[0]) == {"at", "kind", "title", "detail", "by", "url"}
    dt.datetime.fromisoformat(entries[0]["at"])
    inst = ok(session_client(world.users["a"]["rep"]).get(inst_url(customers.i1.code, "timeline")))
    assert [e["kind"] for e in inst] == ["alignment"]
    dt.date.fromisoformat(inst[0]["at"])
    only = ok(session_client(world.users["a"]["rep"]).get(hcp_url(customers.zw.code, "timeline"),
                                                          {"kind": "alignment", "limit": 5}))
    assert all(e["kind"] == "alignment" for e in only)
    assert session_client(world.users["a"]["rep"]).get(hcp_url(customers.zw.code, "timeline"),
                                                       {"kind": "gossip"}).status_code == 400


# --------------------------------------------------------------------------- bounded queries


def _grow(world, customers, n: int) -> None:
    """``n`` more HCPs at i1 (aligned to t1: the rep and the manager see them), with
    departments, KOL flags and a stage history."""
    with world.scope("a"), transaction.atomic():
        start = Hcp.objects.count()
        for i in range(start, start + n):
            make_hcp(f"测试医生{i}", institution=customers.i1, department=f"科室{i % 4}", is_kol="1" if i % 2 else "0",
                     external_code=f"G{i}")


def _grow_institutions(world, customers, n: int) -> None:
    """``n`` more institutions aligned to t1."""
    with world.scope("a"), transaction.atomic():
        start = Institution.objects.count()
        for i in range(start, start + n):
            inst = make_institution(f"测试医院{i}", external_code=f"GI{i}")
            align(customer=inst, territory=world.nodes["a"]["t1"], product_line=customers.line,
                  start_date=world.tenants["a"].today())


LIST_QUERY_BOUND = 10


@pytest.mark.parametrize(("list_name", "grow"), [(HCPS, _grow), (INSTS, _grow_institutions)])
@pytest.mark.parametrize("role", ["rep", "manager", "analyst"])
def test_list_queries_stay_flat_as_rows_grow(world, customers, role, list_name, grow):
    counts = {}
    for total, extra in ((3, 3), (30, 27)):
        grow(world, customers, extra)
        for kind, client in (("session", session_client(world.users["a"][role])),
                             ("token", token_client(f"{role}@a.test"))):
            with assert_max_queries(LIST_QUERY_BOUND):
                response = client.get(reverse(list_name), {"page_size": 20})
            assert response.status_code == 200
            assert len(response.json()["results"]) == min(20, response.json()["count"])
            # Equal counts on pages that both have a next page (the last page skips the count).
            counts[(kind, total)] = count_queries(lambda c=client: c.get(reverse(list_name), {"page_size": 2}))
    assert response.json()["count"] >= 30
    assert counts[("session", 3)] == counts[("session", 30)]
    assert counts[("token", 3)] == counts[("token", 30)]


def test_detail_and_search_queries_are_bounded(world, customers):
    from customers.models import KolLink

    with world.scope("a"), transaction.atomic():
        KolLink.objects.create(source=customers.zw, target=customers.h1, kind=KolLink.Kind.PEER)
    client = session_client(world.users["a"]["manager"])
    before = count_queries(lambda: client.get(hcp_url(customers.zw.code)))
    search_before = count_queries(lambda: client.get(reverse(SEARCH), {"q": "ce"}))
    _grow(world, customers, 20)
    with world.scope("a"), transaction.atomic():
        for other in Hcp.objects.exclude(pk__in=[customers.zw.pk, customers.h1.pk])[:10]:
            KolLink.objects.create(source=customers.zw, target=other, kind=KolLink.Kind.PEER)
    assert count_queries(lambda: client.get(hcp_url(customers.zw.code))) == before
    assert count_queries(lambda: client.get(reverse(SEARCH), {"q": "ce"})) == search_before
    with assert_max_queries(16):  # sign-in, tenant, savepoints, the record and six parts
        assert client.get(inst_url(customers.i1.code)).status_code == 200


def test_the_list_uses_a_tenant_leading_index(world, customers):
    from django.http import QueryDict

    from customers import selectors
    from tests.helpers import assert_uses_tenant_index

    with world.scope("a"):
        qs = selectors.hcp_list(world.users["a"]["analyst"], QueryDict(""))[:51]
        assert_uses_tenant_index(qs)
