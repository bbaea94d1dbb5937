"""Cache keys and stored file paths carry the tenant (real Redis)."""

from __future__ import annotations

from types import SimpleNamespace

from django.core.cache import cache

from sfe.core.models import tenant_upload_to
from sfe.core.tenancy import tenant_scope


def test_one_tenants_cached_value_never_serves_another(world):
    with world.scope("a"):
        cache.set("home:counts", "A's figures", 30)
    with world.scope("b"):
        assert cache.get("home:counts") is None
        cache.set("home:counts", "B's figures", 30)
    with world.scope("a"):
        assert cache.get("home:counts") == "A's figures"
    assert cache.get("home:counts") is None  # no tenant: the platform's own key space


def test_stored_file_paths_carry_the_tenant_and_drop_the_users_file_name():
    upload_to = tenant_upload_to("receipts")
    with tenant_scope(7):
        path = upload_to(SimpleNamespace(tenant_id=None), "../../etc/发票.JPG")
    assert path.startswith("t7/receipts/") and path.endswith(".jpg") and ".." not in path
    assert upload_to(SimpleNamespace(tenant_id=9), "x.pdf").startswith("t9/receipts/")


def test_the_redis_client_is_made_once_and_still_serves_every_operation():
    """``sfe.core.cache``: one ``redis.Redis`` per connection pool, not one per operation."""
    client = cache._cache.get_client()
    cache.set("cache-client-probe", "one", 30)
    assert cache.get("cache-client-probe") == "one"
    assert cache._cache.get_client("cache-client-probe") is client
    assert cache._cache.get_client(write=True) is client  # one server: reads and writes share its pool
    cache.delete("cache-client-probe")
    assert cache.get("cache-client-probe") is None
