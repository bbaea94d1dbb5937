"""Approval fixtures: a two-step chain for the role request (direct manager, then an admin)."""

from __future__ import annotations

import pytest
from django.db import transaction

from approvals.access import KEY
from approvals.models import ApprovalChain, ApprovalChainStep, ApproverKind


def make_chain(world, key="a", *, request_type=KEY, steps=None, **conditions):
    with world.scope(key), transaction.atomic():
        chain = ApprovalChain.objects.create(request_type=request_type, name="两级审批", **conditions)
        for i, spec in enumerate(steps or [{"kind": ApproverKind.DIRECT_MANAGER},
                                           {"kind": ApproverKind.ROLE, "role": "admin"}], start=1):
            ApprovalChainStep.objects.create(chain=chain, order=i, **spec)
    return chain


@pytest.fixture
def chain(world):
    return make_chain(world)


@pytest.fixture
def tchain(tworld):
    return make_chain(tworld)


def member(world, role, key="a"):
    with world.scope(key), transaction.atomic():
        from accounts.models import Membership

        return Membership.objects.select_related("user").get(user=world.users[key][role])
