"""Asynchronous read models (`lead_counts`): follow the log from a tracked position.

Exactly once: each page's row changes and the new position commit in one transaction
that starts with a compare-and-set of `ls_projections` (position, table). A second
follower, or one whose table a rebuild swapped meanwhile, finds the row changed, rolls
back and re-reads. Which process follows (one at a time, by lease) is the follower
worker's business (`leadstate.workers.follower`).

A read model that cannot apply an event stops, with the reason in `ls_projection_errors`
and its status `failed`, until a rebuild replaces it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from eventsourcing.persistence import StoredEvent

from leadstate.persistence.engine import Engine
from leadstate.projections import registry
from leadstate.projections.models import ProjectionError, spec_for
from leadstate.projections.replay import fold_upto, latest_versions


class Follower:
    """Applies the log to one asynchronous read model, a page per transaction."""

    def __init__(self, engine: Engine, name: str, page: int | None = None) -> None:
        self.engine = engine
        self.store = engine.store
        self.name = name
        self.spec = spec_for(name)
        self.page = page or min(engine.settings.rebuild_page_size, 10_000)
        self.live = True  # False while its read model is stopped (until a rebuild)

    def step(self) -> int:
        """Apply the next page; how many events it consumed (0: caught up or stopped)."""
        registration = registry.registrations(self.store)[self.name]
        self.live = registration.status != "failed"
        if not self.live:
            return 0
        pages = self.store.iter_log(registration.position + 1, None, self.page)
        page: list[tuple[int, StoredEvent]] = next(iter(pages), [])
        if not page:
            return 0
        first, top = page[0][0], page[-1][0]
        versions = latest_versions(page, self.spec.topic_prefix)
        try:
            # Contact data is not read here: its keys are not fetched (a sealed contact
            # would fetch its own on first use).
            aggregates = fold_upto(self.store, self.engine.mapper, versions)
        except Exception as error:
            raise ProjectionError(
                f"{self.name} cannot fold the events at positions {first}..{top}: "
                f"{type(error).__name__}: {error}"
            ) from error
        with self.store.write() as cur:
            if not registry.advance(self.store, cur, registration, top):
                return 0  # another process moved it meanwhile (a rebuild swapped it)
            self.spec.write_tail(self.store, cur, registration.table_name, aggregates)
        return len(page)

    def catch_up(
        self, stop: threading.Event | None = None, renew: Callable[[], None] | None = None
    ) -> int:
        """Apply pages until the log's end; how many events were consumed."""
        total = 0
        while stop is None or not stop.is_set():
            count = self.step()
            if count == 0:
                break
            total += count
            if renew is not None:
                renew()
        return total
