"""`leadstate bench` row: rebuilding lead_search from the log, beside per-event transactions.

The log is filled directly through the recorder (events only, no read-model rows) with
leads and one action each, then `rebuild_projection("lead_search")` builds the table
from it. For comparison, a sample of the same log is applied the way the library's
`ProjectionRunner` applies it — one transaction per event, holding the row and the
tracking position (the runner itself cannot follow SQLite) — on the same database.
"""

from __future__ import annotations

import threading
import time
from typing import Any
from uuid import UUID

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Lead, Meta, utcnow
from leadstate.domain.params import LeadAction
from leadstate.projections import lead_search
from leadstate.projections.definitions import load
from leadstate.projections.models import render
from leadstate.projections.replay import fold
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.params import parse_params
from tests.backends import open_service, wired
from tests.bench.bench import Row, database, lead_rows, percentile
from tests.bench.bench import load as load_leads

BATCH = 1_000  # leads per insert: larger statements can stall psycopg's pipeline mode


def fill_log(app: Leadstate, n_events: int) -> int:
    """Append about `n_events` lead events (a load and one action per lead); returns how many."""
    leads = max(1, n_events // 2)
    first = app.store.allocate("lead_id", leads)
    meta = Meta("bench", "bench-rebuild", utcnow())
    manual = parse_params(
        LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "NO ANSWER", "REQUEUE": True}
    )
    written = 0
    for start in range(0, leads, BATCH):
        batch: list[Lead] = []
        for offset, data in enumerate(lead_rows(min(BATCH, leads - start), start)):
            lead = Lead(
                lead_id=first + start + offset,
                account_id=1,
                campaign_id=1 + (start + offset) % 10,
                list_id=1,
                extern_id=data.pop("externId"),
                contact=data,
                lead_state="READY",
                lead_priority=0,
                max_passes=None,
                lead_timezone=None,
                caller_id=None,
                at=meta.at,
                actor=meta.actor,
                correlation_id=meta.correlation_id,
            )
            kind = (start + offset) % 3
            if kind == 0:
                lead.suppress(meta)
            elif kind == 1:
                lead.cancel(meta)
            else:
                lead.manual_pass(manual, meta)
            batch.append(lead)
        app.engine.keyring.ensure([lead.id for lead in batch])
        stored = [
            app.engine.mapper.to_stored_event(e) for lead in batch for e in lead.collect_events()
        ]
        app.engine.recorder.insert_events(stored)
        written += len(stored)
    return written


def per_event_rate(app: Leadstate, sample: int) -> float:
    """Events/s applying the log's first `sample` events one transaction per event."""
    store = app.store
    ph = store.ph
    table = store.qualify("bench_per_event")
    tracking = store.qualify("bench_tracking")
    creates, indexes = render(load("lead_search"), store, "bench_per_event")
    store.script(
        ";\n".join([*creates, *indexes])
        + f";\nCREATE TABLE IF NOT EXISTS {tracking} (name TEXT PRIMARY KEY, position BIGINT NOT NULL)"
    )
    cols = ", ".join(lead_search.COLUMNS)
    sets = ", ".join(f"{c} = excluded.{c}" for c in lead_search.COLUMNS if c != "lead_id")
    upsert = (
        f"INSERT INTO {table} ({cols}) VALUES ({', '.join([ph] * len(lead_search.COLUMNS))}) "
        f"ON CONFLICT (lead_id) DO UPDATE SET {sets}"
    )
    track = (
        f"INSERT INTO {tracking} (name, position) VALUES ('lead_search', {ph}) "
        "ON CONFLICT (name) DO UPDATE SET position = excluded.position"
    )
    events = next(store.iter_log(1, None, sample), [])
    folded: dict[UUID, Any] = {}
    app.engine.keyring.get_many([UUID(str(e.originator_id)) for _p, e in events])
    started = time.perf_counter()
    for position, stored in events:
        oid = stored.originator_id
        key = oid if isinstance(oid, UUID) else UUID(oid)
        lead = fold(app.engine.mapper, [stored]) if key not in folded else None
        if lead is None:
            lead = app.engine.mapper.to_domain_event(stored).mutate(folded[key])  # type: ignore[attr-defined]
        folded[key] = lead
        with store.write() as cur:
            cur.execute(upsert, lead_search.row_for(lead))
            cur.execute(track, (position,))
    return len(events) / (time.perf_counter() - started)


INTERLEAVED_ACCOUNT = 2


def commands_during(app: Leadstate, lead_ids: list[int], stop: threading.Event) -> list[float]:
    """Single-lead PAUSE/READY and a search, back to back until `stop`: each one's seconds."""
    waits: list[float] = []
    turn = 0
    while not stop.is_set():
        lead_id = lead_ids[turn % len(lead_ids)]
        action = "PAUSE_LEADS" if (turn // len(lead_ids)) % 2 == 0 else "READY_LEADS"
        started = time.perf_counter()
        app.actions.apply_action(
            INTERLEAVED_ACCOUNT, *wired(action, None, {"leadIds": [lead_id]}), Meta.now("b")
        )
        app.leads.search(INTERLEAVED_ACCOUNT, parse_criteria({"leadIds": [lead_id]}))
        waits.append(time.perf_counter() - started)
        turn += 1
    return waits


def bench_rebuild(backend: str, n_events: int, rows: list[Row], sample: int = 5_000) -> None:
    """Rebuild lead_search from about `n_events` events (alone, then again while a thread
    runs single-lead commands and searches); add the figures to `rows`."""
    with database(backend) as (settings, _sibling):
        app = open_service(settings)
        try:
            made = fill_log(app, n_events)
            started = time.perf_counter()
            app.read_models.rebuild_projection("lead_search")
            seconds = time.perf_counter() - started
            ours = made / seconds
            naive = per_event_rate(app, min(sample, made))
            rows.append(
                Row(
                    backend,
                    f"rebuild lead_search from {made:,} events",
                    ours,
                    "events/s",
                    f"{seconds:.1f} s; {ours / naive:.0f}x per-event transactions; "
                    f"page {settings.rebuild_page_size:,}",
                    {"seconds": seconds, "per_event": naive},
                )
            )
            rows.append(
                Row(
                    backend,
                    "per-event transactions (ProjectionRunner way)",
                    naive,
                    "events/s",
                    f"first {min(sample, made):,} events, row + tracking per transaction",
                )
            )
            load_leads(app, INTERLEAVED_ACCOUNT, 1, 100)
            found = app.leads.search(INTERLEAVED_ACCOUNT, parse_criteria({"campaignIds": [1]}))
            lead_ids = [int(view["leadId"]) for view in found]
            stop = threading.Event()
            waits: list[float] = []
            worker = threading.Thread(
                target=lambda: waits.extend(commands_during(app, lead_ids, stop))
            )
            worker.start()
            started = time.perf_counter()
            try:
                app.read_models.rebuild_projection("lead_search")
            finally:
                stop.set()
                worker.join()
            busy = time.perf_counter() - started
            millis = [w * 1000 for w in waits]
            rows.append(
                Row(
                    backend,
                    "command + search during a rebuild: longest",
                    max(millis),
                    "ms",
                    f"{len(millis):,} in {busy:.1f} s; p50 {percentile(millis, 50):.1f} ms, "
                    f"p99 {percentile(millis, 99):.1f} ms (the swap waits for the writer lock)",
                    {"p50": percentile(millis, 50), "p99": percentile(millis, 99)},
                )
            )
        finally:
            app.close()


def main() -> None:
    """`python -m leadstate.bench_rebuild [backend] [n_events]`: print the rows."""
    import sys

    backend = sys.argv[1] if len(sys.argv) > 1 else "sqlite"
    n_events = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    rows: list[Row] = []
    bench_rebuild(backend, n_events, rows)
    for row in rows:
        print(f"{row.backend:8} {row.name:50} {row.value:12,.0f} {row.unit:8} {row.note}")


if __name__ == "__main__":
    main()
