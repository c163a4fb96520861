"""Blue/green rebuilds of read models (SPEC §7), resumable after a crash.

A rebuild makes a fresh table `rm_<name>_v<version>_<suffix>` beside the live one while
the service keeps serving from, and writing to, the live one:

1. **scan**: every aggregate is folded from its events up to a horizon (the log's end
   when the build started), reading `stored_events` in aggregate order, a page at a
   time; its rows are inserted with `executemany`. Each page's rows and the resume
   cursor commit together, so a killed rebuild resumes where it stopped. Indexes are
   created after the bulk insert.
2. **tail**: the events recorded since the horizon are applied in log order, a page at
   a time (the aggregates they touch re-folded up to the page's end), the position
   committed with the rows.
3. **swap**: for a synchronous read model, one transaction takes the event writers'
   lock (`Store.lock_writers`), applies the last events, points `ls_projections` at
   the new table and bumps the generation (see `routing` for how every process
   follows). For the asynchronous one, the follower's compare-and-set on
   (position, table) makes the swap atomic without the writers' lock.
4. the replaced table is kept (and still written) for a grace period, then dropped.

A newer `-- version:` built beside a running older service is left **staged**: the
service starting with the new code catches it up and swaps it in before serving.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from leadstate.domain import Lead
from leadstate.persistence.base import Positioned
from leadstate.persistence.engine import Engine
from leadstate.persistence.leases import Leases
from leadstate.projections import registry
from leadstate.projections.definitions import ReadModelDef, load
from leadstate.projections.models import ASYNC_READ_MODELS, ReadModelSpec, render, spec_for
from leadstate.projections.replay import (
    fold_streams,
    fold_upto,
    latest_versions,
    page_mapper,
    part_bounds,
)
from leadstate.projections.scan import SCAN_WORKER, RebuildInterruptedError, scan_part

log = logging.getLogger("leadstate.projections")

LEASE_SECONDS = 15.0
RETIRE_GRACE_SECONDS = 60.0
PARALLEL_MIN_EVENTS = 200_000
MAX_WORKERS = 4


class RebuildBusyError(RuntimeError):
    """Another live process is rebuilding this read model."""


@dataclass(frozen=True)
class Progress:
    """Where a rebuild is: shown by `projections status`, the CLI bar and the API."""

    name: str
    table: str
    version: int
    phase: str
    done: int
    total: int
    position: int
    head: int
    rate: float
    eta_seconds: float | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, camelCase as the API shows it."""
        data = asdict(self)
        return {
            "table": data["table"],
            "version": data["version"],
            "phase": data["phase"],
            "done": data["done"],
            "total": data["total"],
            "position": data["position"],
            "head": data["head"],
            "eventsPerSecond": round(data["rate"], 1),
            "etaSeconds": None if data["eta_seconds"] is None else round(data["eta_seconds"], 1),
            "percent": round(100.0 * data["done"] / data["total"], 1) if data["total"] else 100.0,
        }


def progress_of(build: registry.Build, head: int) -> Progress:
    """A build row as progress (ETA from its recorded rate)."""
    remaining = max(0, build.total - build.done)
    if build.phase != "scan":
        remaining = max(0, head - build.position)
    eta = remaining / build.rate if build.rate > 0 else None
    return Progress(
        name=build.name,
        table=build.table_name,
        version=build.version,
        phase=build.phase,
        done=build.done,
        total=build.total,
        position=build.position if build.phase != "scan" else 0,
        head=head,
        rate=build.rate,
        eta_seconds=eta,
    )


class Rebuild:
    """One rebuild of one read model, run to the swap (or to staged)."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        *,
        swap: bool | None = None,
        page: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        wait_for_lease: bool = False,
        upgrade: bool = False,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.leases = Leases(engine.store)
        self.spec: ReadModelSpec = spec_for(name)
        self.definition: ReadModelDef = load(name)
        self.name = name
        self.swap = swap
        self.page = page or engine.settings.rebuild_page_size
        self.on_progress = on_progress
        self.stop = stop or threading.Event()
        self.wait_for_lease = wait_for_lease
        self.upgrade = upgrade
        self.lease = self.leases.lease(f"rebuild:{name}", LEASE_SECONDS)
        self.build: registry.Build | None = None
        self._started = time.monotonic()
        self._done_here = 0
        self._holding = False

    # -- lease and build row -----------------------------------------------------------

    def prepare(self) -> registry.Build | None:
        """Take the lease and find the build to resume, or start one.

        With `upgrade`, None when the registered version is already the definition's
        (another process upgraded it while this one waited for the lease).
        """
        while not self.lease.claim():
            if not self.wait_for_lease:
                holder = self.lease.holder()
                raise RebuildBusyError(
                    f"{self.name} is being rebuilt by {holder or 'another process'}"
                )
            if self.stop.wait(0.5):
                raise RebuildInterruptedError(f"stopped waiting to rebuild {self.name}")
        self._holding = True
        try:
            if self.upgrade:
                registered = registry.registrations(self.store)[self.name].version
                if registered >= self.definition.version:
                    self.release()
                    return None
            self.build = self._resume_or_create()
        except BaseException:
            self.release()
            raise
        return self.build

    def release(self) -> None:
        """Give the lease up."""
        if self._holding:
            self._holding = False
            self.lease.release()

    def _renew(self) -> None:
        if not self.lease.claim():
            raise RebuildBusyError(f"lost the lease on rebuilding {self.name}")

    def _resume_or_create(self) -> registry.Build:
        version = self.definition.version
        for build in registry.builds(self.store, name=self.name):
            if build.version == version and build.status in ("building", "staged"):
                log.info("resuming rebuild of %s into %s", self.name, build.table_name)
                return build
        registry.forget_failed_builds(self.store, self.name)
        table = f"rm_{self.name}_v{version}_{secrets.token_hex(4)}"
        horizon = self.store.max_position()
        total = self.store.count_events(start=1, stop=horizon, prefix=self.spec.topic_prefix)
        now = time.time()
        build = registry.Build(
            table_name=table,
            name=self.name,
            version=version,
            status="building",
            phase="scan",
            horizon=horizon,
            cursor="",
            position=horizon,
            done=0,
            total=total,
            rate=0.0,
            started_at=now,
            updated_at=now,
            drop_after=None,
            error=None,
        )
        registry.insert_build(self.store, build)
        return build

    # -- running -----------------------------------------------------------------------

    def run(self) -> registry.Build | None:
        """Build, catch up and swap (or stage); the lease is released at the end.

        None when an `upgrade` found nothing left to do.
        """
        if self.build is None and self.prepare() is None:
            return None
        assert self.build is not None
        try:
            registration = registry.registrations(self.store)[self.name]
            if registration.version > self.definition.version:
                raise RuntimeError(
                    f"{self.name} is at version {registration.version} in the database; "
                    f"this code defines version {self.definition.version}"
                )
            swap = self.swap
            if swap is None:
                swap = registration.version == self.definition.version
            tables, indexes = render(self.definition, self.store, self.build.table_name)
            if self.build.phase == "scan":
                self.store.script(";\n".join(tables))
                self._scan(indexes)
            scanned = time.monotonic()
            self._catch_up()
            log.info("%s: tail caught up in %.1f s", self.name, time.monotonic() - scanned)
            if not swap:
                with self.store.write() as cur:
                    registry.update_build(self.store, cur, self.build.table_name, status="staged")
                self.build = self._reload()
                log.info(
                    "%s staged in %s at %d", self.name, self.build.table_name, self.build.position
                )
                return self.build
            self._swap()
            return self.build
        except (RebuildInterruptedError, RebuildBusyError):
            raise
        except BaseException as error:
            if isinstance(error, Exception):
                self._fail(error)
            raise
        finally:
            self.release()

    def _fail(self, error: Exception) -> None:
        assert self.build is not None
        reason = f"{type(error).__name__}: {error}"
        log.error("rebuild of %s failed: %s", self.name, reason)
        try:
            with self.store.write() as cur:
                registry.update_build(
                    self.store, cur, self.build.table_name, status="failed", error=reason
                )
                registry.drop_tables(self.store, cur, self.definition, self.build.table_name)
        except Exception:
            log.exception("could not record the failure of rebuilding %s", self.name)

    def _reload(self) -> registry.Build:
        assert self.build is not None
        for build in registry.builds(self.store, name=self.name):
            if build.table_name == self.build.table_name:
                return build
        raise RuntimeError(f"the build row of {self.build.table_name} disappeared")

    def _report(self, head: int | None = None) -> None:
        assert self.build is not None
        if self.on_progress is not None:
            self.on_progress(progress_of(self.build, head or self.store.max_position()))

    def _rate(self) -> float:
        elapsed = time.monotonic() - self._started
        return self._done_here / elapsed if elapsed > 0 else 0.0

    def _check_stop(self) -> None:
        if self.stop.is_set():
            raise RebuildInterruptedError(f"rebuild of {self.name} stopped; it will resume")

    def _workers(self, total: int) -> int:
        configured = self.engine.settings.rebuild_workers
        if configured:
            return configured
        if total < PARALLEL_MIN_EVENTS:
            return 1
        return max(1, min(os.cpu_count() or 1, MAX_WORKERS))

    def _progress(self, done: int) -> None:
        """Record and report the scan's progress (the parts hold the resume cursors)."""
        assert self.build is not None
        with self.store.write() as cur:
            registry.update_build(
                self.store, cur, self.build.table_name, done=done, rate=self._rate()
            )
        self.build = registry.Build(**{**asdict(self.build), "done": done, "rate": self._rate()})
        self._renew()
        self._report()

    def _bounds(self, workers: int) -> list[tuple[str, str]]:
        """Parts of equal width over where the model's streams are: leads' ids are
        ordered by leadId in one narrow range, other aggregates' spread over all ids."""
        if self.spec.aggregate is not Lead or workers == 1:
            return part_bounds(self.store, workers)
        found = self.store.stream_range(Lead.create_id(0), Lead.create_id(2**64 - 1))
        if found is None:
            return part_bounds(self.store, workers)
        return part_bounds(self.store, workers, found[0].int, found[1].int + 1)

    def _scan(self, indexes: list[str]) -> None:
        """Fold every aggregate up to the horizon into the new table, part by part."""
        assert self.build is not None
        build = self.build
        parts = registry.parts(self.store, build.table_name)
        if not parts:
            workers = self._workers(build.total)
            registry.create_parts(self.store, build.table_name, self._bounds(workers))
            parts = registry.parts(self.store, build.table_name)
        pending = [p for p in parts if not p.finished]
        if len(parts) == 1:
            done = build.done
            for part in pending:

                def on_page(events: int) -> None:
                    nonlocal done
                    done += events
                    self._done_here += events
                    self._progress(done)

                scan_part(
                    self.engine,
                    self.spec,
                    build.table_name,
                    build.horizon,
                    part,
                    self.page,
                    self._check_stop,
                    on_page,
                )
        elif pending:
            self._scan_in_processes(pending)
        log.info("%s: scanned in %.1f s", self.name, time.monotonic() - self._started)
        indexing = time.monotonic()
        for statement in indexes:
            self._check_stop()
            self.store.script(statement)
        self.store.analyze(build.table_name)  # the new table serves with fresh statistics
        log.info("%s: indexes built in %.1f s", self.name, time.monotonic() - indexing)
        with self.store.write() as cur:
            self.spec.finish_scan(self.store, cur, build.table_name)
            registry.delete_parts(self.store, cur, build.table_name)
            registry.update_build(self.store, cur, build.table_name, phase="tail", done=build.total)
        self.build = self._reload()

    def _scan_in_processes(self, pending: list[registry.Part]) -> None:
        """One process per pending part (`scan_worker_main`); they are killed with this
        process (Linux) or stop when they notice it is gone."""
        assert self.build is not None
        build = self.build
        before = sum(p.done for p in registry.parts(self.store, build.table_name))
        processes: list[subprocess.Popen[bytes]] = []
        try:
            for part in pending:
                job = {
                    "settings": self.engine.settings.model_dump(mode="json"),
                    "name": self.name,
                    "table": build.table_name,
                    "horizon": build.horizon,
                    "part": part.part,
                    "page": self.page,
                    "parent": os.getpid(),
                }
                process = subprocess.Popen(
                    [sys.executable, "-c", SCAN_WORKER],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.DEVNULL,
                )
                assert process.stdin is not None
                process.stdin.write(json.dumps(job).encode())
                process.stdin.close()
                processes.append(process)
            while any(p.poll() is None for p in processes):
                if self.stop.wait(0.5):
                    raise RebuildInterruptedError(f"rebuild of {self.name} stopped; it will resume")
                done = sum(p.done for p in registry.parts(self.store, build.table_name))
                self._done_here = done - before
                self._progress(done)
        finally:
            for process in processes:
                if process.poll() is None:
                    process.terminate()
                try:
                    process.wait(30)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(10)
        parts = registry.parts(self.store, build.table_name)
        failed = [p for p in parts if p.error]
        if failed:
            raise RuntimeError(f"scan part {failed[0].part} failed: {failed[0].error}")
        unfinished = [p for p in parts if not p.finished]
        if unfinished:
            codes = ", ".join(str(p.returncode) for p in processes)
            raise RebuildInterruptedError(
                f"{len(unfinished)} scan part(s) of {self.name} did not finish (exit codes "
                f"{codes}); rebuild again to resume"
            )
        self._progress(sum(p.done for p in parts))

    def _fold_tail(self, events: list[Positioned], cur: Any | None = None) -> list[Any]:
        """The aggregates `events` touch, folded up to them.

        Read with `cur` when given: on SQLite a thread holding the write connection must
        not ask the pool for another one (writers queued for it hold the pool's gate).
        """
        versions = latest_versions(events, self.spec.topic_prefix)
        if not versions:
            return []
        mapper, keys = page_mapper(self.engine.mapper, self.store)
        ids = list(versions)
        if cur is None:
            if self.spec.aggregate is Lead:
                keys.load_page(ids)
            return fold_upto(self.store, mapper, versions)
        if self.spec.aggregate is Lead:
            keys.load_page(ids, cur)
        return fold_streams(mapper, self.store.select_streams_with(cur, ids), versions)

    def _catch_up(self) -> None:
        """Apply the events recorded since the horizon until only a few are left."""
        assert self.build is not None
        slack = max(100, min(self.page, 2_000))
        while True:
            self._check_stop()
            head = self.store.max_position()
            if head - self.build.position <= slack:
                return
            for page in self.store.iter_log(self.build.position + 1, head, self.page):
                self._check_stop()
                aggregates = self._fold_tail(page)
                with self.store.write() as cur:
                    self.spec.write_tail(self.store, cur, self.build.table_name, aggregates)
                    top = page[-1][0]
                    self._done_here += len(page)
                    registry.update_build(
                        self.store, cur, self.build.table_name, position=top, rate=self._rate()
                    )
                self.build = registry.Build(
                    **{**asdict(self.build), "position": top, "rate": self._rate()}
                )
                self._renew()
                self._report(head)

    def _swap(self) -> None:
        """Apply the last events and point `ls_projections` at the new table, atomically."""
        assert self.build is not None
        build = self.build
        store = self.store
        synchronous = self.name not in ASYNC_READ_MODELS
        if not synchronous:
            # The follower may have moved on meanwhile; catch the new table up to it.
            self._catch_up()
        with store.write() as cur:
            if synchronous:
                store.lock_writers(cur)
            remaining = store.read_after(cur, build.position)
            if remaining:
                aggregates = self._fold_tail(remaining, cur)
                self.spec.write_tail(store, cur, build.table_name, aggregates)
            top = remaining[-1][0] if remaining else build.position
            old = registry.registrations(store, cur)[self.name]
            registry.point_at(store, cur, self.name, build.table_name, build.version, top)
            registry.update_build(
                store, cur, build.table_name, status="live", phase="done", position=top
            )
            registry.retire(
                store,
                cur,
                name=self.name,
                version=old.version,
                table=old.table_name,
                drop_after=time.time() + RETIRE_GRACE_SECONDS,
            )
            registry.bump_generation(store, cur)
        self.build = self._reload()
        log.info(
            "%s now served from %s (was %s; dropped after %.0f s)",
            self.name,
            build.table_name,
            old.table_name,
            RETIRE_GRACE_SECONDS,
        )
        self._report(top)
