"""The read-model lifecycle as `LeadstateApp` methods: status, rebuilds, counts, follower.

`ProjectionLifecycle` is a mixin of `LeadstateApp`. At start it creates our bookkeeping
tables, registers the asynchronous read models, installs the table routing (see
`routing`), and brings every read model to the version this code defines — swapping
in a table a `leadstate projections rebuild` already staged, or building it now, before
the application serves anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from leadstate.domain import NotFound
from leadstate.projections import SYNC_READ_MODELS, registry
from leadstate.projections.definitions import load
from leadstate.projections.follower import FollowerWorker
from leadstate.projections.models import ASYNC_READ_MODELS, SPECS, render
from leadstate.projections.rebuild import (
    RETIRE_GRACE_SECONDS,
    Progress,
    Rebuild,
    RebuildBusyError,
    RebuildInterruptedError,
    drop_retired,
    lease_owner,
    owner_is_dead,
    progress_of,
)
from leadstate.projections.routing import LiveTables, StaleReadModelError, TableRouting

if TYPE_CHECKING:
    from leadstate.application import LeadstateApp

log = logging.getLogger("leadstate.projections")

READ_MODELS = (*SYNC_READ_MODELS, *ASYNC_READ_MODELS)


class ProjectionLifecycle:
    """Read-model status, blue/green rebuilds, lead counts and the async follower."""

    # At start, bring every read model to this code's version before serving. Off for
    # maintenance commands (`leadstate projections rebuild` of a newer version must
    # stage it beside the running service, not swap it in under the old code).
    upgrade_at_start = True
    # Off for the processes a rebuild spawns to scan the log: they only read and insert.
    manage_read_models = True

    _routing: TableRouting
    _lifecycle_stop: threading.Event
    _rebuilds: dict[str, threading.Thread]
    _follower: FollowerWorker | None

    def _app(self) -> LeadstateApp:
        return cast("LeadstateApp", self)

    # -- start -------------------------------------------------------------------------

    def _init_read_model_lifecycle(self) -> None:
        """Bookkeeping tables, async read models, routing, version upgrades."""
        app = self._app()
        store = app.store
        self._lifecycle_stop = threading.Event()
        self._rebuilds = {}
        self._follower = None
        if not self.manage_read_models:
            return
        store.script(registry.lifecycle_sql(store))
        registered = registry.registrations(store)
        for name in ASYNC_READ_MODELS:
            if name not in registered:
                definition = load(name)
                creates, indexes = render(definition, store, definition.table)
                store.script(";\n".join([*creates, *indexes]))
                registry.register(store, name, definition.version, definition.table, 0)
        versions = {name: load(name).version for name in READ_MODELS}
        tables = LiveTables(app.tables)
        self._routing = TableRouting(store, tables, versions)
        self._routing.load()
        app.tables = tables
        app.projection.tables = tables
        store.route_changes = self._routing.route
        for name, version in versions.items():
            live = self._routing.live[name]
            if live.version == version or not self.upgrade_at_start:
                continue
            if live.version > version:
                raise StaleReadModelError(
                    f"read model {name} is at version {live.version} in the database; this "
                    f"code defines version {version}: run the newer code"
                )
            log.info("upgrading %s from version %d to %d", name, live.version, version)
            Rebuild(app, name, swap=True, wait_for_lease=True, upgrade=True).run()
            self._routing.load()
        drop_retired(app)
        self._routing.load()
        self._routing.start_refresher(self._lifecycle_stop)

    # -- status ------------------------------------------------------------------------

    def projection_status(self) -> list[dict[str, Any]]:
        """One object per read model (SPEC §6 `GET /admin/projections`).

        `status` is live, rebuilding (a rebuild holds its lease now) or failed (the
        async follower stopped, or the last rebuild failed); `progress` shows a running,
        interrupted or staged rebuild.
        """
        store = self._app().store
        head = store.max_position()
        registered = registry.registrations(store)
        errors = registry.errors(store)
        builds = registry.builds(store)
        now = time.time()
        out: list[dict[str, Any]] = []
        for name in READ_MODELS:
            live = registered[name]
            status = "live"
            error = errors.get(name)
            progress: dict[str, Any] | None = None
            mine = [b for b in builds if b.name == name and b.status != "retiring"]
            latest = mine[-1] if mine else None
            holder = lease_owner(store, f"rebuild:{name}")
            running = holder is not None and holder[1] > now and not owner_is_dead(holder[0])
            if latest is not None and latest.status == "building":
                progress = progress_of(latest, head).as_dict()
                if running:
                    status = "rebuilding"
                else:
                    progress["phase"] = f"interrupted ({latest.phase})"
            elif latest is not None and latest.status == "staged":
                progress = progress_of(latest, head).as_dict()
                progress["phase"] = "staged"
            elif latest is not None and latest.status == "failed":
                status = "failed"
                error = latest.error
            if live.status == "failed" or name in errors:
                status = "failed"
            out.append(
                {
                    "name": name,
                    "mode": "asynchronous" if name in ASYNC_READ_MODELS else "synchronous",
                    "version": live.version,
                    "table": live.table_name,
                    "status": status,
                    "position": live.position,
                    "lag": max(0, head - live.position),
                    "progress": progress,
                    "error": error,
                }
            )
        return out

    # -- rebuilds ----------------------------------------------------------------------

    def _status_of(self, name: str) -> dict[str, Any]:
        return next(s for s in self.projection_status() if s["name"] == name)

    def start_rebuild(self, name: str) -> dict[str, Any]:
        """Start a blue/green rebuild of `name` in a background thread of this process.

        Returns the read model's status (`rebuilding`); if a rebuild of it already runs
        here or in another process, its status as it is (nothing new is started).
        """
        if name not in SPECS:
            raise NotFound(f"no read model {name!r}; known: {', '.join(READ_MODELS)}")
        running = self._rebuilds.get(name)
        if running is not None and running.is_alive():
            return self._status_of(name)
        rebuild = Rebuild(self._app(), name, swap=True, stop=self._lifecycle_stop)
        try:
            rebuild.prepare()
        except RebuildBusyError:
            return self._status_of(name)
        thread = threading.Thread(
            target=self._run_rebuild, args=(rebuild,), name=f"rebuild-{name}", daemon=True
        )
        self._rebuilds[name] = thread
        thread.start()
        return self._status_of(name)

    def _run_rebuild(self, rebuild: Rebuild) -> None:
        try:
            rebuild.run()
        except RebuildInterruptedError:
            log.info("rebuild of %s interrupted; it resumes on the next rebuild", rebuild.name)
            return
        except Exception:
            log.exception("rebuild of %s failed", rebuild.name)
            return
        # Keep the replaced table (still written) for the grace, then drop it.
        if not self._lifecycle_stop.wait(RETIRE_GRACE_SECONDS + 1):
            try:
                drop_retired(self._app())
            except Exception:
                log.exception("could not drop the tables %s replaced", rebuild.name)

    def rebuild_projection(
        self,
        name: str,
        *,
        swap: bool | None = None,
        page: int | None = None,
        on_progress: Callable[[Progress], None] | None = None,
        wait_for_lease: bool = False,
    ) -> dict[str, Any]:
        """Rebuild `name` in this thread (the CLI); swap unless the version is newer.

        `swap=None`: swap when the definition's version is the registered one; stage
        the table (for the service starting with the new code) when it is newer.
        """
        if name not in SPECS:
            raise NotFound(f"no read model {name!r}; known: {', '.join(READ_MODELS)}")
        build = Rebuild(
            self._app(),
            name,
            swap=swap,
            page=page,
            on_progress=on_progress,
            wait_for_lease=wait_for_lease,
        ).run()
        self._routing.load()
        assert build is not None
        return {
            "name": name,
            "table": build.table_name,
            "version": build.version,
            "status": build.status,
            "position": build.position,
        }

    def rebuild_running(self, name: str) -> bool:
        """True while this process's background rebuild of `name` runs."""
        thread = self._rebuilds.get(name)
        return thread is not None and thread.is_alive()

    def wait_for_rebuild(self, name: str, timeout: float | None = None) -> bool:
        """Wait for this process's background rebuild of `name`; True once it ended."""
        thread = self._rebuilds.get(name)
        if thread is None:
            return True
        thread.join(timeout)
        return not thread.is_alive()

    def drop_retired_tables(self, *, force: bool = False) -> list[str]:
        """Drop the tables rebuilds replaced, once their grace passed (all with `force`)."""
        dropped = drop_retired(self._app(), force=force)
        self._routing.load()
        return dropped

    # -- the asynchronous read models --------------------------------------------------

    def lead_counts(self, account_id: int, campaign_id: int | None = None) -> list[dict[str, Any]]:
        """Live leads per campaign, list, state and suppression (SPEC §6 `GET .../counts`).

        Asynchronous: as of `projection_status()`'s lead_counts position.
        """
        app = self._app()
        store = app.store
        ph = store.ph
        sql = (
            "SELECT campaign_id, list_id, lead_state, suppressed, lead_count FROM "
            f"{store.qualify(app.tables['lead_counts'])} WHERE account_id = {ph}"
        )
        params: list[Any] = [account_id]
        if campaign_id is not None:
            sql += f" AND campaign_id = {ph}"
            params.append(campaign_id)
        sql += " ORDER BY campaign_id, list_id, lead_state, suppressed"
        with store.read() as cur:
            cur.execute(sql, params)
            rows = cur.fetchall()
        out = []
        for row in rows:
            values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
            out.append(
                {
                    "campaignId": int(values[0]),
                    "listId": int(values[1]),
                    "leadState": str(values[2]),
                    "suppressed": bool(values[3]),
                    "count": int(values[4]),
                }
            )
        return out

    def projections_position(self) -> int:
        """The position every read model has reached (the lowest)."""
        registered = registry.registrations(self._app().store)
        return min(registered[name].position for name in READ_MODELS)

    def wait_for_projections(self, position: int, timeout: float = 30.0) -> bool:
        """Wait until every read model has applied the log up to `position`."""
        deadline = time.monotonic() + timeout
        delay = 0.01
        while True:
            if self.projections_position() >= position:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(delay)
            delay = min(delay * 2, 0.2)

    def start_projection_workers(self) -> FollowerWorker:
        """Follow the asynchronous read models in this process (when it is the leader)."""
        if self._follower is None or not self._follower.alive:
            self._follower = FollowerWorker(self._app())
            self._follower.start()
        return self._follower

    def stop_projection_workers(self) -> None:
        """Stop following (another process takes over)."""
        if self._follower is not None:
            self._follower.stop()
            self._follower = None

    def close(self) -> None:
        """Stop background rebuilds and the follower, then close the application."""
        stop = getattr(self, "_lifecycle_stop", None)
        if stop is not None:
            stop.set()
            self.stop_projection_workers()
            for thread in list(self._rebuilds.values()):
                thread.join(30)
        super().close()  # type: ignore[misc]
