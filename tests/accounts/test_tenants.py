"""A platform operator creates tenants: from the command line and from the Django admin."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.conf import settings
from django.contrib.auth import authenticate
from django.core import mail
from django.core.management import CommandError, call_command

from accounts.models import Membership, Tenant, User
from sfe.core.tenancy import tenant_scope


def authenticate_email(email, password):
    from django.test import RequestFactory

    return authenticate(RequestFactory().post("/accounts/login/"), username=email, password=password)


def test_create_tenant_command_makes_tenant_and_first_admin(db):
    call_command("create_tenant", name="华康制药", slug="huakang-x", admin_email="Boss@HK.test",
                 admin_name="王磊", password="Very-Secret-123", currency="cny")
    tenant = Tenant.objects.get(slug="huakang-x")
    assert (tenant.time_zone, tenant.currency, tenant.default_language) == ("Asia/Shanghai", "CNY", "zh-hans")
    user = authenticate_email("boss@hk.test", "Very-Secret-123")
    assert user is not None
    with tenant_scope(tenant):
        assert Membership.objects.get(user=user).roles == ["admin"]


def test_create_tenant_without_password_sends_an_invitation(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("create_tenant", name="Acme", slug="acme", admin_email="a@acme.test", admin_name="A",
                     language="en")
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body
    assert not User.objects.get(email="a@acme.test").has_usable_password()


@pytest.mark.parametrize("args, field", [
    ({"slug": "dup"}, "slug"),
    ({"slug": "tz", "time_zone": "Mars/Olympus"}, "time_zone"),
    ({"slug": "cur", "currency": "yuan"}, "currency"),
])
def test_create_tenant_refuses_bad_input_naming_the_field_and_changes_nothing(db, args, field):
    call_command("create_tenant", name="X", slug="dup", admin_email="x@dup.test", admin_name="X", password="Very-Secret-123")
    before = (Tenant.objects.count(), User.objects.count())
    base = {"name": "Y", "admin_email": "y@y.test", "admin_name": "Y", "password": "Very-Secret-123"}
    with pytest.raises(CommandError, match=field):
        call_command("create_tenant", **{**base, **args})
    assert (Tenant.objects.count(), User.objects.count()) == before


def test_platform_operator_creates_a_tenant_in_the_django_admin(db, client):
    operator = User.objects.create_superuser("ops@platform.test", "Ops-Password-1", full_name="Ops")
    client.force_login(operator)
    response = client.post("/admin/accounts/tenant/add/", {
        "name": "瑞安医药", "slug": "ruian-x", "default_language": "zh-hans", "time_zone": "Asia/Shanghai",
        "currency": "CNY", "fiscal_year_start_month": 4, "admin_email": "admin@ruian-x.test",
        "admin_name": "李娜", "admin_password": "Admin-Password-9",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    tenant = Tenant.objects.get(slug="ruian-x")
    assert tenant.fiscal_year_start_month == 4
    assert authenticate_email("admin@ruian-x.test", "Admin-Password-9") is not None
    # The operator has no tenant: tenant pages are not theirs.
    assert client.get("/").status_code == 404


def test_check_deploy_passes_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SFE_", "PYTEST", "DJANGO_ALLOW"))}
    env.update({
        "DATABASE_URL": "postgres://sfe_app:pw@db.internal:5432/sfe",
        "DATABASE_OWNER_URL": "postgres://sfe_owner:pw@db.internal:5432/sfe",
        "REDIS_URL": "redis://cache.internal:6379/0",
        "SECRET_KEY": "k" * 20 + "-production-secret-from-the-environment-" + "x" * 20,
        "ALLOWED_HOSTS": "sfe.example.com", "DEBUG": "0",
    })
    out = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                         cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr


def test_collectstatic_succeeds_with_the_production_storage(tmp_path):
    """The Dockerfile's build step: the manifest storage follows every url() and source map
    named in the vendored files, and fails the build on one that is missing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SFE_", "PYTEST", "DJANGO_ALLOW"))}
    env.update({"SECRET_KEY": "build", "DATABASE_URL": "postgres://x@x/x", "REDIS_URL": "redis://x:6379/0",
                "DEBUG": "0", "STATIC_ROOT": str(tmp_path)})
    out = subprocess.run([sys.executable, "manage.py", "collectstatic", "--no-input", "-v0"],
                         cwd=settings.BASE_DIR, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout + out.stderr
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/bootstrap/bootstrap.min.css" in manifest and "vendor/htmx/htmx.min.js" in manifest


def test_production_settings_refuse_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SFE_", "PYTEST"))}
    env.update({"DATABASE_URL": "postgres://u:p@h/db", "REDIS_URL": "redis://h:6379/0"})
    env.pop("SECRET_KEY", None)
    out = subprocess.run([sys.executable, "manage.py", "check"], cwd=settings.BASE_DIR, env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0 and "SECRET_KEY" in out.stderr
