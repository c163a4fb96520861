"""What every benchmark shares: a figure beside the limit measured in the same run, fresh
databases, lead rows of the usual shape."""

from __future__ import annotations

import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Lead, Meta
from leadstate.requests.loads import parse_load_request
from leadstate.settings import Settings

DEFAULT_PG = "postgresql://postgres@127.0.0.1:5432/test"


def pg_url() -> str:
    """The PostgreSQL the benchmarks use (LEADSTATE_BENCH_PG)."""
    return os.environ.get("LEADSTATE_BENCH_PG", DEFAULT_PG)


@dataclass
class Row:
    """One measured figure, and the limit it is a fraction of (measured in the same run).

    `ratio` is figure / limit (for latencies, where lower is better, it is limit /
    figure, so that above the goal is always better); `goal` is the least ratio wanted.
    """

    backend: str
    name: str
    value: float
    unit: str
    limit: float | None = None
    limit_name: str = ""
    goal: float | None = None
    lower_is_better: bool = False
    note: str = ""
    extra: dict[str, float] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        """The figure as a fraction of its limit (None without one)."""
        if self.limit is None or not self.limit or not self.value:
            return None
        return self.limit / self.value if self.lower_is_better else self.value / self.limit

    @property
    def met(self) -> bool | None:
        """Whether the goal holds (None without one)."""
        if self.goal is None or self.ratio is None:
            return None
        return self.ratio >= self.goal


@contextmanager
def database(backend: str) -> Iterator[tuple[Settings, Callable[[str], Any]]]:
    """Settings on a fresh database; yields them and a factory of sibling databases (a
    file path on SQLite, a new schema's name on PostgreSQL)."""
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

    schemas: list[str] = []

    def new_schema(prefix: str) -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(pg_url(), autocommit=True) as conn:
            conn.execute(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        return name

    try:
        yield (
            Settings(db=pg_url(), pg_schema=new_schema("bench"), max_load_leads=10**7),
            new_schema,
        )
    finally:
        with psycopg.connect(pg_url(), autocommit=True) as conn:
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


def load(app: Leadstate, account: int, campaign: int, n: int, start: int = 0) -> float:
    """Load n leads through the loader, 10,000 per request; returns seconds (parsing the
    rows is the edge's work and is not counted)."""
    seconds = 0.0
    for offset in range(0, n, 10_000):
        request = parse_load_request(lead_rows(min(10_000, n - offset), start + offset))
        began = time.perf_counter()
        app.loading.load_leads(account, campaign, request, Meta.now("bench"))
        seconds += time.perf_counter() - began
    return seconds


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of values, in the same unit."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def new_lead(lead_id: int, campaign_id: int, contact: dict[str, Any], meta: Meta) -> Lead:
    """A READY lead of account 1, list 1, built as the loader builds one (the benches
    that write their own log, without the loader's parsing)."""
    return Lead(
        lead_id=lead_id,
        account_id=1,
        campaign_id=campaign_id,
        list_id=1,
        extern_id=contact.pop("externId"),
        contact=contact,
        lead_state="READY",
        lead_priority=0,
        max_passes=None,
        lead_timezone=None,
        caller_id=None,
        at=meta.at,
        actor=meta.actor,
        correlation_id=meta.correlation_id,
    )
