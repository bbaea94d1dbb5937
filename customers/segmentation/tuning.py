"""Database settings the recompute sets for itself (no imports: the benchmark reads them
without starting Django).

* ``WORK_MEM`` — memory for the sorts and hash joins of one recompute, set for its own
  statements and restored after: the window sorts and the join with today's tiers of
  1,000,000 customers fit in memory instead of spilling to temporary files. One run per
  line at a time (the advisory lock), so a worker holds at most a few of these.
* ``CLIENT_CHECK`` — how often a running statement checks that its worker is still
  connected (``client_connection_check_interval``): a backend whose worker was killed stops
  within that time and frees the run's lock, instead of finishing its statement first.

* ``PARALLEL_WORKERS`` — parallel workers a statement of the recompute may use (the web
  connections use none: see ``sfe/settings.py``); set for its own statements and restored
  after, with ``WORK_MEM``.
"""

WORK_MEM = "128MB"
PARALLEL_WORKERS = 2
CLIENT_CHECK = "1s"
