"""Search latency at a million leads, for the selective criteria."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Any

from leadstate.requests.criteria import parse_criteria
from tests.backends import open_service
from tests.bench.common import Row, database, load, percentile

P95_BOUND_MS = 20.0


def bench_search(backend: str, n: int, rows: list[Row], samples: int = 300) -> None:
    """p95 of three selective searches over n leads in 10 campaigns."""
    with database(backend) as (settings, _sibling):
        app = open_service(settings)
        per_campaign = max(1, n // 10)
        for campaign in range(10):
            start = campaign * per_campaign
            load(app, 1, campaign + 1, per_campaign if campaign < 9 else n - start, start)
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
                    f"search {name} @ {n:,}, p95",
                    percentile(timings, 95),
                    "ms",
                    limit=P95_BOUND_MS,
                    limit_name="the bound",
                    goal=1.0,
                    lower_is_better=True,
                    note=f"p50 {percentile(timings, 50):.2f} ms, p99 {percentile(timings, 99):.2f} ms",
                )
            )
        app.close()
