"""Django's Redis cache with its client object made once, not on every call.

``django.core.cache.backends.redis.RedisCacheClient.get_client`` builds a new
``redis.Redis`` for each cache operation, and redis-py fills each new one's table of
response callbacks (about 170 entries): a quarter of a millisecond of CPU per operation,
paid by every signed-in request for its session (measured in the issue 5 bench, where it was
a third of reading the session). The object keeps no state of its own beyond its connection
pool, which Django already keeps per server, so one per pool serves every call. A cache
backend instance belongs to one thread (Django's cache handler), so nothing is shared
between threads that was not shared before.
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache as DjangoRedisCache
from django.core.cache.backends.redis import RedisCacheClient as DjangoRedisCacheClient


class RedisCacheClient(DjangoRedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(DjangoRedisCache):
    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
