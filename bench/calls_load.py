"""The web server and the load generator of ``bench/calls.py``.

The server is gunicorn as ``sfe/run.py`` starts it (``sfe.wsgi``, 2 workers × 4 threads, an
access log), ``DEBUG=0`` with the collected static files, but with the bench-only settings
``bench.calls_settings`` (the product's, with the URLconf that adds the bare baselines).

The load generator is this process: one thread per client, each with its own keep-alive
``http.client`` connection, a warm-up, then a fixed number of requests; all clients start
together (a barrier). Throughput = all measured requests ÷ the time from the common start
to the last answer. On a 2-core machine the clients, gunicorn and PostgreSQL share the
cores: the ratios compare pages served under the same conditions, not the machine's peak.
"""

from __future__ import annotations

import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORKERS, THREADS = 2, 4


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, env: dict[str, str]):
        self.port = _free_port()
        self.env = {**env, "DJANGO_SETTINGS_MODULE": "bench.calls_settings", "DEBUG": "0"}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> Server:
        cmd = [sys.executable, "-m", "gunicorn", "sfe.wsgi", "--bind", f"127.0.0.1:{self.port}", "--workers",
               str(WORKERS), "--threads", str(THREADS), "--access-logfile", "-", "--graceful-timeout", "5"]
        # Its log goes to a file, not a pipe: a pipe nobody reads would block the workers once full.
        self.log = tempfile.TemporaryFile("w+")
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=subprocess.DEVNULL,  # noqa: S603 - ours
                                     stderr=self.log, text=True, start_new_session=True)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise SystemExit(f"gunicorn exited ({self.proc.returncode}): {self.log.read()[-2000:]}")
            try:
                status, _body, _h = request(Client(self.port), "GET", "/bench/fortunes/")
                if status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__()
        raise SystemExit("gunicorn did not answer within 60 s")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)  # the group this bench started (its workers)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if getattr(self, "log", None) is not None:
            self.log.close()


class Client:
    """One keep-alive connection (reconnects if the server closed it)."""

    def __init__(self, port: int):
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def request(client: Client, method: str, path: str, headers: dict | None = None,
            body: str | None = None) -> tuple[int, bytes, http.client.HTTPResponse]:
    for attempt in (1, 2):
        try:
            client.conn.request(method, path, body=body, headers=headers or {})
            response = client.conn.getresponse()
            return response.status, response.read(), response
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
            client.conn.close()
            client.conn = http.client.HTTPConnection("127.0.0.1", client.port, timeout=60)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(latencies: list[float], wall: float | None = None) -> dict:
    out = {"n": len(latencies), "median_ms": round(statistics.median(latencies) * 1000, 2),
           "p95_ms": round(percentile(latencies, 0.95) * 1000, 2), "mean_ms": round(statistics.fmean(latencies) * 1000, 2)}
    if wall is not None:
        out["rps"] = round(len(latencies) / wall, 1)
        out["wall_s"] = round(wall, 2)
    return out


def load(port: int, path: str, *, cookie: str = "", clients: int, requests: int, warm: int,
         expect: int = 200) -> dict:
    """``clients`` threads GET ``path`` ``requests`` times each (after ``warm``), together."""
    headers = {"Cookie": cookie} if cookie else {}
    barrier = threading.Barrier(clients + 1)
    latencies: list[list[float]] = [[] for _ in range(clients)]
    ends = [0.0] * clients
    errors: list[str] = []
    sizes: list[int] = []

    def work(i: int) -> None:
        client = Client(port)
        try:
            for _ in range(warm):
                status, body, _r = request(client, "GET", path, headers)
                if status != expect:
                    errors.append(f"{path}: {status} {body[:200]!r}")
            sizes.append(len(body))
        except Exception as exc:  # noqa: BLE001 - reported below, the barrier must not hang
            errors.append(repr(exc))
        barrier.wait()
        for _ in range(requests):
            started = time.perf_counter()
            status, body, _r = request(client, "GET", path, headers)
            latencies[i].append(time.perf_counter() - started)
            if status != expect:
                errors.append(f"{path}: {status}")
        ends[i] = time.perf_counter()
        client.conn.close()

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(clients)]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    if errors:
        raise SystemExit(f"load on {path}: {len(errors)} errors, first: {errors[0]}")
    pooled = [x for per in latencies for x in per]
    return {**summary(pooled, max(ends) - started), "clients": clients, "bytes": max(sizes) if sizes else 0,
            "latencies": pooled}


def alternate(port: int, pages: dict[str, tuple[str, str]], *, rounds: int, **kw) -> dict[str, dict]:
    """Each page in turn, ``rounds`` times (so that a slow moment of the machine hits both
    sides alike); latencies pooled, throughput = all requests ÷ the summed walls."""
    got: dict[str, list[dict]] = {k: [] for k in pages}
    for _ in range(rounds):
        for key, (path, cookie) in pages.items():
            got[key].append(load(port, path, cookie=cookie, **kw))
    out = {}
    for key, runs in got.items():
        pooled = [x for r in runs for x in r["latencies"]]
        out[key] = {**summary(pooled, sum(r["wall_s"] for r in runs)), "clients": runs[0]["clients"],
                    "bytes": runs[0]["bytes"], "rounds": [{k: r[k] for k in ("rps", "median_ms", "p95_ms")} for r in runs]}
    return out


# --------------------------------------------------------------------------- POSTs


def csrf_of(port: int, path: str, cookie: str) -> tuple[str, str]:
    """The form's CSRF token and the ``csrftoken`` cookie, from one GET of ``path``."""
    status, body, response = request(Client(port), "GET", path, {"Cookie": cookie})
    if status != 200:
        raise SystemExit(f"GET {path}: {status} {body[:300]!r}")
    token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    cookies = ";".join(response.headers.get_all("Set-Cookie") or [])
    csrf = re.search(r"csrftoken=([^;]+)", cookies)
    if not token or not csrf:
        raise SystemExit(f"no CSRF token in GET {path}")
    return token.group(1).decode(), csrf.group(1)


def post_series(port: int, path: str, fields: list[tuple[str, str]], *, cookie: str, n: int, warm: int,
                expect: int = 302, location: str = "") -> list[float]:
    """One client POSTs ``fields`` (``code`` replaced by a fresh UUID each time) ``n`` times
    after ``warm``; returns the latencies."""
    client = Client(port)
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    seconds = []
    for i in range(warm + n):
        body = urllib.parse.urlencode([(k, str(uuid.uuid4()) if k == "code" else v) for k, v in fields])
        started = time.perf_counter()
        status, text, response = request(client, "POST", path, headers, body)
        took = time.perf_counter() - started
        if status != expect or location not in (response.headers.get("Location") or ""):
            raise SystemExit(f"POST {path}: {status} {response.headers.get('Location')} {text[:600]!r}")
        if i >= warm:
            seconds.append(took)
    client.conn.close()
    return seconds
