"""`make test`: the whole suite against real servers.

Starts the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are unset (and
stops them afterwards if it started them), runs Django's system checks and the missing-
migration check, then pytest: unit, integration, a real Celery worker, and Playwright in
Chromium. pytest's "no tests ran" (exit 5) counts as a failure. Extra arguments go to pytest.

The whole suite runs in ``SFE_TEST_WORKERS`` parallel pytest-xdist workers (default 2, the
CI machine's cores; 0 runs in this process). Each worker has its own test database
(``test_sfe_gw0``…) and Redis database (``sfe.settings``), and starts its own Celery worker
and Chromium when its tests need them. Given arguments run as given (no workers unless
they say ``-n``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _default_args(env: dict) -> list[str]:
    workers = env.get("SFE_TEST_WORKERS", "2")
    return ["-q"] if workers in ("", "0") else ["-q", "-n", workers]


def main(argv: list[str]) -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    env.setdefault("SFE_TEST_DB_NAME", "test_sfe")
    env.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    started = False
    if not env.get("DATABASE_URL"):
        from sfe import embedded

        state = embedded.up()
        started = not state["was_running"]
    try:
        steps = [
            [PY, "-m", "ruff", "check", "."],
            [PY, "manage.py", "check", "--fail-level", "WARNING"],
            [PY, "manage.py", "makemigrations", "--check", "--dry-run"],
            [PY, "-m", "pytest", *(argv or _default_args(env))],
        ]
        for cmd in steps:
            print("$", " ".join(cmd[1:]), flush=True)
            code = subprocess.run(cmd, cwd=ROOT, env=env).returncode
            if code == 5:
                print("pytest ran no test: that is a failure.", file=sys.stderr)
                return 1
            if code != 0:
                return code
        return 0
    finally:
        if started:
            from sfe import embedded

            embedded.down()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
