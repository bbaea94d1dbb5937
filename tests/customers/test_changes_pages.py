"""The change request pages: propose (for what one sees: 404 otherwise), a refused
proposal keeps what was typed and names the field, "my change requests" with a flat query
count, a request's page for its requester, the approvers and the managers above; the
steward decides in the approvals inbox and the rep sees the new value."""

from __future__ import annotations

import re

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from customers.models import ChangeRequest, Hcp
from tests.customers.test_changes import make_quality_chains, submit
from tests.helpers import count_queries

Kind = ChangeRequest.Kind


@pytest.fixture
def chains(world):
    make_quality_chains(world)


def client_for(world, role, key="a") -> Client:
    c = Client()
    c.force_login(world.users[key][role])
    return c


def test_propose_page_is_for_customers_one_sees(world, customers, chains):
    url = lambda hcp: reverse("customers:change_hcp_edit", kwargs={"code": hcp.code})  # noqa: E731
    rep = client_for(world, "rep")
    response = rep.get(url(customers.zw))
    assert response.status_code == 200
    assert 'value="13800138000"' in response.content.decode()
    assert rep.get(url(customers.h3)).status_code == 404  # rep2's
    assert rep.get(url(customers.unaligned)).status_code == 404
    assert client_for(world, "rep", "b").get(url(customers.zw)).status_code == 404
    assert client_for(world, "rep2").get(url(customers.h3)).status_code == 200
    inst = reverse("customers:change_institution_edit", kwargs={"code": customers.i2.code})
    assert rep.get(inst).status_code == 404
    assert client_for(world, "manager").get(inst).status_code == 200  # the district's


def test_a_refused_proposal_keeps_what_was_typed_and_names_the_field(world, customers, chains):
    url = reverse("customers:change_hcp_edit", kwargs={"code": customers.zw.code})
    response = client_for(world, "rep").post(url, {"name": "张伟", "title": "chief", "phone": "12345",
                                                   "email": "zw@example", "reason": "号码变了"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'value="12345"' in html and 'value="zw@example"' in html and "号码变了" in html
    phone_error = re.search(r'id="error_1_id_phone"[^>]*>(.*?)</', html, re.S)
    assert phone_error and "not a mobile phone number" in phone_error.group(1)
    assert "is not an email address" in html
    with world.scope("a"), transaction.atomic():
        assert not ChangeRequest.objects.exists()


def test_the_rep_proposes_the_steward_approves_and_the_rep_sees_the_new_value(world, customers, chains):
    rep = client_for(world, "rep")
    url = reverse("customers:change_hcp_edit", kwargs={"code": customers.zw.code})
    form = {"name": "张伟", "gender": "", "title": "associate_chief", "specialty": "cardiology", "department": "心内科",
            "phone": "13800138000", "email": "", "external_code": "", "reason": "已晋升"}
    response = rep.post(url, form)
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        dcr = ChangeRequest.objects.select_related("approval").get()
    assert response["Location"] == reverse("customers:change_detail", kwargs={"code": dcr.code})
    assert "Waiting for approval" in rep.get(response["Location"]).content.decode()
    # The steward sees it in the inbox and on the request's page, field: before → after.
    steward = client_for(world, "data_steward")
    assert "Correction of 张伟" in steward.get(reverse("approvals:inbox")).content.decode()
    page = steward.get(reverse("approvals:detail", kwargs={"code": dcr.approval.code})).content.decode()
    assert "Chief physician (主任医师) → Associate chief physician (副主任医师)" in page
    assert reverse("customers:change_detail", kwargs={"code": dcr.code}) in page
    response = steward.post(reverse("approvals:decide", kwargs={"code": dcr.approval.code}),
                            {"decision": "approved", "order": "1"})
    assert response.status_code == 302
    # The rep sees the outcome and the new value.
    detail = rep.get(reverse("customers:change_detail", kwargs={"code": dcr.code})).content.decode()
    assert "Approved and applied" in detail
    with world.scope("a"), transaction.atomic():
        assert Hcp.objects.get(pk=customers.zw.pk).title == "associate_chief"
    mine = rep.get(reverse("customers:my_changes")).content.decode()
    assert "Approved and applied" in mine and "张伟" in mine


def test_new_hcp_page(world, customers, chains):
    rep = client_for(world, "rep")
    url = reverse("customers:change_new_hcp")
    page = rep.get(url, {"institution": str(customers.i1.code)}).content.decode()
    assert f'<option value="{customers.i1.code}" selected>' in page
    assert str(customers.i3.code) not in page  # not one the rep sees
    with world.scope("a"):
        t1 = world.nodes["a"]["t1"]
    data = {"institution": str(customers.i3.code), "name": "新医生", "reason": "新人", "territory": str(t1.code),
            "product_line": str(customers.line.code)}
    response = rep.post(url, data)
    assert response.status_code == 400
    assert "Choose an active institution you can see." in response.content.decode()
    response = rep.post(url, {**data, "territory": "not-a-code", "institution": str(customers.i1.code)})
    assert response.status_code == 400 and "Choose one of your territories." in response.content.decode()
    response = rep.post(url, {**data, "institution": str(customers.i1.code)})
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        dcr = ChangeRequest.objects.get()
        assert (dcr.kind, dcr.institution_id, dcr.territory_id) == (Kind.NEW_HCP, customers.i1.pk, t1.pk)


def test_new_institution_deactivate_and_align_pages(world, customers, chains):
    rep = client_for(world, "rep")
    with world.scope("a"):
        t1 = world.nodes["a"]["t1"]
    assert rep.get(reverse("customers:change_new_institution")).status_code == 200
    response = rep.post(reverse("customers:change_new_institution"),
                        {"name": "", "kind": "clinic", "province": "上海市", "city": "", "reason": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "error_1_id_name" in html and "error_1_id_city" in html and "error_1_id_reason" in html
    deactivate = reverse("customers:change_deactivate", kwargs={"kind": "hcp", "code": customers.h1.code})
    assert rep.get(deactivate).status_code == 200
    assert rep.post(deactivate, {"reason": "退休"}).status_code == 302
    assert rep.get(reverse("customers:change_deactivate", kwargs={"kind": "doctor", "code": customers.h1.code})
                   ).status_code == 404
    align = reverse("customers:change_align", kwargs={"kind": "institution", "code": customers.i1.code})
    assert 'value="drop"' in rep.get(align, {"action": "drop"}).content.decode()
    response = rep.post(align, {"action": "add", "territory": str(t1.code), "product_line": str(customers.line.code),
                                "reason": "x"})
    assert response.status_code == 400 and "already aligned" in response.content.decode()
    response = rep.post(align, {"action": "drop", "territory": str(t1.code), "product_line": str(customers.line.code),
                                "reason": "交给同事"})
    assert response.status_code == 302
    with world.scope("a"), transaction.atomic():
        assert set(ChangeRequest.objects.values_list("kind", flat=True)) == {Kind.DEACTIVATE, Kind.ALIGN_DROP}


def test_the_request_page_is_for_requester_approvers_and_managers_above(world, customers, chains):
    dcr = submit(world, kind=Kind.EDIT, record=customers.zw, reason="晋升", data={"title": "attending"})
    url = reverse("customers:change_detail", kwargs={"code": dcr.code})
    for role, expected in (("rep", 200), ("data_steward", 200), ("admin", 200), ("analyst", 200), ("manager", 200),
                           ("rep2", 404)):
        assert client_for(world, role).get(url).status_code == expected, role
    assert client_for(world, "admin", "b").get(url).status_code == 404
    page = client_for(world, "manager").get(url).content.decode()
    assert "Attending physician (主治医师)" in page


def test_my_changes_lists_own_requests_in_a_flat_number_of_queries(world, customers, chains):
    rep = client_for(world, "rep")
    url = reverse("customers:my_changes")
    rep.get(url)  # warm up (session, language)
    submit(world, kind=Kind.EDIT, record=customers.zw, reason="a", data={"title": "attending"})
    few = count_queries(lambda: rep.get(url))
    for i in range(8):
        submit(world, kind=Kind.NEW_INSTITUTION, reason="新", data={"name": f"诊所{i}", "kind": "clinic",
                                                                     "province": "上海市", "city": "上海市"})
    submit(world, who="rep2", kind=Kind.EDIT, record=customers.h3, reason="b", data={"title": "attending"})
    many = count_queries(lambda: rep.get(url))
    assert many == few
    html = rep.get(url).content.decode()
    assert html.count("customers/quality/changes/") >= 9 and "刘洋" not in html
    assert "诊所7" in rep.get(url, {"state": "pending"}).content.decode()
    assert "诊所7" not in rep.get(url, {"state": "approved"}).content.decode()


def test_my_changes_filters_on_the_state_shown(world, customers, chains):
    """Withdrawing happens in the approvals app: the DCR shows (and filters as) withdrawn."""
    from approvals.services import approval_withdraw

    dcr = submit(world, kind=Kind.EDIT, record=customers.zw, reason="a", data={"title": "attending"})
    with world.scope("a"), transaction.atomic():
        approval_withdraw(request=ChangeRequest.objects.get(pk=dcr.pk).approval, actor=dcr.requested_by)
    rep, url = client_for(world, "rep"), reverse("customers:my_changes")
    assert "张伟" in rep.get(url, {"state": "withdrawn"}).content.decode()
    assert "张伟" not in rep.get(url, {"state": "pending"}).content.decode()


pytestmark = pytest.mark.usefixtures("english")
