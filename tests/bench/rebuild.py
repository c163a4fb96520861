"""Rebuilding lead_search from the log beside the limit of reading and JSON-decoding
every stored event; and a single-lead command's latency while a rebuild runs.

The log is filled directly through the recorder (events only, no read-model rows) with
leads and one action each; `rebuild_projection("lead_search")` then builds the table.
"""

from __future__ import annotations

import threading
import time

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Lead, Meta, utcnow
from leadstate.domain.params import LeadAction
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.params import parse_params
from tests.backends import open_service, wired
from tests.bench.common import Row, database, lead_rows, new_lead, percentile
from tests.bench.common import load as load_leads

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
            lead = new_lead(first + start + offset, 1 + (start + offset) % 10, data, meta)
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


def read_and_decode(app: Leadstate) -> float:
    """Events per second reading the whole log in order and JSON-decoding each state."""
    decode = app.engine.mapper.transcoder.decode
    events = 0
    started = time.perf_counter()
    for page in app.store.iter_log(1, None, 50_000):
        for _position, stored in page:
            decode(stored.state)
        events += len(page)
    return events / (time.perf_counter() - started)


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


def bench_rebuild(backend: str, n_events: int, rows: list[Row]) -> None:
    """Rebuild lead_search from about `n_events` events beside reading + decoding them;
    then again while a thread runs single-lead commands and searches."""
    with database(backend) as (settings, _sibling):
        app = open_service(settings)
        try:
            made = fill_log(app, n_events)
            limit = read_and_decode(app)
            started = time.perf_counter()
            app.read_models.rebuild_projection("lead_search")
            seconds = time.perf_counter() - started
            rows.append(
                Row(
                    backend,
                    f"rebuild lead_search, {made:,} events",
                    made / seconds,
                    "events/s",
                    limit=limit,
                    limit_name="reading + JSON-decoding every stored event",
                    goal=0.6,
                    note=f"{seconds:.1f} s, {settings.rebuild_workers or 'auto'} workers",
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
                    note=f"{len(millis):,} in {busy:.1f} s; p50 {percentile(millis, 50):.1f} ms, "
                    f"p99 {percentile(millis, 99):.1f} ms (the swap waits for the writer lock)",
                    extra={"p50": percentile(millis, 50), "p99": percentile(millis, 99)},
                )
            )
        finally:
            app.close()
