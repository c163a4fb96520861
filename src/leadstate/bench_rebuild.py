"""`leadstate bench` row: rebuilding lead_search from the log, beside per-event transactions.

The log is filled directly through the recorder (events only, no read-model rows) with
leads and one action each, then `rebuild_projection("lead_search")` builds the table
from it. For comparison, a sample of the same log is applied the way the library's
`ProjectionRunner` applies it — one transaction per event, holding the row and the
tracking position (the runner itself cannot follow SQLite) — on the same database.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from leadstate.application import LeadstateApp
from leadstate.bench import Row, database, lead_rows
from leadstate.domain import Lead, Meta, utcnow
from leadstate.domain.params import LeadAction, parse_params
from leadstate.projections import lead_search
from leadstate.projections.definitions import load
from leadstate.projections.models import render
from leadstate.projections.replay import fold

BATCH = 1_000  # leads per insert: larger statements can stall psycopg's pipeline mode


def fill_log(app: LeadstateApp, n_events: int) -> int:
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
        app.keyring.ensure([lead.id for lead in batch])
        stored = [app.mapper.to_stored_event(e) for lead in batch for e in lead.collect_events()]
        app.recorder.insert_events(stored)
        written += len(stored)
    return written


def per_event_rate(app: LeadstateApp, sample: int) -> float:
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
    app.keyring.get_many([UUID(str(e.originator_id)) for _p, e in events])
    started = time.perf_counter()
    for position, stored in events:
        oid = stored.originator_id
        key = oid if isinstance(oid, UUID) else UUID(oid)
        lead = fold(app.mapper, [stored]) if key not in folded else None
        if lead is None:
            lead = app.mapper.to_domain_event(stored).mutate(folded[key])  # type: ignore[attr-defined]
        folded[key] = lead
        with store.write() as cur:
            cur.execute(upsert, lead_search.row_for(lead))
            cur.execute(track, (position,))
    return len(events) / (time.perf_counter() - started)


def bench_rebuild(backend: str, n_events: int, rows: list[Row], sample: int = 5_000) -> None:
    """Rebuild lead_search from about `n_events` events; add the figures to `rows`."""
    with database(backend) as (settings, _sibling):
        app = LeadstateApp(settings)
        try:
            made = fill_log(app, n_events)
            started = time.perf_counter()
            app.rebuild_projection("lead_search")
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
