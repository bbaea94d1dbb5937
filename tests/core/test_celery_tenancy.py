"""Issue point 6: the tenant travels with the task to a real worker and never lingers."""

from __future__ import annotations

import pytest

from sfe.core.tasks import tenant_probe
from sfe.core.tenancy import TenantScopeError

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]


def test_task_runs_in_the_enqueuing_tenant_and_the_next_task_sees_only_its_own(tworld, celery_worker_proc):
    queue = celery_worker_proc
    with tworld.scope("a"):
        result_a = tenant_probe.apply_async(queue=queue).get(timeout=60)
    with tworld.scope("b"):
        result_b = tenant_probe.apply_async(queue=queue).get(timeout=60)
    assert result_a["pid"] == result_b["pid"], "both tasks must run in the same worker process"
    a_id, b_id = tworld.tenants["a"].pk, tworld.tenants["b"].pk
    assert (result_a["tenant_id"], result_a["setting"], result_a["raw_nodes"], result_a["orm_nodes"]) == (a_id, str(a_id), 7, 7)
    assert (result_b["tenant_id"], result_b["setting"], result_b["raw_nodes"], result_b["orm_nodes"]) == (b_id, str(b_id), 7, 7)


def test_a_tenant_task_cannot_be_enqueued_without_a_tenant(tworld):
    with pytest.raises(TenantScopeError):
        tenant_probe.delay()
