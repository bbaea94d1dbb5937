"""The change request API: list one's own, submit one (400 by field, 404 for a customer of
another tenant or one the caller does not see), read one as on its page."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from rest_framework.test import APIClient

from customers.models import ChangeRequest
from tests.customers.test_changes import decide, make_quality_chains, submit

LIST = reverse("api-customers-changes-list")


@pytest.fixture
def chains(world):
    make_quality_chains(world)


def api(world, role, key="a") -> APIClient:
    c = APIClient()
    c.force_login(world.users[key][role])
    return c


def test_submit_a_correction_and_read_it_back(world, customers, chains):
    rep = api(world, "rep")
    response = rep.post(LIST, {"kind": "edit", "hcp": str(customers.zw.code), "reason": "已晋升",
                               "proposed": {"title": "associate_chief", "phone": "13800138000"}}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == "pending" and body["hcp"]["name"] == "张伟"
    assert body["before"] == {"title": "chief"} and body["proposed"] == {"title": "associate_chief"}
    assert body["approval"]
    detail = reverse("api-customers-changes-detail", kwargs={"code": body["code"]})
    assert rep.get(detail).json()["code"] == body["code"]
    assert api(world, "data_steward").get(detail).status_code == 200
    assert api(world, "manager").get(detail).status_code == 200
    assert api(world, "rep2").get(detail).status_code == 404
    assert api(world, "admin", "b").get(detail).status_code == 404
    with world.scope("a"), transaction.atomic():
        dcr = ChangeRequest.objects.get(code=body["code"])
    decide(world, dcr, "data_steward")
    assert rep.get(detail).json()["state"] == "approved"


def test_the_list_is_the_callers_own_newest_first(world, customers, chains):
    first = submit(world, kind="edit", record=customers.zw, reason="a", data={"title": "attending"})
    second = submit(world, kind="deactivate", record=customers.h1, reason="b")
    submit(world, who="rep2", kind="edit", record=customers.h3, reason="c", data={"title": "attending"})
    codes = [item["code"] for item in api(world, "rep").get(LIST).json()["results"]]
    assert codes == [str(second.code), str(first.code)]
    assert api(world, "data_steward").get(LIST).json()["results"] == []  # their own: none


def test_bad_input_is_400_by_field_and_nothing_is_written(world, customers, chains):
    rep = api(world, "rep")
    response = rep.post(LIST, {"kind": "edit", "hcp": str(customers.zw.code), "reason": "",
                               "proposed": {"phone": "12345"}}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"phone", "reason"}
    response = rep.post(LIST, {"kind": "rename", "reason": "x"}, format="json")
    assert response.status_code == 400 and "kind" in response.json()
    response = rep.post(LIST, {"kind": "new_hcp", "reason": "x", "proposed": {"name": "新人"}}, format="json")
    assert response.status_code == 400 and "institution" in response.json()
    response = rep.post(LIST, {"kind": "align_add", "hcp": str(customers.zw.code), "reason": "x"}, format="json")
    assert response.status_code == 400 and "territory" in response.json()
    response = rep.post(LIST, {"kind": "edit", "hcp": str(customers.zw.code), "reason": "x",
                               "proposed": {"title": "chief"}}, format="json")
    assert response.status_code == 400 and "non_field_errors" in response.json()
    with world.scope("a"), transaction.atomic():
        assert not ChangeRequest.objects.exists()


def test_invisible_and_other_tenant_customers_are_404(world, customers, chains):
    rep = api(world, "rep")
    for hcp in (customers.h3, customers.unaligned, customers.b_hcp):
        response = rep.post(LIST, {"kind": "edit", "hcp": str(hcp.code), "reason": "x",
                                   "proposed": {"title": "attending"}}, format="json")
        assert response.status_code == 404, hcp
    response = rep.post(LIST, {"kind": "new_hcp", "institution": str(customers.i3.code), "reason": "x",
                               "proposed": {"name": "新人"}}, format="json")
    assert response.status_code == 404
    with world.scope("a"), transaction.atomic():
        assert not ChangeRequest.objects.exists()


def test_alignment_challenge_through_the_api(world, customers, chains):
    with world.scope("a"):
        t1 = world.nodes["a"]["t1"]
    day = world.tenants["a"].today().isoformat()
    response = api(world, "rep").post(LIST, {"kind": "align_add", "hcp": str(customers.zw.code), "reason": "我负责",
                                             "territory": str(t1.code), "product_line": str(customers.line.code),
                                             "day": day}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["territory"]["name"] == "浦东一区" and response.json()["proposed"] == {"day": day}


pytestmark = pytest.mark.usefixtures("english")
