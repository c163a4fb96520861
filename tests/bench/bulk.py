"""Loading and bulk actions, each beside its limit measured in the same run: the
library's own batched `save()` for the loader, the raw SQL of the same rows for a bulk
job; and a bulk job's rate as the store grows."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from typing import Any

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Lead, Meta, utcnow
from leadstate.persistence.engine import library_env
from leadstate.settings import Settings
from leadstate.workers.start import job_runner
from tests.backends import open_service, wired
from tests.bench.common import Row, database, lead_rows, load, new_lead, pg_url
from tests.bench.loading import loader_rows_limit

RAW_BATCH = 2_000  # rows per transaction of the raw limit, as a job's batch


def cancel_job(app: Leadstate, campaign: int, action: str = "CANCEL_LEADS") -> float:
    """Run `action` over a campaign as a bulk job in this process; leads per second."""
    job = app.actions.submit_job(
        1, *wired(action, {}, {"campaignIds": [campaign]}), Meta.now("bench")
    )
    runner = job_runner(app)
    started = time.perf_counter()
    runner.run_job(job["jobId"])
    seconds = time.perf_counter() - started
    state = app.actions.get_job(1, job["jobId"])
    assert state["status"] == "done", state
    return int(state["total"]) / seconds


def library_save(backend: str, sibling: Callable[[str], Any], n: int) -> float:
    """The library's own `save()` of 1,000 new Lead aggregates per call (no read models,
    no encryption): new aggregates per second, counting the saves alone."""
    from eventsourcing.application import Application

    if backend == "sqlite":
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": sibling("lib")}
    else:
        env = {"PERSISTENCE_MODULE": "eventsourcing.postgres", **library_env(Settings(db=pg_url()))}
        env["POSTGRES_SCHEMA"] = sibling("lib")
    env["CREATE_TABLE"] = "yes"
    app: Application[Any] = Application(env=env)
    meta = Meta("bench", "library", utcnow())
    seconds = 0.0
    for start in range(0, n, 1000):
        batch = [
            new_lead(start + i + 1, 1, row, meta)
            for i, row in enumerate(lead_rows(min(1000, n - start), start))
        ]
        began = time.perf_counter()
        app.save(*batch)
        seconds += time.perf_counter() - began
    app.close()
    return n / seconds


def raw_limit(backend: str, sibling: Callable[[str], Any], n: int) -> float:
    """Raw SQL doing a bulk job's rows: insert one event row and update one indexed view
    row per lead, ids in key order, `RAW_BATCH` per transaction; rows per second."""
    state = json.dumps({"at": "2026-01-01T00:00:00+00:00", "actor": "k", "correlation_id": "c"})
    ids = [Lead.create_id(i) for i in range(1, n + 1)]
    if backend == "sqlite":
        lite = sqlite3.connect(sibling("raw"), isolation_level=None)
        lite.execute("PRAGMA journal_mode=WAL")
        lite.execute("PRAGMA synchronous=NORMAL")
        lite.execute(
            "CREATE TABLE e (id TEXT, v INTEGER, topic TEXT, state BLOB, PRIMARY KEY (id, v))"
        )
        lite.execute("CREATE TABLE r (lead_id INTEGER PRIMARY KEY, s TEXT, v INTEGER)")
        lite.execute("CREATE INDEX r_s ON r (s, lead_id)")
        lite.executemany("INSERT INTO r VALUES (?, 'READY', 1)", [(i,) for i in range(1, n + 1)])
        started = time.perf_counter()
        for start in range(0, n, RAW_BATCH):
            chunk = range(start, min(n, start + RAW_BATCH))
            lite.execute("BEGIN")
            lite.executemany(
                "INSERT INTO e VALUES (?, 2, 'leadstate.domain.lead:Lead.Cancelled', ?)",
                [(ids[i].hex, state.encode()) for i in chunk],
            )
            lite.executemany(
                "UPDATE r SET s = 'CANCELLED', v = 2 WHERE lead_id = ?", [(i + 1,) for i in chunk]
            )
            lite.execute("COMMIT")
        seconds = time.perf_counter() - started
        lite.close()
        return n / seconds
    import psycopg

    with psycopg.connect(pg_url(), autocommit=True) as pg:
        pg.execute(f'SET search_path TO "{sibling("raw")}"')
        pg.execute(
            "CREATE TABLE e (id uuid, v bigint, topic text, state bytea, PRIMARY KEY (id, v))"
        )
        pg.execute("CREATE TABLE r (lead_id bigint PRIMARY KEY, s text, v int)")
        pg.execute("CREATE INDEX r_s ON r (s, lead_id)")
        pg.execute("INSERT INTO r SELECT g, 'READY', 1 FROM generate_series(1, %s) g", (n,))
        started = time.perf_counter()
        for start in range(0, n, RAW_BATCH):
            chunk = range(start, min(n, start + RAW_BATCH))
            with pg.transaction(), pg.cursor() as cur:
                cur.executemany(
                    "INSERT INTO e VALUES (%s, 2, 'leadstate.domain.lead:Lead.Cancelled', %s)",
                    [(ids[i], state.encode()) for i in chunk],
                )
                cur.executemany(
                    "UPDATE r SET s = 'CANCELLED', v = 2 WHERE lead_id = %s",
                    [(i + 1,) for i in chunk],
                )
        return n / (time.perf_counter() - started)


def bench_bulk(backend: str, n: int, rows: list[Row]) -> None:
    """Load n leads (beside the library's batched save), then CANCEL them as one bulk job
    (beside the raw SQL of its rows)."""
    with database(backend) as (settings, sibling):
        app = open_service(settings.model_copy(update={"batch_size": RAW_BATCH}))
        loaded = n / load(app, 1, 1, n)
        rows_by_sql = loader_rows_limit(app, settings, sibling)
        ours = cancel_job(app, 1)
        app.close()
        library = library_save(backend, sibling, min(n, 50_000))
        raw = raw_limit(backend, sibling, n)
    rows.append(
        Row(
            backend,
            f"loader, {n:,} leads",
            loaded,
            "leads/s",
            limit=library,
            limit_name="library save() of 1,000 new aggregates",
            goal=2.0,
        )
    )
    rows.append(
        Row(
            backend,
            f"loader, {n:,} leads, beside its own rows",
            loaded,
            "leads/s",
            limit=rows_by_sql,
            limit_name="the rows it wrote, re-inserted by raw SQL, a chunk per txn",
            note=f"that limit is {rows_by_sql / library:.2f}x the library's save: the ceiling "
            "of the row above",
        )
    )
    rows.append(
        Row(
            backend,
            f"bulk CANCEL job, {n:,} leads",
            ours,
            "leads/s",
            limit=raw,
            limit_name=f"raw SQL, same rows, key order, {RAW_BATCH:,}/txn",
            goal=0.25,
        )
    )


def bench_growth(backend: str, sizes: list[int], rows: list[Row], job_leads: int = 0) -> None:
    """A bulk job over the same `job_leads` leads (10,000, or the smallest size) as the
    store grows to each size; the largest store's rate as a fraction of the smallest's."""
    job_leads = job_leads or min(10_000, min(sizes))
    rates: list[tuple[int, float]] = []
    with database(backend) as (settings, _sibling):
        app = open_service(settings.model_copy(update={"batch_size": RAW_BATCH}))
        load(app, 1, 1, job_leads)
        stored = job_leads
        action = "CANCEL_LEADS"
        for size in sorted(sizes):
            if size > stored:
                load(app, 1, 2, size - stored, start=stored)
                stored = size
            rates.append((stored, cancel_job(app, 1, action)))
            action = "READY_LEADS" if action == "CANCEL_LEADS" else "CANCEL_LEADS"
        app.close()
    (first, base), (last, top) = rates[0], rates[-1]
    rows.append(
        Row(
            backend,
            f"bulk job of {job_leads:,}, store {first:,} -> {last:,} leads",
            top,
            "leads/s",
            limit=base,
            limit_name=f"the same job at {first:,} stored",
            goal=0.5,
            note=" -> ".join(f"{s:,}: {r:,.0f}/s" for s, r in rates),
        )
    )
