"""The Celery app for tests that start (and kill) a worker of their own: the project's app
plus ``test.slow``, a measure whose SQL sleeps, so a run can be caught in the middle.

Start with ``celery -A tests.segmentation.worker_app worker …`` (see ``workers.py``)."""

from customers.segmentation.measures import Measure, register_measure
from sfe.celery import app

SLEEP_SECONDS = 30

SLOW = Measure(key="test.slow", label="potential, after a long sleep", kind="hcp",
               sql=f"SELECT h.id, h.potential FROM customers_hcp h CROSS JOIN (SELECT pg_sleep({SLEEP_SECONDS})) s "
                   "WHERE h.tenant_id = %(tenant)s")
register_measure(SLOW)

__all__ = ["SLOW", "app"]
