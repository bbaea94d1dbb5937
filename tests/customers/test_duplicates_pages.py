"""The duplicates queue, the compare page and its buttons, the merge history and undo —
pages and API, for data stewards and admins; another tenant gets 404; lists run a flat
number of queries."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import DuplicateCandidate, Hcp, Merge
from customers.services.duplicates import find_for
from customers.services.merge import merge
from tests.approvals.conftest import member
from tests.customers.factories import make_hcp, make_institution
from tests.helpers import count_queries


def client_for(world, role, key="a", api=False):
    c = APIClient() if api else Client()
    c.force_login(world.users[key][role])
    return c


def typo_pair(world, customers, name="张玮"):
    with world.scope("a"), transaction.atomic():
        typo = make_hcp(name, institution=customers.i1, department="")
        (pair,) = [c for c in find_for(typo) if customers.zw.pk in (c.hcp_a_id, c.hcp_b_id)]
        return pair, typo


def test_the_queue_and_compare_page(world, customers):
    pair, typo = typo_pair(world, customers)
    steward = client_for(world, "data_steward")
    page = steward.get(reverse("customers:duplicate_list")).content.decode()
    assert "张玮" in page and "Similar name" in page and reverse("customers:duplicate_detail",
                                                                  kwargs={"code": pair.code}) in page
    detail = steward.get(reverse("customers:duplicate_detail", kwargs={"code": pair.code}))
    assert detail.status_code == 200
    html = detail.content.decode()
    assert "张伟" in html and "张玮" in html and "上海市第一人民医院" in html
    assert "Merge into left" in html and "Merge into right" in html and "Not a duplicate" in html
    assert "浦东一区" not in html  # neither HCP is aligned on its own (张伟 is seen through the institution)
    for role in ("rep", "manager", "analyst", "finance"):
        assert client_for(world, role).get(reverse("customers:duplicate_list")).status_code == 403
    assert client_for(world, "admin").get(reverse("customers:duplicate_list")).status_code == 200
    assert client_for(world, "admin", "b").get(reverse("customers:duplicate_detail",
                                                       kwargs={"code": pair.code})).status_code == 404
    assert "张玮" not in client_for(world, "admin", "b").get(reverse("customers:duplicate_list")).content.decode()


def test_merge_into_left_then_undo_from_the_history(world, customers):
    pair, typo = typo_pair(world, customers)
    steward = client_for(world, "data_steward")
    response = steward.post(reverse("customers:duplicate_merge", kwargs={"code": pair.code}),
                            {"survivor": "a", "reason": "录入错误"})
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        done = Merge.objects.get()
        assert (done.survivor_hcp_id, done.merged_hcp_id, done.reason) == (customers.zw.pk, typo.pk, "录入错误")
        assert Hcp.objects.get(pk=typo.pk).status == "merged"
    history = steward.get(reverse("customers:merge_list")).content.decode()
    assert "张玮" in history and reverse("customers:merge_undo", kwargs={"code": done.code}) in history
    assert steward.get(reverse("customers:merge_undo", kwargs={"code": done.code})).status_code == 405
    response = steward.post(reverse("customers:merge_undo", kwargs={"code": done.code}))
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert Hcp.objects.get(pk=typo.pk).status == "active"
        assert DuplicateCandidate.objects.get(pk=pair.pk).state == "open"
    # Undo again: refused with the reason, nothing changes.
    response = steward.post(reverse("customers:merge_undo", kwargs={"code": done.code}), follow=True)
    assert "already undone" in response.content.decode()


def test_merge_into_right_a_bad_choice_and_not_a_duplicate(world, customers):
    pair, typo = typo_pair(world, customers)
    steward = client_for(world, "data_steward")
    url = reverse("customers:duplicate_merge", kwargs={"code": pair.code})
    response = steward.post(url, {"survivor": "c", "reason": "保留我"})
    assert response.status_code == 400
    assert "Choose which record stays." in response.content.decode() and 'value="保留我"' in response.content.decode()
    response = steward.post(reverse("customers:duplicate_dismiss", kwargs={"code": pair.code}))
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert DuplicateCandidate.objects.get(pk=pair.pk).state == "dismissed"
    response = steward.post(url, {"survivor": "b"})
    assert response.status_code == 400 and "already resolved" in response.content.decode()
    # Merge into right on another pair: the left record is the one merged away.
    pair2, twin = typo_pair(world, customers, name="张伟")
    assert steward.post(reverse("customers:duplicate_merge", kwargs={"code": pair2.code}),
                        {"survivor": "b"}).status_code == 302
    with world.scope("a"), transaction.atomic():
        left = Hcp.objects.get(pk=pair2.hcp_a_id)
        assert left.status == "merged" and left.merged_into_id == pair2.hcp_b_id


def test_the_queue_and_the_history_run_a_flat_number_of_queries(world, customers):
    steward = client_for(world, "data_steward")
    queue, history = reverse("customers:duplicate_list"), reverse("customers:merge_list")
    steward.get(queue)
    typo_pair(world, customers)
    with world.scope("a"), transaction.atomic():
        merge(survivor=Hcp.objects.get(pk=customers.h1.pk), merged=Hcp.objects.get(pk=customers.h2.pk),
              by=member(world, "data_steward"))
    few = count_queries(lambda: steward.get(queue)), count_queries(lambda: steward.get(history))
    with world.scope("a"), transaction.atomic():
        for i in range(6):
            inst = make_institution(f"测试医院{i}", external_code=f"Q{i}", national_code=f"N{i}")
            twin = make_institution(f"测试医院{i}分院", external_code=f"R{i}", national_code=f"N{i}")
            find_for(twin)
            a, b = make_hcp(f"甲{i}", institution=inst, department=""), make_hcp(f"乙{i}", institution=inst, department="")
            merge(survivor=a, merged=b, by=member(world, "data_steward"))
    many = count_queries(lambda: steward.get(queue)), count_queries(lambda: steward.get(history))
    assert many == few
    assert steward.get(queue).content.decode().count("测试医院") >= 12


# --------------------------------------------------------------------------- API


def test_api_queue_merge_and_undo(world, customers):
    pair, typo = typo_pair(world, customers)
    api = client_for(world, "data_steward", api=True)
    listing = api.get(reverse("api-customers-duplicates-list"))
    assert listing.status_code == 200
    (item,) = listing.json()["results"]
    assert item["code"] == str(pair.code) and item["a"]["name"] == "张伟" and item["b"]["name"] == "张玮"
    assert client_for(world, "rep", api=True).get(reverse("api-customers-duplicates-list")).status_code == 403
    url = reverse("api-customers-duplicates-merge", kwargs={"code": pair.code})
    bad = api.post(url, {"survivor": "left"}, format="json")
    assert bad.status_code == 400 and "survivor" in bad.json()
    assert client_for(world, "admin", "b", api=True).post(url, {"survivor": "a"}, format="json").status_code == 404
    done = api.post(url, {"survivor": "a", "reason": "同一人"}, format="json")
    assert done.status_code == 201
    body = done.json()
    assert body["survivor"]["name"] == "张伟" and body["merged"]["name"] == "张玮"
    assert api.get(reverse("api-customers-duplicates-list")).json()["results"] == []
    assert api.get(reverse("api-customers-merges-list")).json()["results"][0]["code"] == body["code"]
    undo = reverse("api-customers-merges-undo", kwargs={"code": body["code"]})
    assert client_for(world, "admin", "b", api=True).post(undo).status_code == 404
    assert client_for(world, "rep", api=True).post(undo).status_code == 403
    response = api.post(undo, {}, format="json")
    assert response.status_code == 200 and response.json()["undone_at"]
    again = api.post(undo, {}, format="json")
    assert again.status_code == 400 and "already undone" in str(again.json())
    dismiss = api.post(reverse("api-customers-duplicates-dismiss", kwargs={"code": pair.code}))
    assert dismiss.status_code == 200 and dismiss.json()["state"] == "dismissed"


pytestmark = pytest.mark.usefixtures("english")
