"""The user services: create and invite, edit, deactivate and reactivate, emails, guards."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from accounts.models import Membership, Role, User
from accounts.services import users as svc
from tests.conftest import PASSWORD

BASE = "http://testserver/"


def _link(body: str) -> str:
    match = re.search(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)", body)
    assert match, body
    return match.group(1)


def sign_in(client, email, password=PASSWORD):
    """Sign in through the login form (django-axes needs a request)."""
    response = client.post(reverse("login"), {"username": email, "password": password})
    return response.status_code == 302 and "_auth_user_id" in client.session


def test_user_add_creates_user_with_roles_and_invites(world, django_capture_on_commit_callbacks):
    with world.scope("a"), django_capture_on_commit_callbacks(execute=True):
        m = svc.user_add(email=" New.Person@A.test ", full_name=" 张三 ", roles=["rep", "manager"],
                         language="en", employee_no="E001", phone="13800000000", invite=True,
                         invited_by=world.users["a"]["admin"], base_url=BASE)
        assert m.roles == ["rep", "manager"]
        assert m.invited_at is not None
    user = User.objects.get(email="new.person@a.test")
    assert user.full_name == "张三" and user.language == "en"
    assert not user.has_usable_password()
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["new.person@a.test"]
    assert "/accounts/reset/" in mail.outbox[0].body


def test_user_add_without_invitation_sends_nothing(world, django_capture_on_commit_callbacks):
    with world.scope("a"), django_capture_on_commit_callbacks(execute=True):
        m = svc.user_add(email="quiet@a.test", full_name="Quiet", roles=["rep"], invite=False, base_url=BASE)
    assert m.invited_at is None
    assert mail.outbox == []


def test_user_add_duplicate_email_is_an_email_error(world):
    with world.scope("a"):
        before = Membership.objects.count()
        with pytest.raises(ValidationError) as exc:
            svc.user_add(email="REP@a.test", full_name="Twin", roles=["rep"], invite=False, base_url=BASE)
        assert "email" in exc.value.error_dict
        assert Membership.objects.count() == before


def test_user_add_needs_a_role(world):
    with world.scope("a"), pytest.raises(ValidationError) as exc:
        svc.user_add(email="norole@a.test", full_name="No Role", roles=[], invite=False, base_url=BASE)
    assert "roles" in exc.value.error_dict
    assert not User.objects.filter(email="norole@a.test").exists()


def test_invitation_is_not_sent_when_the_transaction_rolls_back(world, django_capture_on_commit_callbacks):
    with world.scope("a"), django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            svc.user_add(email="ghost@a.test", full_name="Ghost", roles=["rep"], invite=True, base_url=BASE)
            raise RuntimeError("something later failed")
    assert mail.outbox == []
    assert not User.objects.filter(email="ghost@a.test").exists()


def test_invitation_link_lets_the_user_choose_a_password_and_sign_in(world, client,
                                                                      django_capture_on_commit_callbacks):
    with world.scope("a"), django_capture_on_commit_callbacks(execute=True):
        svc.user_add(email="invitee@a.test", full_name="Invitee", roles=["rep"], invite=True, base_url=BASE)
    link = _link(mail.outbox[0].body)
    response = client.get(link)
    assert response.status_code == 302  # Django moves the token into the session
    set_password_url = response["Location"]
    response = client.post(set_password_url, {"new_password1": "Fresh-Start-2026", "new_password2": "Fresh-Start-2026"})
    assert response.status_code == 302 and response["Location"] == reverse("password_reset_complete")
    assert sign_in(client, "invitee@a.test", "Fresh-Start-2026")
    # The link is single-use: the password changed, so the token no longer validates.
    client.logout()
    response = client.get(link, follow=True)
    assert response.context["validlink"] is False


def test_resend_invitation_is_refused_once_a_password_is_chosen(world):
    with world.scope("a"):
        rep = world.users["a"]["rep"].membership_row
        with pytest.raises(ValidationError):
            svc.user_send_invitation(membership=rep, base_url=BASE)


def test_password_reset_email_has_a_working_link(world, client, django_capture_on_commit_callbacks):
    with world.scope("a"), django_capture_on_commit_callbacks(execute=True):
        svc.user_send_password_reset(membership=world.users["a"]["rep"].membership_row, base_url=BASE)
    assert mail.outbox[0].to == ["rep@a.test"]
    response = client.get(_link(mail.outbox[0].body), follow=True)
    assert response.context["validlink"] is True


def test_deactivate_ends_membership_and_sign_in(world, client):
    with world.scope("a"):
        rep = world.users["a"]["rep"].membership_row
        svc.user_deactivate(membership=rep, actor=world.users["a"]["admin"])
        rep.refresh_from_db()
        assert rep.is_active is False
    assert User.objects.get(email="rep@a.test").is_active is False
    assert not sign_in(client, "rep@a.test")


def test_deactivated_user_gets_no_reset_email(world, django_capture_on_commit_callbacks):
    with world.scope("a"), django_capture_on_commit_callbacks(execute=True):
        rep = world.users["a"]["rep"].membership_row
        svc.user_deactivate(membership=rep, actor=world.users["a"]["admin"])
        with pytest.raises(ValidationError):
            svc.user_send_password_reset(membership=rep, base_url=BASE)
    assert mail.outbox == []


def test_reactivate_restores_sign_in(world, client):
    with world.scope("a"):
        rep = world.users["a"]["rep"].membership_row
        svc.user_deactivate(membership=rep, actor=world.users["a"]["admin"])
        svc.user_activate(membership=rep)
    assert sign_in(client, "rep@a.test")


def test_admin_cannot_deactivate_themself(world):
    admin = world.users["a"]["admin"]
    with world.scope("a"):
        with pytest.raises(ValidationError):
            svc.user_deactivate(membership=admin.membership_row, actor=admin)
        assert Membership.objects.get(user=admin).is_active


def test_last_admin_cannot_lose_the_admin_role(world):
    admin = world.users["a"]["admin"]
    with world.scope("a"):
        with pytest.raises(ValidationError) as exc:
            svc.user_update(membership=admin.membership_row, full_name=admin.full_name, roles=["rep"])
        assert "roles" in exc.value.error_dict
        assert Membership.objects.get(user=admin).roles == [Role.ADMIN]


def test_admin_role_can_go_when_another_active_admin_remains(world):
    admin = world.users["a"]["admin"]
    with world.scope("a"):
        svc.user_update(membership=world.users["a"]["manager"].membership_row, full_name="manager a",
                        roles=["manager", "admin"])
        svc.user_update(membership=admin.membership_row, full_name=admin.full_name, roles=["analyst"])
        assert Membership.objects.get(user=admin).roles == ["analyst"]


def test_a_deactivated_admin_does_not_count_as_another_admin(world):
    admin = world.users["a"]["admin"]
    with world.scope("a"):
        manager = world.users["a"]["manager"].membership_row
        svc.user_update(membership=manager, full_name="manager a", roles=["manager", "admin"])
        svc.user_deactivate(membership=manager, actor=admin)
        with pytest.raises(ValidationError):
            svc.user_update(membership=admin.membership_row, full_name=admin.full_name, roles=["rep"])


def test_an_admin_can_deactivate_another_admin_while_one_remains(world):
    """Two admins: one may deactivate the other; the one left keeps the role."""
    admin = world.users["a"]["admin"]
    with world.scope("a"):
        manager = world.users["a"]["manager"].membership_row
        svc.user_update(membership=manager, full_name="manager a", roles=["manager", "admin"])
        svc.user_deactivate(membership=manager, actor=admin)  # allowed: admin remains
        svc.user_update(membership=admin.membership_row, full_name=admin.full_name, roles=["admin", "rep"])
        assert Membership.objects.active().with_role("admin").count() == 1


def test_update_changes_name_roles_phone(world):
    with world.scope("a"):
        rep = world.users["a"]["rep"].membership_row
        svc.user_update(membership=rep, full_name="李四", roles=["rep", "finance"], phone="021-1234",
                        employee_no="E9", language="zh-hans")
        rep = Membership.objects.select_related("user").get(pk=rep.pk)
    assert rep.user.full_name == "李四" and rep.roles == ["rep", "finance"]
    assert rep.phone == "021-1234" and rep.employee_no == "E9" and rep.user.language == "zh-hans"
