"""The HCP and institution lists, search, the customer page, lifecycle moves, bulk
actions, exports, saved filters and the master-data forms."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from customers.models import Hcp, Institution, SavedFilter, Stage, StageChange
from tests.helpers import assert_max_queries, count_queries

from .factories import make_hcp

pytestmark = pytest.mark.usefixtures("english")


def _get(client, world, role, url, **params):
    client.force_login(world.users["a"][role] if not role.startswith("b_") else world.users["b"][role[2:]])
    return client.get(url, params)


def _names(response):
    return [r.name for r in response.context["rows"]]


# --------------------------------------------------------------------------- lists


def test_hcp_list_follows_visibility(client, world, customers):
    url = reverse("customers:hcp_list")
    assert set(_names(_get(client, world, "rep", url))) == {"李娜", "张伟"}
    assert set(_names(_get(client, world, "manager", url))) == {"李娜", "张伟", "王芳"}
    assert set(_names(_get(client, world, "rep2", url))) == {"刘洋"}
    assert len(_names(_get(client, world, "analyst", url))) == 5
    assert _names(_get(client, world, "b_admin", url)) == ["张伟"]  # B's own, never A's


def test_lists_are_sorted_by_pinyin_and_filter(client, world, customers):
    url = reverse("customers:hcp_list")
    names = _names(_get(client, world, "analyst", url))
    assert names == ["陈静", "李娜", "刘洋", "王芳", "张伟"]  # chenjing, lina, liuyang, wangfang, zhangwei
    assert _names(_get(client, world, "analyst", url, sort="-name"))[0] == "张伟"
    assert _names(_get(client, world, "analyst", url, q="zw")) == ["张伟"]
    assert _names(_get(client, world, "analyst", url, territory=str(world.nodes["a"]["t3"].code))) == ["刘洋"]
    assert set(_names(_get(client, world, "rep", url, mine="1"))) == {"李娜", "张伟"}
    inst_url = reverse("customers:institution_list")
    assert [r.name for r in _get(client, world, "analyst", inst_url, city="北京市").context["rows"]] == ["北京协和医院"]


def test_terminated_customers_leave_lists_by_default_but_stay_reachable(client, world, customers):
    from customers.services.lifecycle import stage_change

    with world.scope("a"):
        stage_change(record=customers.h1, stage=Stage.TERMINATED, reason="退休", by=world.users["a"]["admin"].membership_row)
    url = reverse("customers:hcp_list")
    assert "李娜" not in _names(_get(client, world, "rep", url))
    assert "李娜" in _names(_get(client, world, "rep", url, show="all"))
    assert _get(client, world, "rep", reverse("customers:hcp_detail", kwargs={"code": customers.h1.code})).status_code == 200


def test_list_query_count_is_flat(client, world, customers):
    url = reverse("customers:hcp_list")
    client.force_login(world.users["a"]["manager"])
    client.get(url)
    few = count_queries(lambda: client.get(url))
    with world.scope("a"):
        inst = customers.i1
        for i in range(30):
            make_hcp(f"新医生{i}", institution=inst)
    many = count_queries(lambda: client.get(url))
    assert many == few
    client.force_login(world.users["a"]["admin"])
    # Session, user, membership, tenant, page, capped count, saved filters, territories, the
    # navigation's two badges, and the admin's bulk form (territories, product lines).
    with assert_max_queries(16):
        r = client.get(url)
    assert len(r.context["rows"]) == 35


def test_list_paginates_without_counting_everything(client, world, customers):
    with world.scope("a"):
        for i in range(55):
            make_hcp(f"医生{i:02d}", institution=customers.i1)
    client.force_login(world.users["a"]["analyst"])
    r = client.get(reverse("customers:hcp_list"))
    assert r.context["has_next"] and len(r.context["rows"]) == 50 and r.context["total"] is None
    # The count comes afterwards, in its own request, capped.
    r = client.get(reverse("customers:hcp_list"), {"_count": "1"})
    assert r.context["total"] == 60 and not r.context["more"] and "60" in r.content.decode()
    r = client.get(reverse("customers:hcp_list"), {"page": 2})
    assert not r.context["has_next"] and len(r.context["rows"]) == 10 and r.context["total"] == 60


def test_htmx_request_gets_the_results_fragment(client, world, customers):
    client.force_login(world.users["a"]["rep"])
    r = client.get(reverse("customers:hcp_list"), {"q": "zw"}, HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert 'id="results"' in body and "张伟" in body and "<html" not in body


# --------------------------------------------------------------------------- search


@pytest.mark.parametrize("q", ["zw", "zhangwei", "zhang wei", "张", "张伟", "ZW", "zhangwie"])
def test_search_finds_zhang_wei(client, world, customers, q):
    r = _get(client, world, "rep", reverse("customers:search"), q=q)
    assert "张伟" in [h.name for h in r.context["hcps"]], q


def test_search_is_scoped_to_what_the_user_sees(client, world, customers):
    url = reverse("customers:search")
    assert [h.name for h in _get(client, world, "rep2", url, q="zw").context["hcps"]] == []
    assert [h.name for h in _get(client, world, "rep", url, q="ln").context["hcps"]] == ["李娜"]
    assert [h.name for h in _get(client, world, "rep", url, q="wf").context["hcps"]] == []  # 王芳 is t2's
    b = _get(client, world, "b_admin", url, q="zw").context["hcps"]
    assert [h.pk for h in b] == [customers.b_hcp.pk]
    r = _get(client, world, "rep", url, q="上海")
    assert [i.name for i in r.context["institutions"]] == ["上海市第一人民医院"]


def test_search_query_count_is_constant(client, world, customers):
    client.force_login(world.users["a"]["manager"])
    url = reverse("customers:search")
    # Session, user, tenant lookup, membership, tenant, savepoints, and one query per kind.
    with assert_max_queries(9):
        client.get(url, {"q": "zw"}, HTTP_HX_REQUEST="true")


# --------------------------------------------------------------------------- the customer page


def test_hcp_page_shows_profile_alignment_and_timeline(client, world, customers):
    from customers.services.lifecycle import stage_change

    with world.scope("a"):
        stage_change(record=customers.h1, stage=Stage.DEVELOPING, reason="首次拜访后有兴趣",
                     by=world.users["a"]["rep"].membership_row)
    r = _get(client, world, "rep", reverse("customers:hcp_detail", kwargs={"code": customers.h1.code}))
    body = r.content.decode()
    assert "李娜" in body and "浦东一区" in body and "首次拜访后有兴趣" in body


@pytest.mark.parametrize("role,status", [("rep", 404), ("rep2", 200), ("manager", 404), ("analyst", 200), ("b_admin", 404)])
def test_hcp_page_is_404_for_what_the_user_does_not_see(client, world, customers, role, status):
    r = _get(client, world, role, reverse("customers:hcp_detail", kwargs={"code": customers.h3.code}))
    assert r.status_code == status


def test_institution_page_lists_network_hcps_and_departments(client, world, customers):
    from customers.models import SupplyRelation
    from tests.customers.factories import make_institution

    with world.scope("a"):
        dist = make_institution("国药控股上海", kind="distributor", grade="")
        SupplyRelation.objects.create(supplier=dist, customer=customers.i1)
    r = _get(client, world, "rep", reverse("customers:institution_detail", kwargs={"code": customers.i1.code}))
    body = r.content.decode()
    assert "国药控股上海" in body and "张伟" in body and "心内科" in body and "<svg" in body


def test_customer_page_query_count_is_bounded(client, world, customers):
    client.force_login(world.users["a"]["analyst"])
    url = reverse("customers:institution_detail", kwargs={"code": customers.i1.code})
    client.get(url)
    with assert_max_queries(25):
        client.get(url)


# --------------------------------------------------------------------------- lifecycle


def test_stage_change_records_who_when_why(client, world, customers):
    client.force_login(world.users["a"]["rep"])
    url = reverse("customers:stage_change", kwargs={"kind": "hcp", "code": customers.h1.code})
    r = client.post(url, {"stage": "active", "reason": "开始处方"})
    assert r.status_code == 302
    with world.scope("a"):
        customers.h1.refresh_from_db()
        assert customers.h1.stage == "active"
        change = StageChange.objects.get(hcp=customers.h1)
        assert (change.from_stage, change.to_stage, change.reason) == ("prospect", "active", "开始处方")
        assert change.changed_by_id == world.users["a"]["rep"].membership_row.pk


def test_stage_change_needs_a_reason_and_visibility(client, world, customers):
    client.force_login(world.users["a"]["rep"])
    url = reverse("customers:stage_change", kwargs={"kind": "hcp", "code": customers.h1.code})
    client.post(url, {"stage": "active", "reason": ""})
    with world.scope("a"):
        customers.h1.refresh_from_db()
        assert customers.h1.stage == "prospect"
    other = reverse("customers:stage_change", kwargs={"kind": "hcp", "code": customers.h3.code})
    assert client.post(other, {"stage": "active", "reason": "x"}).status_code == 404
    client.force_login(world.users["a"]["analyst"])
    assert client.post(url, {"stage": "active", "reason": "x"}).status_code == 403


def test_bulk_stage_change_only_touches_visible_records(client, world, customers):
    client.force_login(world.users["a"]["rep"])
    codes = [str(customers.h1.code), str(customers.zw.code), str(customers.h3.code), str(customers.b_hcp.code)]
    client.post(reverse("customers:bulk_action", kwargs={"list_name": "hcps"}),
                {"action": "stage", "stage": "developing", "reason": "季度复盘", "codes": codes})
    with world.scope("a"):
        stages = dict(Hcp.objects.values_list("name", "stage"))
        assert stages["李娜"] == stages["张伟"] == "developing"
        assert stages["刘洋"] == "prospect"
        assert StageChange.objects.count() == 2
    with world.scope("b"):
        assert Hcp.objects.get().stage == "prospect"


# --------------------------------------------------------------------------- exports


def _csv(response):
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def test_export_respects_filters_and_visibility_and_neutralises_formulas(client, world, customers):
    with world.scope("a"):
        Hcp.objects.filter(pk=customers.h1.pk).update(name="=HYPERLINK(\"http://x\")")
    r = _get(client, world, "rep", reverse("customers:export", kwargs={"list_name": "hcps", "fmt": "csv"}))
    rows = _csv(r)
    names = {row[1] for row in rows[1:]}
    assert names == {"'=HYPERLINK(\"http://x\")", "张伟"}
    r = _get(client, world, "b_admin", reverse("customers:export", kwargs={"list_name": "hcps", "fmt": "csv"}))
    assert [row[1] for row in _csv(r)[1:]] == ["张伟"] and "D001" in r.content.decode()


def test_xlsx_export_opens(client, world, customers):
    import zipfile

    r = _get(client, world, "manager", reverse("customers:export", kwargs={"list_name": "institutions", "fmt": "xlsx"}))
    assert r.status_code == 200
    book = zipfile.ZipFile(io.BytesIO(r.content))
    sheet = book.read("xl/worksheets/sheet1.xml").decode() + book.read("xl/sharedStrings.xml").decode()
    assert "上海市第一人民医院" in sheet and "北京协和医院" not in sheet


# --------------------------------------------------------------------------- saved filters


def test_saved_filters_are_per_member(client, world, customers):
    client.force_login(world.users["a"]["rep"])
    client.post(reverse("customers:saved_filter_save", kwargs={"list_name": "hcps"}),
                {"name": "我的张姓", "query": "q=zhang&page=3"})
    with world.scope("a"):
        saved = SavedFilter.objects.get()
        assert saved.query == "q=zhang" and saved.owner_id == world.users["a"]["rep"].membership_row.pk
    r = client.get(reverse("customers:hcp_list"))
    assert [s.name for s in r.context["saved_filters"]] == ["我的张姓"]
    client.force_login(world.users["a"]["rep2"])
    assert client.post(reverse("customers:saved_filter_delete", kwargs={"code": saved.code})).status_code == 404
    client.force_login(world.users["a"]["rep"])
    client.post(reverse("customers:saved_filter_delete", kwargs={"code": saved.code}))
    with world.scope("a"):
        assert not SavedFilter.objects.exists()


# --------------------------------------------------------------------------- master data forms


def test_admin_creates_an_institution_and_errors_keep_the_input(client, world, customers):
    client.force_login(world.users["a"]["data_steward"])
    url = reverse("customers:institution_new")
    r = client.post(url, {"name": "杭州市第一人民医院", "kind": "hospital", "province": "浙江省", "city": "",
                          "phone": "12345", "external_code": "H001"})
    assert r.status_code == 200
    errors = r.context["form"].errors
    assert "city" in errors and "phone" in errors
    assert 'value="杭州市第一人民医院"' in r.content.decode()
    r = client.post(url, {"name": "杭州市第一人民医院", "kind": "hospital", "province": "浙江省", "city": "杭州市",
                          "external_code": "H001"})
    assert "external_code" in r.context["form"].errors  # H001 is taken in tenant A
    r = client.post(url, {"name": "杭州市第一人民医院", "kind": "三级甲等" and "hospital", "grade": "3A",
                          "province": "浙江省", "city": "杭州市", "external_code": "H100"})
    assert r.status_code == 302
    with world.scope("a"):
        inst = Institution.objects.get(external_code="H100")
        assert (inst.name_pinyin, inst.initials) == ("hangzhoushidiyirenminyiyuan", "hzsdyrmyy")


def test_admin_edits_an_hcp_and_reps_cannot(client, world, customers):
    url = reverse("customers:hcp_edit", kwargs={"code": customers.zw.code})
    client.force_login(world.users["a"]["rep"])
    assert client.get(url).status_code == 403
    client.force_login(world.users["a"]["admin"])
    data = {"name": "张伟", "institution": str(customers.i2.code), "department": "心内科", "phone": "13900139000",
            "title": "chief", "specialty": "cardiology"}
    assert client.post(url, data).status_code == 302
    with world.scope("a"):
        customers.zw.refresh_from_db()
        assert customers.zw.institution_id == customers.i2.pk and customers.zw.phone == "13900139000"
        assert customers.zw.department.institution_id == customers.i2.pk
    r = client.post(url, {**data, "phone": "abc"})
    assert "phone" in r.context["form"].errors


def test_institution_picker_only_offers_visible_institutions(client, world, customers):
    client.force_login(world.users["a"]["rep"])
    body = client.get(reverse("customers:institution_options"), {"institution_q": "shs"}).content.decode()
    assert "上海市第一人民医院" in body and "北京协和医院" not in body


def test_deactivating_an_institution_with_active_hcps_is_refused(client, world, customers):
    client.force_login(world.users["a"]["admin"])
    client.post(reverse("customers:record_status", kwargs={"kind": "institution", "code": customers.i1.code}), {"active": "0"})
    with world.scope("a"):
        customers.i1.refresh_from_db()
        assert customers.i1.status == "active"


# --------------------------------------------------------------------------- network


def test_steward_adds_and_ends_an_affiliation_kol_link_and_supplier(client, world, customers):
    from customers.models import Affiliation, KolLink, SupplyRelation
    from tests.customers.factories import make_institution

    with world.scope("a"):
        dist = make_institution("国药控股", kind="distributor", grade="")
    client.force_login(world.users["a"]["data_steward"])
    client.post(reverse("customers:affiliation_add", kwargs={"code": customers.zw.code}),
                {"institution": str(customers.i2.code), "role": "客座专家", "department": "心内科"})
    client.post(reverse("customers:kol_link_add", kwargs={"code": customers.zw.code}),
                {"target": str(customers.h1.code), "kind": "mentor"})
    r = client.post(reverse("customers:kol_link_add", kwargs={"code": customers.zw.code}),
                    {"target": str(customers.zw.code), "kind": "mentor"}, follow=True)
    assert "cannot be linked to themselves" in r.content.decode()
    client.post(reverse("customers:supply_add", kwargs={"code": customers.i1.code}), {"supplier": str(dist.code)})
    r = client.post(reverse("customers:supply_add", kwargs={"code": customers.i1.code}),
                    {"supplier": str(customers.i2.code)}, follow=True)
    assert "is not a distributor" in r.content.decode()
    with world.scope("a"):
        aff = Affiliation.objects.get()
        assert (aff.institution_id, aff.role, aff.department.name) == (customers.i2.pk, "客座专家", "心内科")
        assert KolLink.objects.get().target_id == customers.h1.pk
        supply = SupplyRelation.objects.get()
        assert supply.supplier_id == dist.pk and supply.brand_id is None
    client.post(reverse("customers:relation_end", kwargs={"kind": "affiliation", "code": aff.code}))
    with world.scope("a"):
        aff.refresh_from_db()
        assert aff.end_date is not None
    client.force_login(world.users["a"]["rep"])
    assert client.post(reverse("customers:affiliation_add", kwargs={"code": customers.zw.code}),
                       {"institution": str(customers.i2.code)}).status_code == 403


def test_creating_a_likely_duplicate_warns_and_fills_the_queue(client, world, customers):
    from customers.models import DuplicateCandidate

    client.force_login(world.users["a"]["data_steward"])
    r = client.post(reverse("customers:hcp_new"), {"name": "张伟", "institution": str(customers.i1.code),
                                                   "title": "attending"}, follow=True)
    assert "may be a duplicate of" in r.content.decode()
    with world.scope("a"):
        pair = DuplicateCandidate.objects.get()
        assert {pair.hcp_a_id, pair.hcp_b_id} >= {customers.zw.pk}
