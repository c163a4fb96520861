"""A rebuild's scan: one range of stream ids folded into the new table, in this process or
in a process of its own (`scan_worker_main`), each page committed with its cursor."""

from __future__ import annotations

import json
import logging
import os
import signal
import sys
from collections.abc import Callable
from typing import Any

from leadstate.domain import Lead
from leadstate.persistence.engine import Engine
from leadstate.projections import registry
from leadstate.projections.models import ReadModelSpec, spec_for
from leadstate.projections.replay import fold, page_mapper, scan_streams, stream_uuid
from leadstate.runtime import tune_collector
from leadstate.settings import Settings

log = logging.getLogger("leadstate.projections")

SCAN_WORKER = "from leadstate.projections.scan import scan_worker_main; scan_worker_main()"


class RebuildInterruptedError(RuntimeError):
    """The rebuild was asked to stop; it resumes from where it stopped next time."""


def scan_part(
    engine: Engine,
    spec: ReadModelSpec,
    table: str,
    horizon: int,
    part: registry.Part,
    page: int,
    check: Callable[[], None],
    on_page: Callable[[int], None],
) -> None:
    """Scan one range of aggregate ids into `table`; each page commits with its cursor."""
    store = engine.store
    mapper, keys = page_mapper(engine.mapper, store)
    is_lead = spec.aggregate is Lead
    done = part.done
    for streams in scan_streams(
        store,
        horizon=horizon,
        after=part.cursor,
        upto=part.upto,
        prefix=spec.topic_prefix,
        page=page,
    ):
        check()
        if is_lead:
            keys.load_scan_page([stream_uuid(s[0][1].originator_id) for s in streams.streams])
        aggregates = [fold(mapper, [e for _p, e in stream]) for stream in streams.streams]
        done += streams.events
        with store.write() as cur:
            spec.write_scan(store, cur, table, aggregates)
            registry.update_part(store, cur, table, part.part, cursor=streams.cursor, done=done)
        on_page(streams.events)
    with store.write() as cur:
        registry.update_part(store, cur, table, part.part, finished=1)


def _die_with_parent(parent: int) -> None:
    """Linux: be killed when the parent dies (a killed rebuild leaves no orphan)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the getppid checks below still hold
        log.debug("cannot ask to die with the parent process", exc_info=True)
    if os.getppid() != parent:
        os._exit(1)


def _scan_worker(job: dict[str, Any]) -> int:
    """A process scanning one part of a rebuild (`job` as the rebuild sends it)."""
    parent = int(job["parent"])
    _die_with_parent(parent)

    def check() -> None:
        if os.getppid() != parent:
            raise RebuildInterruptedError("the rebuilding process is gone")

    table = str(job["table"])
    part_no = int(job["part"])
    engine = Engine(Settings(**job["settings"]), pool_size=2)
    try:
        part = next(p for p in registry.parts(engine.store, table) if p.part == part_no)
        scan_part(
            engine,
            spec_for(str(job["name"])),
            table,
            int(job["horizon"]),
            part,
            int(job["page"]),
            check,
            lambda _n: None,
        )
        return 0
    except RebuildInterruptedError:
        return 3
    except Exception as error:
        log.exception("scan part %d of %s failed", part_no, table)
        with engine.store.write() as cur:
            registry.update_part(
                engine.store, cur, table, part_no, error=f"{type(error).__name__}: {error}"
            )
        return 1
    finally:
        engine.close()


def scan_worker_main() -> None:
    """Entry point of a scanning process: the job as JSON on stdin."""
    logging.basicConfig(level=logging.WARNING)
    tune_collector()
    raise SystemExit(_scan_worker(json.loads(sys.stdin.read())))
