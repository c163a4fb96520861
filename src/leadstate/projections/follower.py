"""Asynchronous read models (`lead_counts`): follow the log from a tracked position.

Exactly once: each page's row changes and the new position commit in one transaction
that starts with a compare-and-set of `ls_projections` (position, table). A second
follower, or one whose table a rebuild swapped meanwhile, finds the row changed, rolls
back and re-reads. Exactly one process follows at a time all the same:

- PostgreSQL: the follower holds `pg_try_advisory_lock` on a dedicated connection and
  LISTENs there on the library's channel (the events table's name), which every event
  insert NOTIFYs: it wakes on commits, it does not poll. When its process dies, the
  server ends that session and frees the lock; a standby, retrying the lock every
  second, takes over within seconds.
- SQLite: a lease (`ls_leases`, renewed every page and pass) and polling of the log;
  another process takes over once the lease lapses (at once if the holder is a dead
  process of this host).

A read model that cannot apply an event stops, with the reason in `ls_projection_errors`
and its status `failed`, until a rebuild replaces it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from eventsourcing.persistence import StoredEvent

from leadstate.persistence.postgres import advisory_key
from leadstate.projections import registry
from leadstate.projections.models import ASYNC_READ_MODELS, ProjectionError, spec_for
from leadstate.projections.rebuild import claim, drop_retired, new_owner
from leadstate.projections.replay import fold_upto, latest_versions

if TYPE_CHECKING:
    from leadstate.application import LeadstateApp

log = logging.getLogger("leadstate.projections")

LEASE_SECONDS = 5.0
POLL_SECONDS = 0.2
STANDBY_SECONDS = 1.0
WAKE_BACKSTOP_SECONDS = 5.0
MAINTENANCE_SECONDS = 10.0


class _Conflict(Exception):
    """Another writer moved the position or swapped the table first."""


class _LostLeaseError(Exception):
    """Another process took the follower lease over."""


class Follower:
    """Applies the log to one asynchronous read model, a page per transaction."""

    def __init__(self, app: LeadstateApp, name: str, page: int | None = None) -> None:
        self.app = app
        self.store = app.store
        self.name = name
        self.spec = spec_for(name)
        self.page = page or min(app.settings.rebuild_page_size, 10_000)
        self.conflicts = 0

    def step(self) -> int:
        """Apply the next page; how many events it consumed (0: caught up or stopped)."""
        registration = registry.registrations(self.store)[self.name]
        if registration.status == "failed":
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
            aggregates = fold_upto(self.store, self.app.mapper, versions)
        except Exception as error:
            raise ProjectionError(
                f"{self.name} cannot fold the events at positions {first}..{top}: "
                f"{type(error).__name__}: {error}"
            ) from error
        ph = self.store.ph
        try:
            with self.store.write() as cur:
                cur.execute(
                    f"UPDATE {self.store.qualify('ls_projections')} SET position = {ph} "
                    f"WHERE name = {ph} AND position = {ph} AND table_name = {ph} "
                    "RETURNING position",
                    (top, self.name, registration.position, registration.table_name),
                )
                if cur.fetchone() is None:
                    raise _Conflict
                self.spec.write_tail(self.store, cur, registration.table_name, aggregates)
        except _Conflict:
            self.conflicts += 1
            return 0
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


class FollowerWorker:
    """Runs the asynchronous read models in a thread of this process, when it leads."""

    def __init__(self, app: LeadstateApp, names: Sequence[str] = ASYNC_READ_MODELS) -> None:
        self.app = app
        self.followers = [Follower(app, name) for name in names]
        self.owner = new_owner()
        self.leading = threading.Event()
        self.failed: dict[str, str] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._maintained = time.monotonic()

    def start(self) -> None:
        """Follow in a daemon thread."""
        self._thread = threading.Thread(target=self.run, name="projection-follower", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop following (the lock or lease is given up)."""
        self._stop.set()
        if self.app.settings.is_postgres and self.leading.is_set():
            # Wake the LISTEN wait now rather than at its backstop timeout.
            channel = str(getattr(self.app.recorder, "channel_name", "leadstate_events"))
            with self.app.store.write() as cur:
                cur.execute(f'NOTIFY "{channel}"')
        if self._thread is not None:
            self._thread.join(timeout)

    def _lead(self, leading: bool) -> None:
        if leading != self.leading.is_set():
            log.info("projection follower: %s", "following the log" if leading else "standing by")
        if leading:
            self.leading.set()
        else:
            self.leading.clear()

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def run(self) -> None:
        """Lead when possible and follow; stand by otherwise. Until stopped."""
        try:
            if self.app.settings.is_postgres:
                self._run_postgres()
            else:
                self._run_sqlite()
        finally:
            self.leading.clear()

    def _pass(self, renew: Callable[[], None] | None = None) -> int:
        """Catch every followed read model up; stop one that cannot apply an event."""
        total = 0
        for follower in self.followers:
            if follower.name in self.failed:
                continue
            try:
                total += follower.catch_up(self._stop, renew)
            except ProjectionError as error:
                reason = str(error)
                self.failed[follower.name] = reason
                log.error("read model %s stopped: %s", follower.name, reason)
                registry.set_error(self.app.store, follower.name, reason)
        if time.monotonic() - self._maintained > MAINTENANCE_SECONDS:
            self._maintained = time.monotonic()
            drop_retired(self.app)
        return total

    def _run_sqlite(self) -> None:
        lease = "projection-follower"
        store = self.app.store

        def renew() -> None:
            if not claim(store, lease, self.owner, LEASE_SECONDS):
                raise _LostLeaseError("another process took the follower lease over")

        try:
            while not self._stop.is_set():
                try:
                    if not claim(store, lease, self.owner, LEASE_SECONDS):
                        self._lead(False)
                        self._stop.wait(STANDBY_SECONDS)
                        continue
                    self._lead(True)
                    if self._pass(renew) == 0:
                        self._stop.wait(POLL_SECONDS)
                except Exception:
                    log.exception("projection follower pass failed; retrying")
                    self._stop.wait(STANDBY_SECONDS)
        finally:
            if self.leading.is_set():
                store.release_lease(lease, self.owner)

    def _run_postgres(self) -> None:
        import psycopg

        settings = self.app.settings
        key = advisory_key(settings.pg_schema, "projection:followers")
        channel = str(getattr(self.app.recorder, "channel_name", "leadstate_events"))
        while not self._stop.is_set():
            try:
                with psycopg.connect(settings.db, autocommit=True) as conn:
                    while not self._stop.is_set():
                        row = conn.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()
                        if not row or not row[0]:
                            self._lead(False)
                            self._stop.wait(STANDBY_SECONDS)
                            continue
                        self._lead(True)
                        conn.execute(f'LISTEN "{channel}"')
                        while not self._stop.is_set():
                            self._pass()
                            for _ in conn.notifies(timeout=WAKE_BACKSTOP_SECONDS, stop_after=1):
                                pass
            except Exception:
                self._lead(False)
                log.exception("projection follower lost its connection; retrying")
                self._stop.wait(STANDBY_SECONDS)
