"""``/api/v1/customers/``: creating and correcting records (admins and data stewards),
lifecycle moves (reps, managers, admins, data stewards): field errors from the services in
the caller's language, nothing saved on an error, 403 for the other roles."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse

from customers.models import Department, Hcp, Institution, Stage, StageChange, Status
from tests.api.test_api import assert_no_integer_ids, session_client, token_client

HCPS = "api-customers-hcps-list"
INSTS = "api-customers-institutions-list"


def hcp_url(code, what="detail"):
    return reverse(f"api-customers-hcps-{what}", kwargs={"code": code})


def inst_url(code, what="detail"):
    return reverse(f"api-customers-institutions-{what}", kwargs={"code": code})


def count(world, model, **filters) -> int:
    with world.scope("a"):
        return model.objects.filter(**filters).count()


def reload(world, obj):
    with world.scope("a"):
        return type(obj).objects.get(pk=obj.pk)


def new_hcp(customers, **extra) -> dict:
    return {"name": "欧阳娜娜", "gender": "F", "title": "attending", "specialty": "oncology",
            "phone": "139 1234 5678", "institution": str(customers.i1.code), "department": "肿瘤科", **extra}


def new_institution(**extra) -> dict:
    return {"name": "重庆医科大学附属第一医院", "kind": "hospital", "grade": "3A", "province": "重庆市", "city": "重庆市",
            "beds": 3200, "external_code": "H777", **extra}


# --------------------------------------------------------------------------- create


@pytest.mark.parametrize("role", ["admin", "data_steward"])
def test_master_roles_create_an_hcp(world, customers, role):
    response = token_client(f"{role}@a.test").post(reverse(HCPS), new_hcp(customers), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "欧阳娜娜" and data["name_pinyin"] == "ouyangnana" and data["initials"] == "oynn"
    assert data["phone"] == "13912345678"
    assert data["institution"]["code"] == str(customers.i1.code) and data["department"] == "肿瘤科"
    assert data["stage"] == "prospect" and data["status"] == "active"
    assert_no_integer_ids(data, "create")
    with world.scope("a"):
        hcp = Hcp.objects.get(code=data["code"])
        assert hcp.department.institution_id == customers.i1.pk
    # The rep sees the new HCP through the institution's alignment.
    assert session_client(world.users["a"]["rep"]).get(hcp_url(data["code"])).status_code == 200


def test_create_takes_a_stage_and_labels_like_the_imports(world, customers):
    response = session_client(world.users["a"]["admin"]).post(
        reverse(HCPS), new_hcp(customers, title="主任医师", gender="男", stage="key", is_kol=True), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert (data["title"], data["gender"], data["stage"], data["is_kol"]) == ("chief", "M", "key", True)


def test_create_an_institution(world, customers):
    response = session_client(world.users["a"]["data_steward"]).post(reverse(INSTS), new_institution(), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name_pinyin"] == "chongqingyikedaxuefushudiyiyiyuan"
    assert (data["kind"], data["grade"], data["beds"], data["external_code"]) == ("hospital", "3A", 3200, "H777")
    assert data["hcp_counts"] == {"total": 0, "active": 0, "kol": 0, "target": 0}
    assert data["departments"] == [] and data["alignments"] == []


def test_form_encoded_create_works_too(world, customers):
    response = session_client(world.users["a"]["admin"]).post(reverse(INSTS), new_institution())
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(("payload", "field", "message"), [
    ({"phone": "12345"}, "phone", "“12345” is not a mobile phone number (11 digits starting with 1)."),
    ({"name": ""}, "name", "This field is required."),
    ({"email": "not-an-email"}, "email", "“not-an-email” is not an email address."),
    ({"specialty": "astrology"}, "specialty", "“astrology” is not one of the choices."),
    ({"name": "=HYPERLINK(\"x\")"}, "name", None),
    ({"potential": "-5"}, "potential", "Enter an amount of zero or more."),
    ({"institution": "00000000-0000-0000-0000-000000000000"}, "institution", "No institution has this code."),
    ({"institution": "nope"}, "institution", "Must be a valid UUID."),
    ({"stage": "famous"}, "stage", "“famous” is not one of the choices."),
    ({"tier": "A"}, "tier", "This field cannot be set here."),
    ({"external_code": "D001"}, "external_code", "Another record has this external code."),
])
def test_bad_hcp_input_is_400_naming_the_field_and_nothing_is_saved(world, customers, english, payload, field, message):
    before = count(world, Hcp)
    departments = count(world, Department)
    response = session_client(world.users["a"]["admin"]).post(reverse(HCPS), new_hcp(customers, **payload),
                                                               format="json")
    assert response.status_code == 400, response.content
    errors = response.json()
    assert field in errors
    if message:
        assert errors[field] == [message]
    assert count(world, Hcp) == before
    assert count(world, Department) == departments  # the new department went with the refused HCP


def test_missing_institution_is_a_field_error(world, customers, english):
    payload = new_hcp(customers)
    del payload["institution"]
    response = session_client(world.users["a"]["admin"]).post(reverse(HCPS), payload, format="json")
    assert response.status_code == 400 and response.json()["institution"] == ["This field is required."]


@pytest.mark.parametrize(("payload", "field"), [
    ({"kind": "castle"}, "kind"), ({"grade": "5S"}, "grade"), ({"city": ""}, "city"), ({"beds": -1}, "beds"),
    ({"phone": "call me"}, "phone"), ({"external_code": "H001"}, "external_code"), ({"status": "merged"}, "status"),
])
def test_bad_institution_input_is_400_and_nothing_saved(world, customers, english, payload, field):
    before = count(world, Institution)
    response = token_client("admin@a.test").post(reverse(INSTS), new_institution(**payload), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert count(world, Institution) == before


def test_errors_come_in_the_users_language(world, customers):
    from accounts.models import User

    User.objects.filter(pk=world.users["a"]["admin"].pk).update(language="zh-hans")
    for client in (token_client("admin@a.test"), session_client(world.users["a"]["admin"])):
        response = client.post(reverse(INSTS), new_institution(name=""), format="json")
        assert response.status_code == 400
        assert response.json()["name"] == ["此项为必填项。"]


@pytest.mark.parametrize("role", ["rep", "rep2", "manager", "analyst", "finance"])
def test_other_roles_cannot_create_or_correct(world, customers, role):
    client = session_client(world.users["a"][role])
    before = count(world, Hcp), count(world, Institution)
    assert client.post(reverse(HCPS), new_hcp(customers), format="json").status_code == 403
    assert client.post(reverse(INSTS), new_institution(), format="json").status_code == 403
    assert client.patch(hcp_url(customers.zw.code), {"name": "张三"}, format="json").status_code == 403
    assert client.patch(inst_url(customers.i1.code), {"beds": 10}, format="json").status_code == 403
    assert (count(world, Hcp), count(world, Institution)) == before
    assert reload(world, customers.zw).name == "张伟"


def test_put_and_delete_are_not_offered(world, customers):
    client = session_client(world.users["a"]["admin"])
    assert client.put(hcp_url(customers.zw.code), new_hcp(customers), format="json").status_code == 405
    assert client.delete(hcp_url(customers.zw.code)).status_code == 405


def test_tenant_b_admin_cannot_use_tenant_a_institution_or_records(world, customers, english):
    from accounts.models import User

    User.objects.filter(email="admin@b.test").update(language="en")  # the `english` fixture covers tenant A
    client = token_client("admin@b.test")
    response = client.post(reverse(HCPS), new_hcp(customers), format="json")
    assert response.status_code == 400 and response.json()["institution"] == ["No institution has this code."]
    assert client.patch(hcp_url(customers.zw.code), {"name": "张三"}, format="json").status_code == 404
    assert client.patch(inst_url(customers.i1.code), {"beds": 1}, format="json").status_code == 404
    assert reload(world, customers.zw).name == "张伟"
    # Its own institution is fine, and the same external code as tenant A's is no clash.
    with world.scope("b"):
        b_inst = Institution.objects.get()
    response = client.post(reverse(HCPS), new_hcp(customers, institution=str(b_inst.code), external_code="D002"),
                           format="json")
    assert response.status_code == 201, response.content


# --------------------------------------------------------------------------- correct


def test_patch_changes_only_what_is_sent_and_recomputes_the_pinyin(world, customers):
    client = token_client("data_steward@a.test")
    response = client.patch(hcp_url(customers.zw.code), {"name": "张卫", "department": "急诊科", "is_kol": True},
                            format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["name"], data["name_pinyin"], data["department"], data["is_kol"]) == ("张卫", "zhangwei", "急诊科", True)
    hcp = reload(world, customers.zw)
    assert hcp.phone == "13800138000" and hcp.title == "chief"  # untouched
    response = client.patch(hcp_url(customers.zw.code), {"institution": str(customers.i2.code)}, format="json")
    assert response.status_code == 200
    assert response.json()["institution"]["code"] == str(customers.i2.code)
    assert response.json()["department"] == ""  # the department belonged to the old institution
    response = client.patch(hcp_url(customers.zw.code), {"phone": None}, format="json")
    assert response.json()["phone"] == ""


def test_patch_an_institution(world, customers):
    response = session_client(world.users["a"]["admin"]).patch(
        inst_url(customers.i1.code), {"beds": 1800, "grade": "三级乙等", "address": "武进路85号"}, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert (data["beds"], data["grade"], data["address"]) == (1800, "3B", "武进路85号")
    assert reload(world, customers.i1).name == "上海市第一人民医院"


def test_bad_patch_changes_nothing(world, customers, english):
    client = session_client(world.users["a"]["admin"])
    response = client.patch(hcp_url(customers.zw.code), {"name": "张三", "phone": "12"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"phone"}
    hcp = reload(world, customers.zw)
    assert (hcp.name, hcp.phone) == ("张伟", "13800138000")
    response = client.patch(hcp_url(customers.zw.code), {"stage": "key"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"stage"}
    response = client.patch(inst_url(customers.i1.code), {"kind": "castle", "name": "城堡"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"kind"}
    assert reload(world, customers.i1).name == "上海市第一人民医院"


def test_patch_deactivates_and_reactivates(world, customers, english):
    client = session_client(world.users["a"]["admin"])
    response = client.patch(hcp_url(customers.h1.code), {"status": "inactive"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "inactive"
    assert reload(world, customers.h1).status == Status.INACTIVE
    assert client.patch(hcp_url(customers.h1.code), {"status": "active"}, format="json").json()["status"] == "active"
    # An institution with active HCPs stays active (the service says why), and nothing else changes.
    response = client.patch(inst_url(customers.i1.code), {"status": "inactive", "beds": 5}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"status"}
    inst = reload(world, customers.i1)
    assert inst.status == Status.ACTIVE and inst.beds is None


def test_a_merged_record_cannot_be_corrected(world, customers, english):
    with world.scope("a"), transaction.atomic():
        Hcp.objects.filter(pk=customers.h1.pk).update(status=Status.MERGED, merged_into=customers.zw)
    response = session_client(world.users["a"]["admin"]).patch(hcp_url(customers.h1.code), {"name": "李四"},
                                                                format="json")
    assert response.status_code == 400
    assert response.json() == {"non_field_errors": ["This record was merged into another one."]}


# --------------------------------------------------------------------------- stage


@pytest.mark.parametrize("role", ["rep", "manager", "admin", "data_steward"])
def test_stage_roles_move_a_record_they_see(world, customers, role):
    client = session_client(world.users["a"][role])
    response = client.post(hcp_url(customers.zw.code, "stage"), {"stage": "developing", "reason": "首次拜访"},
                           format="json")
    assert response.status_code == 200, response.content
    assert response.json()["stage"] == "developing" and response.json()["changed"] is True
    with world.scope("a"):
        change = StageChange.objects.get(hcp=customers.zw)
        assert (change.from_stage, change.to_stage, change.reason) == ("prospect", "developing", "首次拜访")
        assert change.changed_by.user == world.users["a"][role]
    again = client.post(hcp_url(customers.zw.code, "stage"), {"stage": "developing", "reason": "再次"}, format="json")
    assert again.json()["changed"] is False
    response = client.post(inst_url(customers.i1.code, "stage"), {"stage": "key", "reason": "重点医院"})  # a form
    assert response.status_code == 200 and reload(world, customers.i1).stage == Stage.KEY


@pytest.mark.parametrize("role", ["analyst", "finance"])
def test_read_only_roles_cannot_move_stages(world, customers, role):
    client = session_client(world.users["a"][role])
    assert client.post(hcp_url(customers.zw.code, "stage"), {"stage": "key", "reason": "x"},
                       format="json").status_code == 403
    assert client.post(inst_url(customers.i1.code, "stage"), {"stage": "key", "reason": "x"},
                       format="json").status_code == 403
    assert reload(world, customers.zw).stage == Stage.PROSPECT


def test_stage_of_an_unseen_record_is_404(world, customers):
    client = session_client(world.users["a"]["rep2"])
    assert client.post(hcp_url(customers.zw.code, "stage"), {"stage": "key", "reason": "x"},
                       format="json").status_code == 404
    assert client.post(inst_url(customers.i1.code, "stage"), {"stage": "key", "reason": "x"},
                       format="json").status_code == 404
    assert reload(world, customers.zw).stage == Stage.PROSPECT


@pytest.mark.parametrize(("payload", "field"), [
    ({"stage": "key"}, "reason"), ({"stage": "famous", "reason": "x"}, "stage"), ({"reason": "x"}, "stage"),
])
def test_bad_stage_moves_are_400_and_change_nothing(world, customers, english, payload, field):
    response = token_client("rep@a.test").post(hcp_url(customers.zw.code, "stage"), payload, format="json")
    assert response.status_code == 400 and field in response.json()
    assert reload(world, customers.zw).stage == Stage.PROSPECT
    assert count(world, StageChange) == 0


def test_terminated_record_leaves_the_list_but_stays_reachable(world, customers):
    client = session_client(world.users["a"]["rep"])
    client.post(hcp_url(customers.h1.code, "stage"), {"stage": "terminated", "reason": "退休"}, format="json")
    names = {i["name"] for i in client.get(reverse(HCPS)).json()["results"]}
    assert "李娜" not in names
    assert client.get(hcp_url(customers.h1.code)).json()["stage"] == "terminated"
    assert "李娜" in {i["name"] for i in client.get(reverse(HCPS), {"show": "all"}).json()["results"]}
