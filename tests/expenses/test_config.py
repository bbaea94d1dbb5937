"""Spend-control configuration: categories (key unique and a slug), caps (one active per
category or for all, limit above zero, warn 1–100, deactivate), exchange rates (ISO code,
not the tenant's own, above zero, one per day); each refusal names its field and saves
nothing; the pages per role, failed forms keep what was typed, the other tenant gets 404,
Chinese renders."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from expenses.models import ExchangeRate, ExpenseCategory, SpendCap
from expenses.services.config import (
    cap_create,
    cap_deactivate,
    cap_update,
    category_create,
    category_update,
    rate_add,
)
from tests.helpers import assert_max_queries

pytestmark = pytest.mark.usefixtures("english")


def _errors(e):
    return e.value.message_dict


# --------------------------------------------------------------------------- services


def test_categories_are_created_and_changed_with_a_unique_slug_key(spend):
    with spend.world.scope("a"):
        gifts = category_create(by=spend.m("finance"), name="学术礼品 Gifts", key=" Academic-Gifts ", needs_hcp=True,
                                position=5)
        assert (gifts.key, gifts.needs_hcp, gifts.position, gifts.is_active) == ("academic-gifts", True, 5, True)
        with pytest.raises(ValidationError) as e:
            category_create(by=spend.m("admin"), name="又一个", key="meals")
        assert "exists already" in _errors(e)["key"][0]
        with pytest.raises(ValidationError) as e:
            category_create(by=spend.m("admin"), name="坏", key="餐 费")
        assert "Use lower-case letters" in _errors(e)["key"][0]
        with pytest.raises(ValidationError) as e:
            category_create(by=spend.m("admin"), name=" ", key="empty")
        assert "name" in _errors(e)
        with pytest.raises(ValidationError) as e:
            category_update(category=gifts, by=spend.m("admin"), key="travel")
        assert "key" in _errors(e)
        category_update(category=gifts, by=spend.m("admin"), name="礼品", is_active=False, needs_hcp=False)
        gifts.refresh_from_db()
        assert (gifts.name, gifts.key, gifts.is_active, gifts.needs_hcp) == ("礼品", "academic-gifts", False, False)
        for role in ("manager", "rep", "analyst"):
            with pytest.raises(ValidationError):
                category_create(by=spend.m(role), name="x", key=f"x-{role}")
        assert ExpenseCategory.objects.count() == 5


def test_one_active_cap_per_category_or_for_all(spend):
    with spend.world.scope("a"):
        admin = spend.m("admin")
        with pytest.raises(ValidationError) as e:
            cap_create(by=admin, category=spend.categories["meals"], annual_limit="1000")
        assert "餐费 Meals has an active cap already" in _errors(e)["category"][0]
        with pytest.raises(ValidationError) as e:
            cap_create(by=admin, category=None, annual_limit="1000")
        assert "for all categories already" in _errors(e)["category"][0]
        travel = cap_create(by=admin, category=spend.categories["travel"], annual_limit="1,500.50", is_hard=False,
                            warn_percent="90")
        assert (travel.annual_limit, travel.is_hard, travel.warn_percent) == (Decimal("1500.50"), False, 90)
        cap_deactivate(cap=spend.caps["meals"], by=admin)
        meals = cap_create(by=admin, category=spend.categories["meals"], annual_limit="2500")
        assert meals.is_active and not SpendCap.objects.get(pk=spend.caps["meals"].pk).is_active
        with pytest.raises(ValidationError) as e:
            cap_update(cap=spend.caps["meals"], by=admin, annual_limit="100")  # inactive: add a new one
        assert "annual_limit" in _errors(e)
        cap_update(cap=meals, by=admin, annual_limit="3000", is_hard=False, warn_percent=50)
        meals.refresh_from_db()
        assert (meals.annual_limit, meals.is_hard, meals.warn_percent) == (3000, False, 50)
        assert SpendCap.objects.filter(is_active=True).count() == 3


@pytest.mark.parametrize(("over", "field", "text"), [
    ({"annual_limit": "0"}, "annual_limit", "more than zero"),
    ({"annual_limit": "-5"}, "annual_limit", "more than zero"),
    ({"annual_limit": "10.005"}, "annual_limit", "at most 2 decimals"),
    ({"annual_limit": "many"}, "annual_limit", "is not an amount"),
    ({"warn_percent": 0}, "warn_percent", "from 1 to 100"),
    ({"warn_percent": 101}, "warn_percent", "from 1 to 100"),
])
def test_bad_cap_input_names_the_field_and_saves_nothing(spend, over, field, text):
    with spend.world.scope("a"):
        kw = {"category": spend.categories["venue"], "annual_limit": "800", "warn_percent": 80}
        kw.update(over)
        with pytest.raises(ValidationError) as e:
            cap_create(by=spend.m("admin"), **kw)
        assert text in _errors(e)[field][0]
        assert SpendCap.objects.count() == 2


def test_exchange_rates_are_checked_and_one_per_currency_and_day(spend):
    with spend.world.scope("a"):
        today = spend.today()
        rate = rate_add(by=spend.m("finance"), currency=" eur ", rate="7.85123456", valid_from=today)
        assert (rate.currency, rate.rate) == ("EUR", Decimal("7.85123456"))
        cases = [
            ({"currency": "CNY"}, "currency", "the tenant's own currency"),
            ({"currency": "EURO"}, "currency", "three-letter code"),
            ({"rate": "0"}, "rate", "more than zero"),
            ({"rate": "1.123456789"}, "rate", "at most 8 decimals"),
            ({"valid_from": today}, "valid_from", "EUR has a rate from that day already"),
        ]
        for over, field, text in cases:
            kw = {"currency": "EUR", "rate": "7.9", "valid_from": today - dt.timedelta(days=1)}
            kw.update(over)
            with pytest.raises(ValidationError) as e:
                rate_add(by=spend.m("admin"), **kw)
            assert text in _errors(e)[field][0], over
        with pytest.raises(ValidationError):
            rate_add(by=spend.m("manager"), currency="JPY", rate="0.05", valid_from=today)
        assert ExchangeRate.objects.count() == 2  # the fixture's USD and this EUR


# --------------------------------------------------------------------------- pages

PAGES = ("expenses:cap_list", "expenses:category_list", "expenses:rate_list")


def _login(client, spend, role, tenant="a"):
    client.force_login(spend.world.users[tenant][role])
    return client


def test_only_admins_and_finance_open_the_configuration(spend, client):
    for role in ("admin", "finance"):
        _login(client, spend, role)
        for name in PAGES:
            assert client.get(reverse(name)).status_code == 200, (role, name)
    for role in ("manager", "analyst", "rep", "data_steward"):
        _login(client, spend, role)
        for name in PAGES:
            assert client.get(reverse(name)).status_code == 403, (role, name)
    page = _login(client, spend, "admin").get(reverse("expenses:cap_list")).content.decode()
    assert "2,000.00 CNY" in page and "餐费 Meals" in page and "All categories together" in page
    page = client.get(reverse("expenses:rate_list")).content.decode()
    assert "USD" in page and "7.1 CNY" in page and "in force" in page


def test_categories_page_adds_edits_and_keeps_a_failed_add(spend, client):
    _login(client, spend, "admin")
    url = reverse("expenses:category_list")
    assert client.post(url, {"name": "学术礼品", "key": "gifts", "needs_hcp": "on", "position": "4",
                             "is_active": "on"}).status_code == 302
    response = client.post(url, {"name": "重复的 Duplicate", "key": "meals", "position": "1", "is_active": "on"})
    html = response.content.decode()
    assert response.status_code == 400 and "exists already" in html and 'value="重复的 Duplicate"' in html
    with spend.world.scope("a"):
        gifts = ExpenseCategory.objects.get(key="gifts")
        assert gifts.needs_hcp and gifts.position == 4 and ExpenseCategory.objects.count() == 5
    edit = reverse("expenses:category_edit", kwargs={"code": gifts.code})
    assert 'value="gifts"' in client.get(edit).content.decode()
    response = client.post(edit, {"name": "礼品", "key": "Bad Key", "position": "4"})
    assert response.status_code == 400 and 'value="Bad Key"' in response.content.decode()
    assert client.post(edit, {"name": "礼品", "key": "gifts", "position": "2"}).status_code == 302
    with spend.world.scope("a"):
        gifts.refresh_from_db()
        assert (gifts.name, gifts.is_active, gifts.position) == ("礼品", False, 2)


def test_caps_page_adds_edits_deactivates_and_keeps_a_failed_add(spend, client):
    _login(client, spend, "finance")
    url = reverse("expenses:cap_list")
    venue = spend.categories["venue"]
    assert client.post(url, {"category": str(venue.code), "annual_limit": "8,000", "warn_percent": "75",
                             "is_hard": ""}).status_code == 302
    response = client.post(url, {"category": str(spend.categories["meals"].code), "annual_limit": "1234.5",
                                 "warn_percent": "80", "is_hard": "on"})
    html = response.content.decode()
    assert response.status_code == 400 and "has an active cap already" in html and 'value="1234.5"' in html
    response = client.post(url, {"category": "", "annual_limit": "0.001", "warn_percent": "80"})
    assert response.status_code == 400 and "at most 2 decimals" in response.content.decode()
    with spend.world.scope("a"):
        cap = SpendCap.objects.get(category=venue)
        assert (cap.annual_limit, cap.warn_percent, cap.is_hard) == (8000, 75, False)
        assert SpendCap.objects.count() == 3
    edit = reverse("expenses:cap_edit", kwargs={"code": cap.code})
    assert client.get(edit).status_code == 200
    response = client.post(edit, {"annual_limit": "9000", "warn_percent": "101"})
    assert response.status_code == 400 and 'value="9000"' in response.content.decode()
    assert client.post(edit, {"annual_limit": "9000", "warn_percent": "60", "is_hard": "on"}).status_code == 302
    deactivate = reverse("expenses:cap_deactivate", kwargs={"code": cap.code})
    assert client.get(deactivate).status_code == 405
    assert client.post(deactivate).status_code == 302
    with spend.world.scope("a"):
        cap.refresh_from_db()
        assert (cap.annual_limit, cap.is_hard, cap.is_active) == (9000, True, False)
    assert client.get(edit).status_code == 302  # an inactive cap is not edited


def test_rates_page_adds_and_keeps_a_failed_add(spend, client):
    _login(client, spend, "admin")
    url = reverse("expenses:rate_list")
    today = spend.today()
    assert client.post(url, {"currency": "eur", "rate": "7.8", "valid_from": today.isoformat()}).status_code == 302
    response = client.post(url, {"currency": "CNY", "rate": "1", "valid_from": today.isoformat()})
    assert response.status_code == 400 and "tenant&#x27;s own currency" in response.content.decode()
    response = client.post(url, {"currency": "EUR", "rate": "-7.8", "valid_from": today.isoformat()})
    html = response.content.decode()
    assert response.status_code == 400 and "more than zero" in html and 'value="-7.8"' in html
    with spend.world.scope("a"):
        assert list(ExchangeRate.objects.order_by("currency").values_list("currency", flat=True)) == ["EUR", "USD"]


def test_the_other_tenant_gets_404_for_our_codes_and_sees_none_of_ours(spend, client):
    urls = [reverse("expenses:cap_edit", kwargs={"code": spend.caps["meals"].code}),
            reverse("expenses:category_edit", kwargs={"code": spend.categories["meals"].code})]
    _login(client, spend, "admin", "b")
    assert all(client.get(u).status_code == 404 for u in urls)
    assert client.post(urls[1], {"name": "偷改", "key": "meals", "position": "0"}).status_code == 404
    assert client.post(reverse("expenses:cap_deactivate", kwargs={"code": spend.caps["meals"].code})).status_code == 404
    assert "餐费 Meals" not in client.get(reverse("expenses:category_list")).content.decode()
    assert "<code>USD</code>" not in client.get(reverse("expenses:rate_list")).content.decode()
    with spend.world.scope("a"):
        assert SpendCap.objects.get(pk=spend.caps["meals"].pk).is_active
        assert ExpenseCategory.objects.get(pk=spend.categories["meals"].pk).name == "餐费 Meals"


def test_configuration_lists_cost_the_same_queries_whatever_their_length(spend, client):
    _login(client, spend, "admin")
    counts = {}
    for name in PAGES:
        with assert_max_queries(12) as ctx:
            assert client.get(reverse(name)).status_code == 200
        counts[name] = len(ctx.captured_queries)
    with spend.world.scope("a"):
        for i in range(6):
            category = category_create(by=spend.m("admin"), name=f"类别 {i}", key=f"cat-{i}")
            cap_create(by=spend.m("admin"), category=category, annual_limit="100")
            rate_add(by=spend.m("admin"), currency="EUR", rate="7.8", valid_from=spend.today() - dt.timedelta(days=i))
    for name in PAGES:
        with assert_max_queries(counts[name]):
            assert client.get(reverse(name)).status_code == 200


def test_configuration_pages_in_chinese(spend, client):
    from accounts.models import User

    User.objects.filter(email="finance@a.test").update(language="zh-hans")
    _login(client, spend, "finance")
    for url in [*(reverse(n) for n in PAGES), reverse("expenses:cap_edit", kwargs={"code": spend.caps["all"].code}),
                reverse("expenses:category_edit", kwargs={"code": spend.categories["travel"].code})]:
        response = client.get(url)
        assert response.status_code == 200 and 'lang="zh-CN"' in response.content.decode(), url
