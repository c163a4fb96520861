"""`leadstate bench`: the speed figures of the README, measured in one run.

Every row runs on a fresh database (a temporary SQLite file, or a throw-away schema
of the PostgreSQL given by LEADSTATE_BENCH_PG) so the figures are comparable.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Lead, Meta, utcnow
from leadstate.persistence.engine import library_env
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.loads import parse_load_request
from leadstate.settings import Settings
from leadstate.workers.start import job_runner
from tests.backends import open_service, wired

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass
class Row:
    """One measured figure."""

    backend: str
    name: str
    value: float
    unit: str
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)


@contextmanager
def database(backend: str) -> Iterator[tuple[Settings, Callable[[str], Any]]]:
    """Settings on a fresh database; yields them and a factory of sibling settings."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="leadstate-bench-")
        try:
            yield (
                Settings(db=os.path.join(folder, "bench.db"), max_load_leads=10**7),
                lambda name: os.path.join(folder, f"{name}.db"),
            )
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg

    url = os.environ.get("LEADSTATE_BENCH_PG", DEFAULT_PG)
    schemas: list[str] = []

    def new_schema(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        return name

    try:
        yield (
            Settings(db=url, pg_schema=new_schema("bench"), max_load_leads=10**7),
            new_schema,
        )
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            for name in schemas:
                conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def lead_rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    """N leads of the usual shape: a name, a phone, an email, an address."""
    return [
        {
            "externId": f"X{i}",
            "leadPhone": f"2{i:09d}",
            "firstName": f"First{i}",
            "lastName": f"Last{i}",
            "email": f"lead{i}@example.com",
            "address1": f"{i} Main Street",
            "city": "Springfield",
            "state": "IL",
            "zip": f"{i % 100000:05d}",
        }
        for i in range(start, start + n)
    ]


def load(app: Leadstate, account: int, campaign: int, n: int) -> float:
    """Load n leads through the loader, 10,000 per request; returns seconds."""
    started = time.perf_counter()
    for start in range(0, n, 10_000):
        rows = lead_rows(min(10_000, n - start), start)
        app.loading.load_leads(account, campaign, parse_load_request(rows), Meta.now("bench"))
    return time.perf_counter() - started


def bench_bulk(backend: str, n: int, rows: list[Row]) -> None:
    """Bulk CANCEL as a job, beside the naive library path and the raw SQL limit."""
    with database(backend) as (settings, sibling):
        settings = settings.model_copy(update={"batch_size": 2000})
        app = open_service(settings)
        seconds = load(app, 1, 1, n)
        rows.append(Row(backend, "load via loader", n / seconds, "leads/s", f"N={n}"))
        job = app.actions.submit_job(
            1, *wired("CANCEL_LEADS", {}, {"campaignIds": [1]}), Meta.now("bench")
        )
        runner = job_runner(app)
        started = time.perf_counter()
        runner.run_job(job["jobId"])
        ours = n / (time.perf_counter() - started)
        assert app.actions.get_job(1, job["jobId"])["processed"] == n
        app.close()
        naive = bench_naive(backend, sibling, min(n, 20_000))
        raw = bench_raw(backend, sibling, n)
        rows.append(
            Row(
                backend,
                "bulk CANCEL job",
                ours,
                "leads/s",
                f"N={n}; {ours / naive:.1f}x naive, {ours / raw:.0%} of raw",
                {"naive": naive, "raw": raw},
            )
        )
        rows.append(Row(backend, "naive library path", naive, "leads/s", "get+command+save"))
        rows.append(Row(backend, "raw SQL limit", raw, "leads/s", "executemany, one txn"))


def bench_naive(backend: str, sibling: Callable[[str], Any], n: int) -> float:
    """The library's plain path: repository.get + command + save, one lead per save."""
    from eventsourcing.application import Application

    if backend == "sqlite":
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sibling("naive")}
    else:
        url = Settings(db=os.environ.get("LEADSTATE_BENCH_PG", DEFAULT_PG))
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", **library_env(url)}
        env["POSTGRES_SCHEMA"] = sibling("naive")
    env["CREATE_TABLE"] = "yes"
    app: Application[Any] = Application(env=env)
    meta = Meta("bench", "naive", utcnow())
    ids = []
    batch = []
    for i, row in enumerate(lead_rows(n)):
        lead = Lead(
            lead_id=i + 1,
            account_id=1,
            campaign_id=1,
            list_id=1,
            extern_id=row["externId"],
            contact=row,
            lead_state="READY",
            lead_priority=0,
            max_passes=None,
            lead_timezone=None,
            caller_id=None,
            at=meta.at,
            actor="bench",
            correlation_id="naive",
        )
        ids.append(lead.id)
        batch.append(lead)
        if len(batch) == 1000:
            app.save(*batch)
            batch = []
    if batch:
        app.save(*batch)
    started = time.perf_counter()
    for lead_id in ids:
        lead = app.repository.get(lead_id)
        lead.cancel(meta)
        app.save(lead)
    rate = n / (time.perf_counter() - started)
    app.close()
    return rate


def bench_raw(backend: str, sibling: Callable[[str], Any], n: int) -> float:
    """Insert N event rows and update N view rows with executemany, in one transaction."""
    state = json.dumps({"at": "2026-01-01T00:00:00+00:00", "actor": "k", "correlation_id": "c"})
    events = [
        (uuid.uuid4().hex, 2, "leadstate.domain.lead:Lead.Cancelled", state.encode())
        for _ in range(n)
    ]
    updates = [("CANCELLED", 1, i) for i in range(n)]
    if backend == "sqlite":
        import sqlite3

        lite = sqlite3.connect(sibling("raw"), isolation_level=None)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=NORMAL")
        lite.execute(
            "CREATE TABLE e (id TEXT, v INTEGER, topic TEXT, state BLOB, PRIMARY KEY (id, v))"
        )
        lite.execute("CREATE TABLE r (lead_id INTEGER PRIMARY KEY, s TEXT, v INTEGER)")
        lite.executemany("INSERT INTO r VALUES (?, 'READY', 1)", [(i,) for i in range(n)])
        started = time.perf_counter()
        lite.execute("BEGIN")
        lite.executemany("INSERT INTO e VALUES (?, ?, ?, ?)", events)
        lite.executemany("UPDATE r SET s = ?, v = ? WHERE lead_id = ?", updates)
        lite.execute("COMMIT")
        seconds = time.perf_counter() - started
        lite.close()
        return n / seconds
    import psycopg

    url = os.environ.get("LEADSTATE_BENCH_PG", DEFAULT_PG)
    schema = sibling("raw")
    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute(f'SET search_path TO "{schema}"')
        pg.execute(
            "CREATE TABLE e (id uuid, v bigint, topic text, state bytea, PRIMARY KEY (id, v))"
        )
        pg.execute("CREATE TABLE r (lead_id bigint PRIMARY KEY, s text, v int)")
        with pg.cursor() as pcur:
            pcur.executemany("INSERT INTO r VALUES (%s, 'READY', 1)", [(i,) for i in range(n)])
        started = time.perf_counter()
        with pg.transaction(), pg.cursor() as pcur:
            pcur.executemany("INSERT INTO e VALUES (%s, %s, %s, %s)", events)
            pcur.executemany("UPDATE r SET s = %s, v = %s WHERE lead_id = %s", updates)
        return n / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values, in the same unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def bench_search(backend: str, n: int, rows: list[Row], samples: int = 300) -> None:
    """Search latency at n leads for the selective criteria."""
    with database(backend) as (settings, _sibling):
        app = open_service(settings)
        per_campaign = max(1, n // 10)
        for campaign in range(10):
            start = campaign * per_campaign
            count = per_campaign if campaign < 9 else n - start
            for offset in range(0, count, 10_000):
                chunk = lead_rows(min(10_000, count - offset), start + offset)
                app.loading.load_leads(1, campaign + 1, parse_load_request(chunk), Meta.now("b"))
        rng = random.Random(7)
        cases: dict[str, Callable[[], dict[str, Any]]] = {
            "phone": lambda: {"leadPhoneNum": f"2{rng.randrange(n):09d}"},
            "externId": lambda: {"externIds": [f"X{rng.randrange(n)}"]},
            "campaign+state page": lambda: {
                "campaignIds": [rng.randrange(10) + 1],
                "leadStates": ["READY"],
            },
        }
        for name, make in cases.items():
            timings = []
            for _ in range(samples):
                criteria = parse_criteria(make())
                started = time.perf_counter()
                app.leads.search(1, criteria, page=rng.randrange(5), max_rows=100)
                timings.append((time.perf_counter() - started) * 1000)
            rows.append(
                Row(
                    backend,
                    f"search {name} @ {n:,}",
                    percentile(timings, 95),
                    "ms p95",
                    f"p50 {percentile(timings, 50):.2f} ms, p99 {percentile(timings, 99):.2f} ms",
                    {"p50": percentile(timings, 50), "p99": percentile(timings, 99)},
                )
            )
        app.close()


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A `leadstate serve` subprocess on loopback."""

    def __init__(self, env: dict[str, str]) -> None:
        self.port = free_port()
        self.env = {**os.environ, **env}
        exe = [sys.executable, "-m", "leadstate.cli"]
        token = subprocess.run(
            [
                *exe,
                "keys",
                "create",
                "--account",
                "*",
                "--scope",
                "leads:read",
                "--scope",
                "leads:write",
                "--scope",
                "leads:delete",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        self.token = token
        self.proc = subprocess.Popen(
            [*exe, "serve", "--host", "127.0.0.1", "--port", str(self.port)],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("GET", "/readyz")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("server did not become ready")

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        conn: http.client.HTTPConnection | None = None,
    ) -> tuple[int, Any]:
        """One request; JSON in and out."""
        own = conn is None
        connection = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        payload = response.read()
        if own:
            connection.close()
        return response.status, json.loads(payload) if payload else None

    def stop(self) -> None:
        """Terminate the server."""
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


PREFIX = "/voice/api/v1/admin/accounts/1"


def http_load(
    server: Server, lead_ids: list[int], clients: int, seconds: float
) -> dict[str, float]:
    """`clients` threads, each with its own leads, toggling suppression one lead at a time."""
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds
    shares = [lead_ids[i::clients] for i in range(clients)]

    def client(mine: list[int]) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
        local: list[float] = []
        flip = 0
        while time.monotonic() < stop_at:
            for lead_id in mine:
                action = "SUPPRESS_LEADS" if flip % 2 == 0 else "UNSUPPRESS_LEADS"
                started = time.perf_counter()
                status, _ = server.request(
                    "PUT",
                    f"{PREFIX}/campaignLeads/actions?leadAction={action}",
                    {"campaignLeadSearchCriteria": {"leadIds": [lead_id]}},
                    conn,
                )
                local.append((time.perf_counter() - started) * 1000)
                if status != 200:
                    with lock:
                        failures[0] += 1
                if time.monotonic() >= stop_at:
                    break
            flip += 1
        conn.close()
        with lock:
            latencies.extend(local)

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {
        "rps": len(latencies) / elapsed,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "failures": float(failures[0]),
    }


def bench_http(backend: str, bulk_n: int, rows: list[Row], seconds: float = 10.0) -> None:
    """Single-lead actions over HTTP with 16 clients: alone, then beside a bulk job."""
    with database(backend) as (settings, _sibling):
        env = {"LEADSTATE_DB": settings.db, "LEADSTATE_PG_SCHEMA": settings.pg_schema}
        app = open_service(settings)
        load(app, 1, 1, 1600)
        load(app, 1, 2, bulk_n)
        singles = app.leads.matching_ids(1, parse_criteria({"campaignIds": [1]}))
        app.close()
        server = Server(env)
        try:
            # The server's follower first catches the counts up with the load: wait for it.
            deadline = time.monotonic() + 300
            while not server.request(
                "PUT", f"{PREFIX}/campaignLeads/actions?leadAction=DIALER_REFRESH"
            )[1].get("dialerRefreshed"):
                if time.monotonic() > deadline:
                    raise RuntimeError("the server's read models did not catch up")
            alone = http_load(server, singles, 16, seconds)
            rows.append(_http_row(backend, "single-lead actions, 16 clients", alone))
            status, job = server.request(
                "PUT",
                f"{PREFIX}/campaignLeads/actions?leadAction=CANCEL_LEADS",
                {"campaignLeadSearchCriteria": {"campaignIds": [2]}},
            )
            if status != 202:
                raise RuntimeError(f"bulk job was not accepted: {status} {job}")
            during = http_load(server, singles, 16, seconds)
            job_id = job.get("jobId") or job.get("job", {}).get("jobId")
            _, state = server.request("GET", f"{PREFIX}/jobs/{job_id}")
            row = _http_row(backend, f"same, during a {bulk_n:,}-lead bulk job", during)
            row.note += f"; job {state['processed']:,}/{state['total']:,} done meanwhile"
            rows.append(row)
        finally:
            server.stop()


def _http_row(backend: str, name: str, figures: dict[str, float]) -> Row:
    return Row(
        backend,
        name,
        figures["rps"],
        "req/s",
        f"p50 {figures['p50']:.1f} ms, p99 {figures['p99']:.1f} ms, "
        f"{int(figures['failures'])} non-200",
        figures,
    )


def run(
    backends: list[str],
    bulk_n: int,
    search_n: int,
    http_seconds: float,
    only: set[str],
    report: Callable[[Row], None],
    rebuild_events: int = 1_000_000,
) -> list[Row]:
    """Every benchmark on every backend; `report` is called as each row lands."""
    from tests.bench.bench_rebuild import bench_rebuild

    rows: list[Row] = []
    for backend in backends:
        for name in BENCHMARKS:
            if only and name not in only:
                continue
            before = len(rows)
            if name == "bulk":
                bench_bulk(backend, bulk_n, rows)
            elif name == "http":
                bench_http(backend, bulk_n, rows, http_seconds)
            elif name == "search":
                bench_search(backend, search_n, rows)
            else:
                bench_rebuild(backend, rebuild_events, rows)
            for row in rows[before:]:
                report(row)
    return rows


BENCHMARKS = ("bulk", "http", "search", "rebuild")
