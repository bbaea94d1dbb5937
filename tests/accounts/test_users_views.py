"""The tenant admin's user pages, through the browser's eyes (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership, User, UserImport
from accounts.services.users import user_create
from tests.conftest import PASSWORD

pytestmark = pytest.mark.usefixtures("english")

@pytest.fixture
def admin_client(world, client):
    client.force_login(world.users["a"]["admin"])
    return client


def sign_in(client, email, password=PASSWORD):
    response = client.post(reverse("login"), {"username": email, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def detail_url(membership):
    return reverse("users:detail", kwargs={"code": membership.code})


def add_users(world, n, prefix="bulk"):
    with world.scope("a"):
        for i in range(n):
            user_create(email=f"{prefix}{i}@a.test", full_name=f"Bulk {prefix} {i:03}", roles=["rep", "finance"])


# --------------------------------------------------------------------------- list


def test_list_shows_users_with_roles_and_status_in_words(world, admin_client):
    with world.scope("a"):
        from accounts.services.users import user_deactivate

        user_deactivate(membership=world.users["a"]["rep2"].membership_row, actor=world.users["a"]["admin"])
    response = admin_client.get(reverse("users:list"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "rep@a.test" in html and "Medical representative" in html
    assert "Deactivated" in html and "Active" in html
    assert "table-responsive-cards" in html and 'data-label="' in html
    assert "admin@b.test" not in html  # the other tenant's users never show


def test_list_is_ordered_by_name(world, admin_client):
    response = admin_client.get(reverse("users:list"))
    names = [m.user.full_name for m in response.context["page"].object_list]
    assert names == sorted(names)


@pytest.mark.parametrize("query, present, absent", [
    ("role=manager", ["manager@a.test"], ["rep@a.test"]),
    ("q=REP2", ["rep2@a.test"], ["manager@a.test"]),
    ("q=finance%20a", ["finance@a.test"], ["rep@a.test"]),
    ("status=inactive", ["rep2@a.test"], ["rep@a.test"]),
    ("status=active", ["rep@a.test"], ["rep2@a.test"]),
])
def test_list_filters_from_the_query_string(world, admin_client, query, present, absent):
    with world.scope("a"):
        from accounts.services.users import user_deactivate

        user_deactivate(membership=world.users["a"]["rep2"].membership_row, actor=world.users["a"]["admin"])
    html = admin_client.get(reverse("users:list") + "?" + query).content.decode()
    for email in present:
        assert email in html
    for email in absent:
        assert email not in html


def test_list_paginates_by_fifty_and_keeps_filters_in_page_links(world, admin_client):
    add_users(world, 60)
    response = admin_client.get(reverse("users:list") + "?role=finance")
    page = response.context["page"]
    assert page.paginator.count == 61 and len(page.object_list) == 50
    assert "?role=finance&amp;page=2" in response.content.decode()
    response = admin_client.get(reverse("users:list") + "?role=finance&page=2")
    assert len(response.context["page"].object_list) == 11


def test_list_queries_do_not_grow_with_the_number_of_users(world, admin_client, django_assert_max_num_queries):
    add_users(world, 5, prefix="few")
    with CaptureQueriesContext(connection) as few:
        assert admin_client.get(reverse("users:list")).status_code == 200
    add_users(world, 60, prefix="many")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(reverse("users:list"))
    assert len(response.context["page"].object_list) == 50


def test_htmx_request_gets_only_the_table(world, admin_client):
    response = admin_client.get(reverse("users:list") + "?q=rep", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert 'id="user-table"' in html and "<html" not in html
    assert "HX-Request" in response["Vary"]


# --------------------------------------------------------------------------- create


def test_create_user_sends_invitation_with_a_working_link(world, admin_client, client,
                                                        django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("users:create"), {
            "email": "new.rep@a.test", "full_name": "新代表", "roles": ["rep", "manager"], "language": "zh-hans",
            "employee_no": "E77", "phone": "13900000000", "send_invitation": "on",
        })
    with world.scope("a"):
        m = Membership.objects.select_related("user").get(user__email="new.rep@a.test")
    assert response.status_code == 302 and response["Location"] == detail_url(m)
    assert m.roles == ["rep", "manager"] and m.employee_no == "E77" and m.invited_at
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["new.rep@a.test"]
    path = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    client.logout()
    response = client.get(path)
    new_password = {"new_password1": "Brand-New-Pass-9", "new_password2": "Brand-New-Pass-9"}
    response = client.post(response["Location"], new_password)
    assert response.status_code == 302
    assert sign_in(client, "new.rep@a.test", "Brand-New-Pass-9")


def test_create_without_invitation_sends_no_email(world, admin_client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("users:create"), {
            "email": "silent@a.test", "full_name": "Silent", "roles": ["analyst"], "language": "",
        })
    assert response.status_code == 302
    assert mail.outbox == []


def test_create_form_invites_by_default(admin_client):
    response = admin_client.get(reverse("users:create"))
    assert response.context["form"]["send_invitation"].value() is True


def test_create_duplicate_email_errors_on_the_field_and_keeps_the_input(world, admin_client):
    before = User.objects.count()
    response = admin_client.post(reverse("users:create"), {
        "email": "Rep@A.test", "full_name": "张重复", "roles": ["rep"], "language": "", "phone": "123",
        "send_invitation": "on",
    })
    assert response.status_code == 400
    form = response.context["form"]
    assert list(form.errors) == ["email"]
    html = response.content.decode()
    assert 'value="张重复"' in html and 'value="123"' in html
    assert User.objects.count() == before


def test_create_needs_a_role(admin_client):
    response = admin_client.post(reverse("users:create"), {"email": "x@a.test", "full_name": "X", "language": ""})
    assert response.status_code == 400 and "roles" in response.context["form"].errors


# --------------------------------------------------------------------------- detail, edit, actions


def test_detail_shows_profile_roles_and_positions(world, admin_client):
    rep = world.users["a"]["rep"]
    with world.scope("a"):
        m = rep.membership_row
    response = admin_client.get(detail_url(m))
    html = response.content.decode()
    assert response.status_code == 200
    assert "rep@a.test" in html and "Medical representative" in html and "浦东一区" in html


def test_detail_of_another_tenants_user_is_404(world, admin_client):
    with world.scope("b"):
        code = world.users["b"]["rep"].membership_row.code
    assert admin_client.get(reverse("users:detail", kwargs={"code": code})).status_code == 404


def test_edit_changes_roles_name_and_phone(world, admin_client):
    with world.scope("a"):
        m = world.users["a"]["rep"].membership_row
    response = admin_client.post(reverse("users:edit", kwargs={"code": m.code}), {
        "full_name": "王代表", "roles": ["rep", "data_steward"], "language": "en", "employee_no": "", "phone": "555",
    })
    assert response.status_code == 302
    with world.scope("a"):
        m = Membership.objects.select_related("user").get(pk=m.pk)
    assert m.user.full_name == "王代表" and m.roles == ["rep", "data_steward"] and m.phone == "555"


def test_last_admin_cannot_remove_own_admin_role(world, admin_client):
    admin = world.users["a"]["admin"]
    with world.scope("a"):
        m = admin.membership_row
    response = admin_client.post(reverse("users:edit", kwargs={"code": m.code}), {
        "full_name": admin.full_name, "roles": ["rep"], "language": "",
    })
    assert response.status_code == 400
    assert "roles" in response.context["form"].errors
    assert "last active administrator" in response.content.decode()
    with world.scope("a"):
        assert Membership.objects.get(pk=m.pk).roles == ["admin"]


def test_admin_cannot_deactivate_themself(world, admin_client):
    with world.scope("a"):
        m = world.users["a"]["admin"].membership_row
    response = admin_client.post(reverse("users:deactivate", kwargs={"code": m.code}), follow=True)
    assert "You cannot deactivate your own account." in response.content.decode()
    with world.scope("a"):
        assert Membership.objects.get(pk=m.pk).is_active
    assert User.objects.get(pk=m.user_id).is_active


def test_deactivated_user_cannot_sign_in_and_loses_their_session(world, admin_client, client):
    from django.test import Client

    rep_client = Client()
    rep_client.force_login(world.users["a"]["rep"])
    assert rep_client.get(reverse("home")).status_code == 200
    with world.scope("a"):
        m = world.users["a"]["rep"].membership_row
    response = admin_client.post(reverse("users:deactivate", kwargs={"code": m.code}))
    assert response.status_code == 302
    with world.scope("a"):
        m.refresh_from_db()
    assert m.is_active is False and User.objects.get(pk=m.user_id).is_active is False
    assert rep_client.get(reverse("home")).status_code == 302  # session ended
    response = Client().post(reverse("login"), {"username": "rep@a.test", "password": PASSWORD})
    assert response.status_code == 200 and response.context["form"].errors
    # Reactivated, they sign in again.
    admin_client.post(reverse("users:activate", kwargs={"code": m.code}))
    assert sign_in(Client(), "rep@a.test")


def test_actions_need_post(world, admin_client):
    with world.scope("a"):
        m = world.users["a"]["rep"].membership_row
    for name in ("users:deactivate", "users:activate", "users:reset_password", "users:resend_invitation"):
        assert admin_client.get(reverse(name, kwargs={"code": m.code})).status_code == 405


def test_reset_password_sends_an_email(world, admin_client, django_capture_on_commit_callbacks):
    with world.scope("a"):
        m = world.users["a"]["rep"].membership_row
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("users:reset_password", kwargs={"code": m.code}))
    assert response.status_code == 302
    assert [e.to for e in mail.outbox] == [["rep@a.test"]]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_resend_invitation(world, admin_client, django_capture_on_commit_callbacks):
    with world.scope("a"):
        m = user_create(email="pending@a.test", full_name="Pending", roles=["rep"])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("users:resend_invitation", kwargs={"code": m.code}), follow=True)
    assert response.status_code == 200
    assert [e.to for e in mail.outbox] == [["pending@a.test"]]
    with world.scope("a"):
        assert Membership.objects.get(pk=m.pk).invited_at is not None


# --------------------------------------------------------------------------- import


def upload(client, content: bytes, name="users.csv", invite=""):
    return client.post(reverse("users:import"), {
        "file": SimpleUploadedFile(name, content, content_type="text/csv"), "send_invitations": invite,
    })


def test_import_gbk_file_through_the_page(world, admin_client):
    content = "邮箱,姓名,角色\r\nchen.jing@a.test,陈静,医药代表\r\nliu.yang@a.test,刘洋,经理，医药代表\r\n".encode("gbk")
    response = upload(admin_client, content)
    assert response.status_code == 302
    with world.scope("a"):
        record = UserImport.objects.get()
        assert (record.created, record.encoding) == (2, "gb18030")
        assert Membership.objects.get(user__email="liu.yang@a.test").roles == ["manager", "rep"]
    assert response["Location"] == reverse("users:import_result", kwargs={"code": record.code})
    html = admin_client.get(response["Location"]).content.decode()
    assert "users.csv" in html and record.sha256 in html


def test_import_errors_are_listed_and_nothing_changes(world, admin_client):
    before = User.objects.count()
    content = "邮箱,姓名,角色\r\nok@a.test,好,医药代表\r\nrep@a.test,重复,医药代表\r\n".encode("gbk")
    response = upload(admin_client, content)
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported" in html
    assert "Row 3, 邮箱" in html and "rep@a.test" in html
    assert User.objects.count() == before


def test_import_missing_column_names_it(world, admin_client):
    response = upload(admin_client, "邮箱,姓名\r\na@a.test,甲\r\n".encode("gbk"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "roles / 角色" in html
    assert not User.objects.filter(email="a@a.test").exists()


def test_import_errors_in_the_admins_language_chinese(world, admin_client):
    """The admin reads zh-hans: the row error comes from the real Chinese catalogue."""
    assert world.users["a"]["admin"].language == "zh-hans"
    response = upload(admin_client, "邮箱,姓名,角色\r\nnew@a.test,新,rep\r\nrep@a.test,重复,rep\r\n".encode("gbk"))
    body = response.content.decode()
    assert "第 3 行，邮箱：" in body and "rep@a.test" in body and "已存在" in body
    assert '<html lang="zh-CN">' in body


def test_import_result_of_another_tenant_is_404(world, client):
    with world.scope("a"):
        record = UserImport.objects.create(filename="x.csv", sha256="0" * 64, encoding="utf-8")
    client.force_login(world.users["b"]["admin"])
    assert client.get(reverse("users:import_result", kwargs={"code": record.code})).status_code == 404


def test_import_page_lists_recent_imports(world, admin_client):
    upload(admin_client, b"email,full_name,roles\nz@a.test,Z,rep\n", name="first.csv")
    html = admin_client.get(reverse("users:import")).content.decode()
    assert "first.csv" in html


def test_a_bad_filter_value_leaves_the_other_filters_applied(world, admin_client):
    response = admin_client.get(reverse("users:list") + "?role=wizard&q=manager")
    assert response.status_code == 200
    emails = {m.user.email for m in response.context["page"].object_list}
    assert emails == {"manager@a.test"}


def test_admin_who_gives_up_the_admin_role_goes_home(world, admin_client):
    with world.scope("a"):
        from accounts.services.users import user_update

        user_update(membership=world.users["a"]["manager"].membership_row, full_name="manager a",
                    roles=["manager", "admin"])
        m = world.users["a"]["admin"].membership_row
    response = admin_client.post(reverse("users:edit", kwargs={"code": m.code}), {
        "full_name": "管理员A", "roles": ["analyst"], "language": "",
    })
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert admin_client.get(reverse("users:list")).status_code == 403
