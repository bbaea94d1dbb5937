"""`make run`: one command from a fresh checkout to a running product.

Starts (or reuses) the embedded PostgreSQL and Redis when DATABASE_URL / REDIS_URL are
unset, migrates, loads the demo tenants on first start, then runs the web server
(gunicorn), a Celery worker and Celery beat as child processes and prints the address
and the demo logins. Ctrl-C (or SIGTERM) stops every process it started, the embedded
servers included (unless they were already running before, e.g. for `make test`).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]


def _manage(*args: str, env: dict) -> None:
    subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, check=True)


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "sfe.settings")
    started_services = False
    if not env.get("DATABASE_URL"):
        from sfe import embedded

        state = embedded.up()
        started_services = not state["was_running"]
    children: list[subprocess.Popen] = []

    def stop(*_args) -> None:
        for child in children:
            if child.poll() is None:
                try:
                    os.killpg(child.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        deadline = time.time() + 15
        for child in children:
            try:
                child.wait(max(0.1, deadline - time.time()))
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
        if started_services:
            from sfe import embedded

            embedded.down()
            print("Stopped web, worker, beat, PostgreSQL and Redis.")
        else:
            print("Stopped web, worker and beat.")

    try:
        _manage("migrate", "--no-input", "-v", "0", env=env)
        _manage("seed_demo", "--size", env.get("SIZE", "small"), "--if-empty", env=env)
        port = int(env.get("PORT") or _port(8000))
        run_dir = ROOT / "var" / "run"
        run_dir.mkdir(parents=True, exist_ok=True)
        commands = {
            "web": [PY, "-m", "gunicorn", "sfe.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                    "--threads", "4", "--access-logfile", "-", "--graceful-timeout", "5"],
            "worker": [PY, "-m", "celery", "-A", "sfe", "worker", "--loglevel", "INFO", "--concurrency", "2",
                       "-n", f"worker-{os.getpid()}@%h"],
            "beat": [PY, "-m", "celery", "-A", "sfe", "beat", "--loglevel", "INFO",
                     "--schedule", str(run_dir / "celerybeat-schedule"), "--pidfile", ""],
        }
        for cmd in commands.values():
            children.append(subprocess.Popen(cmd, cwd=ROOT, env=env, start_new_session=True))
        _wait_for_web(port)
        _banner(port)
        signal.signal(signal.SIGTERM, lambda *a: (_ for _ in ()).throw(KeyboardInterrupt()))
        while all(c.poll() is None for c in children):
            time.sleep(0.5)
        failed = [c.args[2] if len(c.args) > 2 else c.args for c in children if c.poll() is not None]
        print(f"A process stopped on its own: {failed}; stopping the others.", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop()


def _wait_for_web(port: int) -> None:
    for _ in range(120):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.5)


def _banner(port: int) -> None:
    logins_file = ROOT / "var" / "run" / "demo_logins.json"
    print("\n" + "=" * 72)
    print(f"  SFE Cloud is running at http://127.0.0.1:{port}/")
    print(f"  API docs: http://127.0.0.1:{port}/api/docs/   Health: http://127.0.0.1:{port}/health/")
    if logins_file.exists():
        rows = json.loads(logins_file.read_text(encoding="utf-8"))
        password = os.environ.get("DEMO_PASSWORD", "Demo-Pharma-2026")
        print(f"  Demo logins (password for all: {password}):")
        for row in rows:
            print(f"    {row.get('tenant', ''):<9} {row.get('role', ''):<14} {row.get('email', ''):<26} {row.get('name', '')}")
    print("  Ctrl-C stops everything.")
    print("=" * 72 + "\n", flush=True)


if __name__ == "__main__":
    sys.exit(main())
