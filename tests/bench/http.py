"""Single-lead actions over HTTP beside `/healthz` of the same server, driven by the same
load generator (client processes, so the generator's own interpreter lock is not the
limit): alone, then while a bulk job runs."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from typing import Any

from leadstate.requests.criteria import parse_criteria
from tests.backends import open_service
from tests.bench.common import Row, database, load, percentile

PREFIX = "/voice/api/v1/admin/accounts/1"
CLIENT_PROCESSES = 2
CONNECTIONS = 16
WARM_UP_SECONDS = 2.0


def free_port() -> int:
    """A free TCP port on loopback."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def request(
    port: int,
    method: str,
    path: str,
    token: str = "",
    body: Any = None,
    conn: http.client.HTTPConnection | None = None,
) -> tuple[int, Any]:
    """One request; JSON in and out."""
    own = conn is None
    connection = conn or http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(method, path, body=data, headers=headers)
    response = connection.getresponse()
    payload = response.read()
    if own:
        connection.close()
    return response.status, json.loads(payload) if payload else None


class Server:
    """A `leadstate serve` subprocess on loopback, with an API key of every scope."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        exe = [sys.executable, "-m", "leadstate.cli"]
        scopes = ("leads:read", "leads:write", "leads:delete", "admin")
        self.token = subprocess.run(
            [*exe, "keys", "create", "--account", "*", *(f"--scope={s}" for s in scopes)],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.proc = subprocess.Popen(
            [*exe, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if request(self.port, "GET", "/readyz")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def call(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One authenticated request."""
        return request(self.port, method, path, self.token, body)

    def stop(self) -> None:
        """Terminate the server."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _drive(job: dict[str, Any]) -> tuple[list[float], int]:
    """One client process: `job["threads"]` connections until `job["until"]` (a wall
    clock time); each request's milliseconds, and how many were not 200."""
    port, token, kind = job["port"], job["token"], job["kind"]
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()

    def client(mine: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        local: list[float] = []
        flip = 0
        # At least one request: on a loaded machine the client processes may start after
        # the window closed, and a run with no request at all measures nothing.
        while True:
            for lead_id in mine or [0]:
                if kind == "healthz":
                    args: tuple[Any, ...] = ("GET", "/healthz")
                else:
                    action = "SUPPRESS_LEADS" if flip % 2 == 0 else "UNSUPPRESS_LEADS"
                    args = (
                        "PUT",
                        f"{PREFIX}/campaignLeads/actions?leadAction={action}",
                        token,
                        {"campaignLeadSearchCriteria": {"leadIds": [lead_id]}},
                    )
                started = time.perf_counter()
                status, _ = request(port, *args, conn=conn)  # type: ignore[misc]
                local.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    with lock:
                        failures[0] += 1
                if time.time() >= job["until"]:
                    break
            flip += 1
            if time.time() >= job["until"]:
                break
        conn.close()
        with lock:
            latencies.extend(local)

    shares = job["shares"]
    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, failures[0]


def http_load(server: Server, kind: str, lead_ids: list[int], seconds: float) -> dict[str, float]:
    """`CONNECTIONS` connections over `CLIENT_PROCESSES` processes for `seconds`."""
    shares = [lead_ids[i::CONNECTIONS] for i in range(CONNECTIONS)]
    until = time.time() + 1.0 + seconds  # the processes start within the first second
    jobs = [
        {
            "port": server.port,
            "token": server.token,
            "kind": kind,
            "until": until,
            "shares": shares[p::CLIENT_PROCESSES],
        }
        for p in range(CLIENT_PROCESSES)
    ]
    with multiprocessing.get_context("spawn").Pool(CLIENT_PROCESSES) as pool:
        started = time.time()
        results = pool.map(_drive, jobs)
        elapsed = time.time() - max(started, until - seconds)
    latencies = [ms for found, _ in results for ms in found]
    return {
        "rps": len(latencies) / max(elapsed, 1e-9),
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "failures": float(sum(f for _, f in results)),
    }


def _note(figures: dict[str, float]) -> str:
    return (
        f"p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
        f"{int(figures['failures'])} non-200"
    )


def bench_http(
    backend: str, bulk_n: int, rows: list[Row], seconds: float = 10.0, workers: int = 0
) -> None:
    """Single-lead actions with 16 connections beside `/healthz` of the same server; then
    the same while a bulk job runs. `workers` processes (0: the server's default)."""
    with database(backend) as (settings, _sibling):
        env = {"LEADSTATE_DB": settings.db, "LEADSTATE_PG_SCHEMA": settings.pg_schema}
        if workers:
            env["LEADSTATE_WORKERS"] = str(workers)
        app = open_service(settings)
        load(app, 1, 1, 1600)
        load(app, 1, 2, bulk_n, start=1600)
        singles = app.leads.matching_ids(1, parse_criteria({"campaignIds": [1]}))
        app.close()
        server = Server(env)
        try:
            deadline = time.monotonic() + 300
            while not server.call(
                "PUT", f"{PREFIX}/campaignLeads/actions?leadAction=DIALER_REFRESH"
            )[1].get("dialerRefreshed"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the server's read models did not catch up")
            health = http_load(server, "healthz", [], seconds)
            # Warm-up, not counted: each worker's pools, caches and first code paths.
            http_load(server, "actions", singles, WARM_UP_SECONDS)
            alone = http_load(server, "actions", singles, seconds)
            rows.append(
                Row(
                    backend,
                    "single-lead actions over HTTP, 16 connections",
                    alone["rps"],
                    "req/s",
                    limit=health["rps"],
                    limit_name="/healthz of the same server",
                    goal=0.5,
                    note=f"{_note(alone)}; /healthz {_note(health)}",
                    extra=alone,
                )
            )
            rows.append(
                Row(
                    backend,
                    "their p99 latency",
                    alone["p99"],
                    "ms",
                    limit=50.0,
                    limit_name="the bound",
                    goal=1.0,
                    lower_is_better=True,
                )
            )
            status, job = server.call(
                "PUT",
                f"{PREFIX}/campaignLeads/actions?leadAction=CANCEL_LEADS",
                {"campaignLeadSearchCriteria": {"campaignIds": [2]}},
            )
            if status != 202:
                raise RuntimeError(f"bulk job was not accepted: {status} {job}")
            during = http_load(server, "actions", singles, seconds)
            _, state = server.call("GET", f"{PREFIX}/jobs/{job['jobId']}")
            rows.append(
                Row(
                    backend,
                    f"same, during a {bulk_n:,}-lead bulk job",
                    during["rps"],
                    "req/s",
                    limit=health["rps"],
                    limit_name="/healthz of the same server",
                    note=f"{_note(during)}; job {state['processed']:,}/{state['total']:,} "
                    "done meanwhile",
                    extra=during,
                )
            )
        finally:
            server.stop()
