"""Start a Celery worker process of a test's own (its own queue, so it never takes the
shared worker's tasks, and the test may kill it)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid

from django.conf import settings
from django.db import connections


def start_worker(app_module: str = "sfe") -> tuple[subprocess.Popen, str]:
    """(process, queue): a solo-pool worker of ``app_module`` on a fresh queue, answering pings."""
    from sfe.celery import app

    queue = f"test-seg-{uuid.uuid4().hex[:8]}"
    env = dict(os.environ, SFE_DB_NAME=connections["default"].settings_dict["NAME"])
    env.pop("SFE_TESTING", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", app_module, "worker", "--pool=solo", "-Q", queue,
         "-n", f"{queue}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "--loglevel=WARNING"],
        env=env, cwd=settings.BASE_DIR,
    )
    deadline = time.time() + 60
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the Celery worker exited at start (code {proc.returncode})")
        if app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=1):
            return proc, queue
    proc.kill()
    raise RuntimeError("the Celery worker did not answer a ping within 60 s")


def stop_worker(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
