"""seed_demo also sets up approvals: a chain and requests waiting in the manager's inbox."""

from __future__ import annotations

import io

from django.core.management import call_command
from django.db import transaction

from accounts.models import Membership, Tenant
from approvals.models import ApprovalChain, ApprovalRequest
from approvals.services import pending_for
from sfe.core.tenancy import tenant_scope


def test_demo_manager_has_access_requests_waiting(db):
    call_command("seed_demo", reps=12, logins_file="", stdout=io.StringIO())
    tenant = Tenant.objects.get(slug="huakang")
    with tenant_scope(tenant), transaction.atomic():
        assert ApprovalChain.objects.filter(request_type="role_request", is_active=True).count() == 1
        assert ApprovalRequest.objects.filter(request_type="role_request", state="pending").count() == 3
        manager = Membership.objects.get(user__email="manager@huakang.demo")
        assert pending_for(manager).exists()
