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
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from leadstate.domain import Lead
from leadstate.persistence.base import Store, row_value
from leadstate.projections import registry
from leadstate.projections.definitions import ReadModelDef, load
from leadstate.projections.models import ASYNC_READ_MODELS, ReadModelSpec, render, spec_for
from leadstate.projections.replay import (
    Positioned,
    count_events,
    fold,
    fold_streams,
    fold_upto,
    latest_versions,
    page_mapper,
    part_bounds,
    read_after,
    scan_streams,
    select_streams_with,
)

if TYPE_CHECKING:
    from leadstate.application import LeadstateApp

log = logging.getLogger("leadstate.projections")

LEASE_SECONDS = 15.0
RETIRE_GRACE_SECONDS = 60.0
PARALLEL_MIN_EVENTS = 200_000
SCAN_WORKER = "from leadstate.projections.rebuild import scan_worker_main; scan_worker_main()"
MAX_WORKERS = 4


class RebuildBusyError(RuntimeError):
    """Another live process is rebuilding this read model."""


class RebuildInterruptedError(RuntimeError):
    """The rebuild was asked to stop; it resumes from where it stopped next time."""


def new_owner() -> str:
    """A lease owner id naming this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True when `owner` names a process of this host that no longer runs."""
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def lease_owner(store: Store, lease: str) -> tuple[str, float] | None:
    """Who holds `lease` and until when (None when nobody does)."""
    with store.read() as cur:
        cur.execute(
            f"SELECT owner, expires_at FROM {store.qualify('ls_leases')} WHERE name = {store.ph}",
            (lease,),
        )
        row = cur.fetchone()
    if row is None:
        return None
    return str(row_value(row, 0, "owner")), float(row_value(row, 1, "expires_at"))


def claim(store: Store, lease: str, owner: str, ttl: float = LEASE_SECONDS) -> bool:
    """Take or renew `lease`; a lease of a dead process of this host is taken at once."""
    if store.claim_lease(lease, owner, ttl, time.time()):
        return True
    holder = lease_owner(store, lease)
    if holder is not None and owner_is_dead(holder[0]):
        log.warning("taking over %s from %s, which is gone", lease, holder[0])
        store.release_lease(lease, holder[0])
        return store.claim_lease(lease, owner, ttl, time.time())
    return False


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
        app: LeadstateApp,
        name: str,
        *,
        swap: bool | None = None,
        page: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        stop: threading.Event | None = None,
        wait_for_lease: bool = False,
        upgrade: bool = False,
    ) -> None:
        self.app = app
        self.store = app.store
        self.spec: ReadModelSpec = spec_for(name)
        self.definition: ReadModelDef = load(name)
        self.name = name
        self.swap = swap
        self.page = page or app.settings.rebuild_page_size
        self.on_progress = on_progress
        self.stop = stop or threading.Event()
        self.wait_for_lease = wait_for_lease
        self.upgrade = upgrade
        self.owner = new_owner()
        self.lease = f"rebuild:{name}"
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
        while not claim(self.store, self.lease, self.owner):
            holder = lease_owner(self.store, self.lease)
            if not self.wait_for_lease:
                raise RebuildBusyError(
                    f"{self.name} is being rebuilt by {holder[0] if holder else 'another process'}"
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
            self.store.release_lease(self.lease, self.owner)

    def _renew(self) -> None:
        if not claim(self.store, self.lease, self.owner):
            raise RebuildBusyError(f"lost the lease on rebuilding {self.name}")

    def _resume_or_create(self) -> registry.Build:
        version = self.definition.version
        for build in registry.builds(self.store, name=self.name):
            if build.version == version and build.status in ("building", "staged"):
                log.info("resuming rebuild of %s into %s", self.name, build.table_name)
                return build
        with self.store.write() as cur:  # a new attempt supersedes failed ones
            cur.execute(
                f"DELETE FROM {self.store.qualify('ls_rebuilds')} "
                f"WHERE name = {self.store.ph} AND status = 'failed'",
                (self.name,),
            )
        table = f"rm_{self.name}_v{version}_{secrets.token_hex(4)}"
        horizon = self.store.max_position()
        total = count_events(self.store, start=1, stop=horizon, prefix=self.spec.topic_prefix)
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
        configured = self.app.settings.rebuild_workers
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

    def _scan(self, indexes: list[str]) -> None:
        """Fold every aggregate up to the horizon into the new table, part by part."""
        assert self.build is not None
        build = self.build
        parts = registry.parts(self.store, build.table_name)
        if not parts:
            workers = self._workers(build.total)
            registry.create_parts(self.store, build.table_name, part_bounds(self.store, workers))
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
                    self.app,
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
                    "settings": self.app.settings.model_dump(mode="json"),
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
        mapper, keys = page_mapper(self.app.mapper, self.store)
        ids = list(versions)
        if cur is None:
            if self.spec.aggregate is Lead:
                keys.load_page(ids)
            return fold_upto(self.store, mapper, versions)
        if self.spec.aggregate is Lead:
            keys.load_page(ids, cur)
        return fold_streams(mapper, select_streams_with(self.store, cur, ids), versions)

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
            remaining = read_after(store, cur, build.position)
            if remaining:
                aggregates = self._fold_tail(remaining, cur)
                self.spec.write_tail(store, cur, build.table_name, aggregates)
            top = remaining[-1][0] if remaining else build.position
            old = registry.registrations(store, cur)[self.name]
            ph = store.ph
            cur.execute(
                f"UPDATE {store.qualify('ls_projections')} SET table_name = {ph}, "
                f"version = {ph}, position = {ph}, status = 'live' WHERE name = {ph}",
                (build.table_name, build.version, top, self.name),
            )
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
            cur.execute(
                f"DELETE FROM {store.qualify('ls_projection_errors')} WHERE name = {ph}",
                (self.name,),
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


def scan_part(
    app: LeadstateApp,
    spec: ReadModelSpec,
    table: str,
    horizon: int,
    part: registry.Part,
    page: int,
    check: Callable[[], None],
    on_page: Callable[[int], None],
) -> None:
    """Scan one range of aggregate ids into `table`; each page commits with its cursor."""
    store = app.store
    mapper, keys = page_mapper(app.mapper, store)
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
            keys.load_page([cast(UUID, s[0][1].originator_id) for s in streams.streams])
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
    except (OSError, AttributeError):
        pass
    if os.getppid() != parent:
        os._exit(1)


def _scan_worker(job: dict[str, Any]) -> int:
    """A process scanning one part of a rebuild (`job` as `_scan_in_processes` sends it)."""
    parent = int(job["parent"])
    _die_with_parent(parent)
    from leadstate.application import LeadstateApp
    from leadstate.settings import Settings

    class ScanApp(LeadstateApp):
        name = LeadstateApp.name  # the library names tables after the class otherwise
        manage_read_models = False

    def check() -> None:
        if os.getppid() != parent:
            raise RebuildInterruptedError("the rebuilding process is gone")

    table = str(job["table"])
    part_no = int(job["part"])
    app = ScanApp(
        Settings(**job["settings"]), {"POSTGRES_POOL_SIZE": "2", "POSTGRES_MAX_OVERFLOW": "2"}
    )
    try:
        part = next(p for p in registry.parts(app.store, table) if p.part == part_no)
        scan_part(
            app,
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
        with app.store.write() as cur:
            registry.update_part(
                app.store, cur, table, part_no, error=f"{type(error).__name__}: {error}"
            )
        return 1
    finally:
        app.close()


def drop_retired(app: LeadstateApp, *, force: bool = False) -> list[str]:
    """Drop replaced tables whose grace has passed (all of them with `force`)."""
    store = app.store
    due = [
        b
        for b in registry.builds(store)
        if b.status == "retiring" and (force or (b.drop_after or 0.0) <= time.time())
    ]
    dropped: list[str] = []
    for build in due:
        with store.write() as cur:
            store.lock_writers(cur)
            live = registry.registrations(store, cur).get(build.name)
            if live is not None and live.table_name == build.table_name:
                raise RuntimeError(f"{build.table_name} is live; it cannot be dropped")
            registry.drop_tables(store, cur, load(build.name), build.table_name)
            cur.execute(
                f"DELETE FROM {store.qualify('ls_rebuilds')} WHERE table_name = {store.ph}",
                (build.table_name,),
            )
            registry.bump_generation(store, cur)
        dropped.append(build.table_name)
        log.info("dropped %s", build.table_name)
    return dropped


def scan_worker_main() -> None:
    """Entry point of a scanning process: the job as JSON on stdin."""
    logging.basicConfig(level=logging.WARNING)
    raise SystemExit(_scan_worker(json.loads(sys.stdin.read())))
