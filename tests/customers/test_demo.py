"""``seed_demo`` also builds the product catalogue and the customer master (customers.demo)."""

from __future__ import annotations

import io
import re
from collections import Counter

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F

from accounts.models import OrgNode, Position, Tenant, User
from customers import selectors
from customers.demo_names import city_name
from customers.models import (
    Affiliation,
    Alignment,
    Department,
    Hcp,
    Institution,
    KolLink,
    StageChange,
    SupplyRelation,
)
from customers.pinyin import name_keys
from customers.validation import MOBILE_RE
from products.models import Brand, ProductLine, Sku
from sfe.core.tenancy import tenant_scope

REPS = 12
HAN = re.compile(r"^[\u4e00-\u9fff]+$")


@pytest.fixture(scope="module")
def demo_once(module_atomic, django_db_blocker):
    """The demo, seeded once for the module's tests (they read it; see ``module_atomic``)."""
    with django_db_blocker.unblock():
        call_command("seed_demo", reps=REPS, logins_file="", stdout=io.StringIO())
        return {t.slug: t for t in Tenant.objects.filter(slug__in=["huakang", "ruian"])}


@pytest.fixture
def demo(db, demo_once):
    return demo_once


def _user(email):
    return User.objects.get(email=email)


def test_catalogue_and_customers_of_every_kind(demo):
    for slug, tenant in demo.items():
        with tenant_scope(tenant), transaction.atomic():
            assert set(ProductLine.objects.values_list("name", flat=True)) == {"心血管", "内分泌", "肿瘤", "呼吸", "消化"}
            assert Brand.objects.count() >= 10
            assert set(Sku.objects.values_list("status", flat=True)) == {"active", "discontinued"}
            assert Sku.objects.filter(list_price__gt=0).count() == Sku.objects.count()

            kinds = Counter(Institution.objects.values_list("kind", flat=True))
            assert set(kinds) == {"hospital", "clinic", "retail_pharmacy", "pharmacy_chain", "distributor"}, slug
            assert min(kinds["hospital"], kinds["clinic"], kinds["retail_pharmacy"]) > kinds["distributor"]
            grades = set(Institution.objects.filter(kind="hospital").values_list("grade", flat=True))
            assert {"3A", "2A", "1"} <= grades
            assert not Institution.objects.filter(kind="hospital", beds__isnull=True).exists()
            assert not Institution.objects.exclude(kind="hospital").filter(grade__gt="").exists()
            for inst in Institution.objects.all()[:200]:
                assert inst.province and inst.city and inst.district and inst.address.endswith("号")
                assert len(inst.national_code) == 18 and inst.external_code
            assert Department.objects.filter(name="心内科").exists()
            assert not Department.objects.exclude(institution__kind="hospital").exists()

            hcps = Hcp.objects.all()
            assert {"A", "B", "C", "D"} <= set(hcps.values_list("tier", flat=True))
            assert {"prospect", "developing", "active", "key", "dormant", "terminated"} == set(
                hcps.values_list("stage", flat=True))
            assert hcps.filter(is_target=True).exists() and hcps.filter(is_target=False).exists()
            assert hcps.filter(is_kol=True).exists()
            assert {"chief", "attending", "pharmacist"} <= set(hcps.values_list("title", flat=True))
            assert {"cardiology", "oncology", "pharmacy", "general"} <= set(hcps.values_list("specialty", flat=True))
            # A doctor's department belongs to their own institution and matches their specialty.
            assert not hcps.filter(department__isnull=False).exclude(
                department__institution=F("institution")).exists()
            assert not hcps.filter(department__isnull=False).exclude(
                department__specialty=F("specialty")).exists()
            assert Affiliation.objects.exclude(institution=F("hcp__institution")).exists()
            assert KolLink.objects.filter(source__is_kol=True, target__is_kol=True).count() == KolLink.objects.count() > 0
            supply = SupplyRelation.objects.all()
            assert supply.filter(brand__isnull=True).exists() and supply.filter(brand__isnull=False).exists()
            assert supply.filter(supplier__kind="distributor", customer__kind="distributor").exists()
            assert supply.filter(supplier__kind="pharmacy_chain", customer__kind="retail_pharmacy").exists()
            assert not supply.exclude(supplier__kind__in=["distributor", "pharmacy_chain"]).exists()
            assert StageChange.objects.filter(hcp__isnull=False).exists()
            assert StageChange.objects.filter(institution__isnull=False).exists()
            assert not StageChange.objects.exclude(to_stage=F("hcp__stage")).filter(hcp__isnull=False).exists()


def test_names_keys_phones_and_codes_are_valid(demo):
    for tenant in demo.values():
        with tenant_scope(tenant), transaction.atomic():
            rows = list(Hcp.objects.values_list("name", "name_pinyin", "initials", "search_alt", "phone",
                                                "external_code"))
            for name, pinyin, initials, alt, phone, _code in rows:
                assert HAN.match(name), name
                assert (pinyin, initials, alt) == name_keys(name), name
                assert not phone or MOBILE_RE.match(phone), phone
            assert len({r[5] for r in rows}) == len(rows)
            assert len({r[4] for r in rows if r[4]}) == len([r for r in rows if r[4]])  # no shared mobile
            for name, pinyin, initials, alt in Institution.objects.values_list(
                    "name", "name_pinyin", "initials", "search_alt"):
                assert (pinyin, initials, alt) == name_keys(name, person=False), name
            names = Counter(Institution.objects.values_list("city", "name"))
            assert max(names.values()) == 1  # no two institutions of one city share a name


def test_demo_rep_sees_a_book_with_one_zhang_wei_and_the_manager_sees_more(demo):
    tenant = demo["huakang"]
    rep, manager = _user("rep@huakang.demo"), _user("manager@huakang.demo")
    with tenant_scope(tenant), transaction.atomic():
        rep_hcps = Hcp.objects.visible_to(rep)
        n_rep, n_manager = rep_hcps.count(), Hcp.objects.visible_to(manager).count()
        assert 50 <= n_rep < n_manager <= Hcp.objects.count()
        assert 3 <= Institution.objects.visible_to(rep).count() < Institution.objects.visible_to(manager).count()
        assert list(rep_hcps.filter(name__startswith="张伟").values_list("name", flat=True)) == ["张伟"]
        zw = rep_hcps.get(name="张伟")
        assert (zw.name_pinyin, zw.initials, zw.institution.kind, zw.stage, zw.status, zw.is_kol) == (
            "zhangwei", "zw", "hospital", "key", "active", True)
        assert selectors.hcp_list(rep, {"q": "zw"}).filter(pk=zw.pk).exists()
        found = selectors.search(rep, "zw")["hcps"]
        assert zw in found
        assert zw in selectors.search(rep, "zhangwei")["hcps"]
        assert zw in selectors.search(rep, "张伟")["hcps"]
        # The rep's book is the customers of the territory they hold.
        held = Position.objects.get(holder__user=rep).node
        visible_insts = Institution.objects.visible_to(rep)
        assert not visible_insts.exclude(alignments__territory=held).exists()
        assert {i.city for i in visible_insts} == {"上海市"}
    with tenant_scope(demo["ruian"]), transaction.atomic():
        ruian_rep = _user("rep@ruian.demo")
        assert Hcp.objects.visible_to(ruian_rep).filter(name="张伟").count() == 1


def test_alignments_point_at_territories_of_the_tree(demo):
    for tenant in demo.values():
        with tenant_scope(tenant), transaction.atomic():
            today = tenant.today()
            territories = set(OrgNode.objects.filter(kind="territory").values_list("id", flat=True))
            aligned_to = set(Alignment.objects.values_list("territory_id", flat=True))
            assert aligned_to <= territories
            assert len(aligned_to) >= len(territories) * 0.9  # nearly every territory has customers
            assert set(Alignment.objects.values_list("product_line__name", flat=True)) == {
                "心血管", "内分泌", "肿瘤", "呼吸", "消化"}
            # Every institution is aligned today, to territories in its own city.
            current = Alignment.objects.active_on(today)
            assert not Institution.objects.exclude(alignments__in=current).exists()
            for name, city in current.filter(institution__isnull=False).values_list(
                    "territory__parent__name", "institution__city").distinct():
                assert city_name(name.split("第")[0].removesuffix("地区")) == city
            assert current.filter(hcp__isnull=False, hcp__is_kol=True).count() == current.filter(
                hcp__isnull=False).count() > 0
            assert Alignment.objects.filter(end_date__lt=today).exists()  # some history
            assert current.filter(source="realignment").exists()
            # Every rep holding a territory sees customers.
            for position in Position.objects.filter(node__kind="territory").select_related("holder__user")[:5]:
                assert Hcp.objects.visible_to(position.holder.user).exists()
