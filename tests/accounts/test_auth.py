"""Signing in: email and password, lockout after repeated failures, password reset by
email, deactivated accounts, and the language choice that sticks."""

from __future__ import annotations

import re

from django.core import mail
from django.core.management import call_command
from django.db import transaction

from accounts.models import User
from tests.conftest import PASSWORD


def _login(client, email, password):
    return client.post("/accounts/login/", {"username": email, "password": password})


def test_sign_in_with_email_is_case_insensitive(world, client):
    response = _login(client, "MANAGER@A.test", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_rep_lands_on_today_and_others_on_home_unless_next_says_otherwise(world, client):
    from django.urls import reverse

    assert _login(client, "Rep@a.test", PASSWORD)["Location"] == reverse("planning:today")
    client.logout()
    assert _login(client, "analyst@a.test", PASSWORD)["Location"] == "/"
    client.logout()
    response = client.post(reverse("login") + "?next=/customers/", {"username": "rep@a.test", "password": PASSWORD})
    assert response["Location"] == "/customers/"


def test_wrong_password_keeps_the_email_typed_and_says_why(world, client):
    response = _login(client, "rep@a.test", "wrong-password")
    body = response.content.decode()
    assert response.status_code == 200 and 'value="rep@a.test"' in body
    assert "alert-danger" in body


def test_repeated_failures_lock_the_account_even_with_the_right_password(world, client, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "rep@a.test", "wrong-password")
    response = _login(client, "rep@a.test", PASSWORD)
    assert response.status_code == 429
    # Another account is not locked by the failures on this one.
    assert _login(client, "manager@a.test", PASSWORD).status_code == 302


def test_password_reset_by_email_sets_a_new_password(world, client):
    client.post("/accounts/password/reset/", {"email": "rep@a.test"})
    assert len(mail.outbox) == 1
    link = re.search(r"https?://[^/]+(/accounts/reset/\S+/)", mail.outbox[0].body).group(1)
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    response = client.post(url, {"new_password1": "Brand-New-Pass-77", "new_password2": "Brand-New-Pass-77"})
    assert response.status_code == 302
    assert _login(client, "rep@a.test", "Brand-New-Pass-77").status_code == 302


def test_deactivated_member_cannot_sign_in_and_loses_the_open_session(world, client):
    rep = world.users["a"]["rep"]
    assert _login(client, "rep@a.test", PASSWORD).status_code == 302
    with world.scope("a"), transaction.atomic():
        membership = rep.membership_row
        membership.is_active = False
        membership.save(update_fields=["is_active"])
    response = client.get("/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert _login(client, "rep@a.test", PASSWORD).status_code == 200  # refused


def test_language_choice_is_saved_on_the_user(world, client):
    _login(client, "rep@a.test", PASSWORD)
    assert "我的岗位" in client.get("/").content.decode()
    client.post("/accounts/language/", {"language": "en", "next": "/"})
    assert User.objects.get(email="rep@a.test").language == "en"
    client.cookies.clear()  # a new browser: the choice comes from the account
    _login(client, "rep@a.test", PASSWORD)
    assert "My positions" in client.get("/").content.decode()


def test_set_language_refuses_an_outside_redirect(world, client):
    response = client.post("/accounts/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_tenant_command_prints_only_its_tenants_tree(world, capsys):
    call_command("show_org", tenant="pharma-a")
    out = capsys.readouterr().out
    assert "甲制药" in out and "浦东一区 [territory]" in out and "乙制药" not in out
    assert out.count("全国") == 1


def test_tenant_command_refuses_an_unknown_tenant(world):
    import pytest
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="nope"):
        call_command("show_org", tenant="nope")
