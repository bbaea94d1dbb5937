"""Budgets: the allocation rules of the services (node, period, category, amounts together;
a hard budget never below its use; a used budget keeps what it was counted against; only
an unused budget is deleted), two allocations at once on real connections, and the budget
pages (who sees which budget, filters, the allocation tree, the bar, the forms, bounded
queries, Chinese, the other tenant).

The ``spend`` fixture's budgets: 上海地区 2026 (district, 20,000, soft) and 浦东一区 2026
(t1, 3,000, hard, allocated from the district's)."""

from __future__ import annotations

import datetime as dt
import re
import threading
import time
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.urls import reverse
from django.utils import translation

from expenses.models import Budget
from expenses.services.budgets import budget_create, budget_delete, budget_update
from tests.helpers import assert_max_queries

from .conftest import build

pytestmark = pytest.mark.usefixtures("english")


def _admin(spend):
    return spend.m("admin")


def _year(spend):
    y = spend.today().year
    return dt.date(y, 1, 1), dt.date(y, 12, 31)


def _new(spend, *, parent=None, node="t2", amount="1000", name="新预算 New", category=None, by="admin", **kw):
    start, end = _year(spend)
    kw.setdefault("start_date", start)
    kw.setdefault("end_date", end)
    return budget_create(by=spend.m(by), name=name, node=spend.world.nodes["a"][node], amount=amount,
                         category=spend.categories[category] if category else None, parent=parent, **kw)


def _fresh(b):
    return Budget.objects.get(pk=b.pk)


def _errors(exc_info):
    return exc_info.value.message_dict


# --------------------------------------------------------------------------- services


def test_allocation_fills_the_parent_and_not_one_cent_more(spend):
    with spend.world.scope("a"):
        district = spend.budgets["district"]
        t2 = _new(spend, parent=district, amount="16999.99")
        assert t2.parent_id == district.pk
        _new(spend, parent=district, node="t2", amount="0.01", name="浦西补充")  # exactly 20,000 now
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=district, node="t1", amount="0.01", name="多一分")
        assert "Only 0.00 of 上海地区 2026 is left" in _errors(e)["amount"][0]
        assert Budget.objects.filter(parent=district).count() == 3
        # a child's raise needs room in the parent too; a cut is fine
        with pytest.raises(ValidationError) as e:
            budget_update(budget=t2, by=_admin(spend), amount="17000")
        assert "amount" in _errors(e)
        budget_update(budget=t2, by=_admin(spend), amount="16000")
        budget_update(budget=spend.budgets["t1"], by=_admin(spend), amount="3999.99")  # all that is left
        assert _fresh(spend.budgets["t1"]).amount == Decimal("3999.99")


def test_allocation_stays_inside_the_parents_node_period_category_and_campaign(spend):
    with spend.world.scope("a"):
        district = spend.budgets["district"]
        start, end = _year(spend)
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=district, node="other")  # 北京地区: not under 上海地区
        assert "must be for 上海地区 or a part of it" in _errors(e)["node"][0]
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=district, node="region")  # above the parent's node
        assert "node" in _errors(e)
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=district, end_date=end + dt.timedelta(days=1))
        assert "must lie within" in _errors(e)["start_date"][0]
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=district, start_date=start - dt.timedelta(days=1))
        assert "start_date" in _errors(e)
        meals = _new(spend, node="district", name="餐费预算 Meals", category="meals", amount="5000")
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=meals, category="travel")
        assert "its category, 餐费 Meals" in _errors(e)["category"][0]
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=meals)  # every category under a meals-only budget: no
        assert "category" in _errors(e)
        assert _new(spend, parent=meals, category="meals").category_id == spend.categories["meals"].pk
        # a parent for every category takes a child for one category
        assert _new(spend, parent=district, category="travel", amount="100").parent_id == district.pk
        campaign = _new(spend, node="district", name="新品上市", campaign="新品上市 2026", amount="100")
        with pytest.raises(ValidationError) as e:
            _new(spend, parent=campaign, campaign="")
        assert "campaign" in _errors(e)


def test_a_parent_keeps_room_for_its_children_and_its_children_inside_it(spend):
    with spend.world.scope("a"):
        district = spend.budgets["district"]
        _new(spend, parent=district, amount="7000")  # 3,000 + 7,000 allocated
        with pytest.raises(ValidationError) as e:
            budget_update(budget=district, by=_admin(spend), amount="9999.99")
        assert "10,000.00 of this budget is allocated further down" in _errors(e)["amount"][0]
        budget_update(budget=district, by=_admin(spend), amount="10000")
        with pytest.raises(ValidationError) as e:  # 浦东一区 would no longer be under it
            budget_update(budget=district, by=_admin(spend), node=spend.world.nodes["a"]["other"])
        assert "node" in _errors(e)
        start, end = _year(spend)
        with pytest.raises(ValidationError) as e:
            budget_update(budget=district, by=_admin(spend), end_date=end - dt.timedelta(days=1))
        assert "start_date" in _errors(e)
        with pytest.raises(ValidationError) as e:  # children for every category under a meals-only budget
            budget_update(budget=district, by=_admin(spend), category=spend.categories["meals"])
        assert "category" in _errors(e)
        assert _fresh(district).amount == 10000 and _fresh(district).node_id == spend.world.nodes["a"]["district"].pk


def test_a_hard_budget_is_never_lowered_below_its_use_and_a_used_budget_keeps_its_scope(spend):
    with spend.world.scope("a"):
        spend.claim(spend.line(amount="500"), submit=True)
        t1 = _fresh(spend.budgets["t1"])
        assert t1.committed == 500
        with pytest.raises(ValidationError) as e:
            budget_update(budget=t1, by=_admin(spend), amount="499.99")
        assert "committed and spent (500" in _errors(e)["amount"][0]
        budget_update(budget=t1, by=_admin(spend), amount="500")
        Budget.objects.filter(pk=t1.pk).update(alerted_percent=100)
        budget_update(budget=t1, by=_admin(spend), amount="600")  # 83 %: the 100 % alert is re-armed
        assert _fresh(t1).alerted_percent == 80
        # a soft one may go below (the claims went through), then not be made hard
        district = spend.budgets["district"]
        budget_update(budget=district, by=_admin(spend), amount="3000")
        budget_update(budget=t1, by=_admin(spend), amount="300", is_hard=False)
        with pytest.raises(ValidationError) as e:
            budget_update(budget=t1, by=_admin(spend), is_hard=True)
        assert "amount" in _errors(e)
        with pytest.raises(ValidationError) as e:
            budget_update(budget=t1, by=_admin(spend), category=spend.categories["meals"])
        assert "counted against this budget already" in _errors(e)["category"][0]
        with pytest.raises(ValidationError) as e:
            budget_update(budget=t1, by=_admin(spend), node=spend.world.nodes["a"]["t2"])
        assert "node" in _errors(e)
        start, end = _year(spend)
        with pytest.raises(ValidationError) as e:
            budget_update(budget=t1, by=_admin(spend), start_date=start + dt.timedelta(days=1))
        assert "may grow, not shrink" in _errors(e)["start_date"][0]
        t1 = _fresh(t1)
        assert (t1.amount, t1.is_hard, t1.committed, t1.start_date) == (300, False, 500, start)


def test_only_an_unused_budget_is_deleted(spend):
    with spend.world.scope("a"):
        with pytest.raises(ValidationError) as e:
            budget_delete(budget=spend.budgets["district"], by=_admin(spend))
        assert "allocated from" in _errors(e)["budget"][0]
        spend.claim(spend.line(amount="100"), submit=True)
        with pytest.raises(ValidationError) as e:
            budget_delete(budget=spend.budgets["t1"], by=_admin(spend))
        assert "Claims are counted against" in _errors(e)["budget"][0]
        spare = _new(spend, parent=spend.budgets["district"], amount="10")
        budget_delete(budget=spare, by=spend.m("finance"))
        assert not Budget.objects.filter(pk=spare.pk).exists() and Budget.objects.count() == 2


@pytest.mark.parametrize(("over", "field", "text"), [
    ({"amount": "-1"}, "amount", "cannot be negative"),
    ({"amount": "1.234"}, "amount", "at most 2 decimals"),
    ({"amount": "abc"}, "amount", "is not an amount"),
    ({"amount": "1e15"}, "amount", "surely a typo"),
    ({"name": "  "}, "name", "Give the budget a name"),
    ({"end_date": dt.date(2000, 1, 1)}, "end_date", "must not be before"),
    ({"node": None}, "node", "Choose the part"),
])
def test_bad_input_names_the_field_and_saves_nothing(spend, over, field, text):
    with spend.world.scope("a"):
        start, end = _year(spend)
        kw = {"name": "坏 Bad", "node": spend.world.nodes["a"]["t2"], "amount": "100", "start_date": start,
              "end_date": end}
        kw.update(over)
        with pytest.raises(ValidationError) as e:
            budget_create(by=_admin(spend), **kw)
        assert text in " ".join(_errors(e)[field])
        assert Budget.objects.count() == 2


def test_a_zero_budget_is_allowed_and_only_admins_and_finance_change_budgets(spend):
    with spend.world.scope("a"):
        assert _new(spend, amount="0", by="finance").amount == 0
        for role in ("manager", "rep", "analyst"):
            with pytest.raises(ValidationError) as e:
                _new(spend, by=role)
            assert "budget" in _errors(e)
            with pytest.raises(ValidationError):
                budget_update(budget=spend.budgets["t1"], by=spend.m(role), amount="1")
        assert Budget.objects.count() == 3


# --------------------------------------------------------------------------- concurrency


def test_two_allocations_at_the_same_moment_never_over_allocate(tworld):
    """Two real connections allocate 10,000 each from 上海地区 (17,000 free): the second waits
    on the first's lock of the parent row, then sees it and is refused."""
    spend = build(tworld)
    first_in = threading.Event()
    release = threading.Event()
    outcome: dict[str, object] = {}

    def worker(name, node, hold):
        try:
            with translation.override("en"), tworld.scope("a"), transaction.atomic():
                try:
                    _new(spend, parent=spend.budgets["district"], node=node, amount="10000", name=name)
                    outcome[name] = "ok"
                except ValidationError as exc:
                    outcome[name] = exc.message_dict
                if hold:
                    first_in.set()
                    release.wait(10)
        finally:
            connection.close()

    a = threading.Thread(target=worker, args=("first", "t2", True))
    a.start()
    assert first_in.wait(10)
    b = threading.Thread(target=worker, args=("second", "t1", False))
    b.start()
    time.sleep(0.5)
    assert b.is_alive(), "the second allocation should wait for the parent row"
    release.set()
    a.join(10)
    b.join(10)
    assert outcome["first"] == "ok"
    assert "Only 7,000.00 of 上海地区 2026 is left" in outcome["second"]["amount"][0]
    with tworld.scope("a"), transaction.atomic():
        children = Budget.objects.filter(parent=spend.budgets["district"])
        assert sum(c.amount for c in children) == Decimal(13000)


# --------------------------------------------------------------------------- pages


def _login(client, spend, role, tenant="a"):
    client.force_login(spend.world.users[tenant][role])
    return client


def _page(client, **params):
    response = client.get(reverse("expenses:budget_list"), params)
    assert response.status_code == 200
    return response.content.decode()


def _listed(page) -> list[str]:
    """The budgets' names on the list, in order."""
    return re.findall(r'fw-semibold text-break">([^<]*)</span>', page)


def _manager2(spend):
    from accounts.models import Position, Role
    from accounts.services.users import user_create

    with spend.world.scope("a"):
        other = user_create(email="manager2@a.test", full_name="manager2 a", roles=[Role.MANAGER], password="x-Y-42-z",
                            language="en")
        Position.objects.create(node=spend.world.nodes["a"]["other"], holder=other,
                                start_date=spend.today() - dt.timedelta(days=5))
    return other.user


def test_who_sees_which_budgets(spend, client):
    with spend.world.scope("a"):
        beijing = _new(spend, node="other", name="北京地区 2026")
        _new(spend, node="region", name="华东大区 2026")
    for role in ("analyst", "admin", "finance"):
        page = _page(_login(client, spend, role))
        assert all(n in page for n in ("上海地区 2026", "浦东一区 2026", "北京地区 2026", "华东大区 2026")), role
    # the district's manager: the district's and its territories', not Beijing's, not the region's above
    page = _page(_login(client, spend, "manager"))
    assert "上海地区 2026" in page and "浦东一区 2026" in page
    assert "北京地区 2026" not in page and "华东大区 2026" not in page
    assert "New budget" not in page and reverse("expenses:budget_edit", kwargs={"code": beijing.code}) not in page
    # another district's manager: only Beijing's
    client.force_login(_manager2(spend))
    page = _page(client)
    assert "北京地区 2026" in page and "上海地区 2026" not in page and "浦东一区 2026" not in page
    # the district's budget is not the Beijing manager's to filter on either: the filter is ignored
    page = _page(client, node=str(spend.world.nodes["a"]["district"].code))
    assert "上海地区 2026" not in page
    for role in ("rep", "rep2", "data_steward"):
        assert _login(client, spend, role).get(reverse("expenses:budget_list")).status_code == 403


def test_a_manager_sees_a_budget_allocated_from_one_they_do_not_see_with_its_name(spend, client):
    with spend.world.scope("a"):
        region = _new(spend, node="region", name="华东大区 2026", amount="50000")
        _new(spend, parent=region, node="t2", name="浦西二区 2026", amount="2000")
    page = _page(_login(client, spend, "manager"))
    assert "浦西二区 2026" in page and "from 华东大区 2026" in page


def test_filters_by_year_and_node_and_the_tree_groups_children_under_their_parent(spend, client):
    with spend.world.scope("a"):
        old = dt.date(spend.today().year - 1, 3, 1)
        _new(spend, node="district", name="去年 Last year", start_date=old, end_date=old + dt.timedelta(days=30))
        _new(spend, parent=spend.budgets["district"], node="t2", name="浦西二区 2026", amount="5000")
    _login(client, spend, "finance")
    page = _page(client)
    # the district's budget, then its two allocations, indented
    listed = _listed(page)
    assert listed.index("上海地区 2026") + 1 in (listed.index("浦东一区 2026"), listed.index("浦西二区 2026"))
    assert listed.index("上海地区 2026") < min(listed.index("浦东一区 2026"), listed.index("浦西二区 2026"))
    assert "去年 Last year" in listed
    assert "padding-inline-start: 1.25rem" in page and "8,000.00 CNY allocated further down" in page
    page = _page(client, year=str(spend.today().year))
    assert "去年 Last year" not in page and "上海地区 2026" in page
    page = _page(client, node=str(spend.world.nodes["a"]["t1"].code))
    assert _listed(page) == ["浦东一区 2026"] and "from 上海地区 2026" in page
    page = _page(client, year="nonsense", node="not-a-code")  # ignored, not an error
    assert "上海地区 2026" in page


def test_the_bar_shows_spent_and_committed_and_turns_orange_then_red(spend, client):
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(spent=Decimal(1500), committed=Decimal(900))
        Budget.objects.filter(pk=spend.budgets["district"].pk).update(spent=Decimal(1000))
    page = _page(_login(client, spend, "manager"))
    assert "2,400.00 CNY of 3,000.00 CNY used (80 %)" in page
    assert "1,000.00 CNY of 20,000.00 CNY used (5 %)" in page
    assert 'style="width: 50%"' in page and 'style="width: 30%"' in page  # spent, committed
    assert "bg-warning" in page and "bg-success" in page and "bg-danger" not in page
    with spend.world.scope("a"):
        Budget.objects.filter(pk=spend.budgets["t1"].pk).update(committed=Decimal(1500))
    page = _page(client)
    assert "3,000.00 CNY of 3,000.00 CNY used (100 %)" in page and "bg-danger" in page


def test_the_list_costs_the_same_queries_whatever_the_number_of_budgets(spend, client):
    for role in ("manager", "finance"):
        _login(client, spend, role)
        with assert_max_queries(12) as few:
            _page(client)
        baseline = len(few.captured_queries)
        with spend.world.scope("a"):
            for i in range(8):
                parent = _new(spend, node="district", name=f"预算 {role} {i}", amount="1000")
                _new(spend, parent=parent, node="t1", name=f"分配 {role} {i}", amount="500")
        with assert_max_queries(baseline):
            page = _page(client)
        assert f"分配 {role} 7" in page
        with assert_max_queries(baseline):
            _page(client, year=str(spend.today().year), node=str(spend.world.nodes["a"]["district"].code))


def _form_data(spend, **over):
    start, end = _year(spend)
    data = {"name": "浦西二区 2026", "node": str(spend.world.nodes["a"]["t2"].code), "category": "", "campaign": "",
            "start_date": start.isoformat(), "end_date": end.isoformat(), "amount": "4,000.50", "is_hard": "on"}
    data.update(over)
    return data


def test_admin_creates_allocates_edits_and_deletes_through_the_pages(spend, client):
    _login(client, spend, "admin")
    assert client.get(reverse("expenses:budget_new")).status_code == 200
    assert client.post(reverse("expenses:budget_new"), _form_data(spend, name="独立 Standalone")).status_code == 302
    allocate = reverse("expenses:budget_allocate", kwargs={"code": spend.budgets["district"].code})
    page = client.get(allocate).content.decode()
    assert "17000.00" in page and "北京地区" not in page  # what is free; only the district's nodes
    assert client.post(allocate, _form_data(spend)).status_code == 302
    with spend.world.scope("a"):
        child = Budget.objects.get(name="浦西二区 2026")
        assert (child.parent_id, child.amount, child.is_hard) == (spend.budgets["district"].pk, Decimal("4000.50"), True)
    edit = reverse("expenses:budget_edit", kwargs={"code": child.code})
    assert "4000.50" in client.get(edit).content.decode()
    assert client.post(edit, _form_data(spend, amount="3000", is_hard="")).status_code == 302
    delete = reverse("expenses:budget_delete", kwargs={"code": child.code})
    assert client.get(delete).status_code == 200
    assert client.post(delete).status_code == 302
    with spend.world.scope("a"):
        assert not Budget.objects.filter(pk=child.pk).exists() and Budget.objects.filter(name="独立 Standalone").exists()
    # a budget in use is not deleted: the page says why
    response = client.post(reverse("expenses:budget_delete", kwargs={"code": spend.budgets["district"].code}))
    assert response.status_code == 400 and "allocated from" in response.content.decode()


@pytest.mark.parametrize(("over", "text"), [
    ({"amount": "1.234"}, "at most 2 decimals"),
    ({"amount": "18000"}, "Only 17,000.00 of 上海地区 2026 is left"),
    ({"node": "not-a-code"}, "Select a valid choice"),
    ({"start_date": "2000-01-01"}, "must lie within"),
    ({"end_date": "2000-01-01"}, "must not be before"),
    ({"name": ""}, "This field is required"),
])
def test_a_failed_allocation_keeps_what_was_typed(spend, client, over, text):
    _login(client, spend, "finance")
    url = reverse("expenses:budget_allocate", kwargs={"code": spend.budgets["district"].code})
    data = _form_data(spend, campaign="秋季 Autumn", **over)
    response = client.post(url, data)
    html = response.content.decode()
    assert response.status_code == 400 and text in html
    assert 'value="秋季 Autumn"' in html and f'value="{data["amount"]}"' in html
    with spend.world.scope("a"):
        assert Budget.objects.count() == 2


def test_a_failed_edit_keeps_what_was_typed_and_changes_nothing(spend, client):
    _login(client, spend, "admin")
    url = reverse("expenses:budget_edit", kwargs={"code": spend.budgets["district"].code})
    response = client.post(url, _form_data(spend, node=str(spend.world.nodes["a"]["district"].code),
                                           name="上海地区 改", amount="2999"))
    html = response.content.decode()
    assert response.status_code == 400 and "3,000.00 of this budget is allocated further down" in html
    assert 'value="上海地区 改"' in html and 'value="2999"' in html
    with spend.world.scope("a"):
        assert _fresh(spend.budgets["district"]).name == "上海地区 2026"


def test_only_admins_and_finance_open_the_forms_and_the_other_tenant_gets_404(spend, client):
    codes = {"code": spend.budgets["t1"].code}
    urls = [reverse(n, kwargs=codes) for n in ("expenses:budget_edit", "expenses:budget_allocate",
                                               "expenses:budget_delete")]
    for role in ("manager", "analyst", "rep"):
        _login(client, spend, role)
        assert all(client.get(u).status_code == 403 for u in [*urls, reverse("expenses:budget_new")]), role
    _login(client, spend, "admin", "b")
    assert all(client.get(u).status_code == 404 for u in urls)
    assert client.post(urls[0], _form_data(spend)).status_code == 404
    assert client.post(urls[2]).status_code == 404
    page = _page(client)
    assert "浦东一区 2026" not in page and "上海地区 2026" not in page
    with spend.world.scope("a"):
        assert Budget.objects.count() == 2 and _fresh(spend.budgets["t1"]).amount == 3000


def test_budget_pages_in_chinese(spend, client):
    from accounts.models import User

    User.objects.filter(email__in=["manager@a.test", "admin@a.test"]).update(language="zh-hans")
    html = _page(_login(client, spend, "manager"))
    assert 'lang="zh-CN"' in html and "上海地区 2026" in html
    _login(client, spend, "admin")
    for url in (reverse("expenses:budget_list"), reverse("expenses:budget_new"),
                reverse("expenses:budget_allocate", kwargs={"code": spend.budgets["district"].code}),
                reverse("expenses:budget_edit", kwargs={"code": spend.budgets["t1"].code}),
                reverse("expenses:budget_delete", kwargs={"code": spend.budgets["t1"].code})):
        response = client.get(url)
        assert response.status_code == 200 and 'lang="zh-CN"' in response.content.decode(), url
