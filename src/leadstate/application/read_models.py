"""Read-model administration: status, blue/green rebuilds, lead counts, waiting for the
asynchronous read models (DIALER_REFRESH), and the figures `/metrics` reports."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from leadstate.application.views import count_view
from leadstate.domain import NotFound
from leadstate.persistence.engine import Engine
from leadstate.persistence.leases import Leases
from leadstate.projections import registry
from leadstate.projections.models import ASYNC_READ_MODELS, SPECS
from leadstate.projections.queries import Queries
from leadstate.projections.rebuild import (
    RETIRE_GRACE_SECONDS,
    Progress,
    Rebuild,
    RebuildBusyError,
    progress_of,
)
from leadstate.projections.routing import TableRouting
from leadstate.projections.scan import RebuildInterruptedError
from leadstate.projections.setup import READ_MODELS

log = logging.getLogger("leadstate.projections")


class ReadModels:
    """The read models of one store, as an operator sees them."""

    def __init__(
        self,
        engine: Engine,
        queries: Queries,
        routing: TableRouting,
        leases: Leases,
        *,
        refresh_wait_seconds: float,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.queries = queries
        self.routing = routing
        self.leases = leases
        self.refresh_wait_seconds = refresh_wait_seconds
        self.stop = threading.Event()
        self._rebuilds: dict[str, threading.Thread] = {}

    # -- status ------------------------------------------------------------------------

    def projection_status(self) -> list[dict[str, Any]]:
        """One object per read model (SPEC §6 `GET /admin/projections`).

        `status` is live, rebuilding (a rebuild holds its lease now) or failed (the
        async follower stopped, or the last rebuild failed); `progress` shows a running,
        interrupted or staged rebuild.
        """
        head = self.store.max_position()
        registered = registry.registrations(self.store)
        errors = registry.errors(self.store)
        builds = registry.builds(self.store)
        out: list[dict[str, Any]] = []
        for name in READ_MODELS:
            live = registered[name]
            status = "live"
            error = errors.get(name)
            progress: dict[str, Any] | None = None
            mine = [b for b in builds if b.name == name and b.status != "retiring"]
            latest = mine[-1] if mine else None
            running = self.leases.held(f"rebuild:{name}")
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

    def _status_of(self, name: str) -> dict[str, Any]:
        return next(s for s in self.projection_status() if s["name"] == name)

    # -- rebuilds ----------------------------------------------------------------------

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
        rebuild = Rebuild(self.engine, name, swap=True, stop=self.stop)
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
        if not self.stop.wait(RETIRE_GRACE_SECONDS + 1):
            try:
                self.drop_retired_tables()
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
            self.engine,
            name,
            swap=swap,
            page=page,
            on_progress=on_progress,
            wait_for_lease=wait_for_lease,
        ).run()
        self.routing.load()
        assert build is not None
        return {
            "name": name,
            "table": build.table_name,
            "version": build.version,
            "status": build.status,
            "position": build.position,
        }

    def drop_retired_tables(self, *, force: bool = False) -> list[str]:
        """Drop the tables rebuilds replaced, once their grace passed (all with `force`)."""
        dropped = registry.drop_retired(self.store, force=force)
        self.routing.load()
        return dropped

    def close(self) -> None:
        """Stop background rebuilds (they resume on the next rebuild)."""
        self.stop.set()
        for thread in list(self._rebuilds.values()):
            thread.join(30)

    # -- the asynchronous read models --------------------------------------------------

    def lead_counts(self, account_id: int, campaign_id: int | None = None) -> list[dict[str, Any]]:
        """Live leads per campaign, list, state and suppression (SPEC §6 `GET .../counts`).

        Asynchronous: as of `projection_status()`'s lead_counts position.
        """
        return [count_view(r) for r in self.queries.lead_counts(account_id, campaign_id)]

    def projections_position(self) -> int:
        """The position every read model has reached (the lowest)."""
        registered = registry.registrations(self.store)
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

    def refresh(self) -> bool:
        """DIALER_REFRESH: wait until every read model has applied the log as it is now;
        True when they all did within the configured wait."""
        return self.wait_for_projections(self.store.max_position(), self.refresh_wait_seconds)

    # -- metrics -----------------------------------------------------------------------

    def figures(self) -> dict[str, Any]:
        """The shared state `/metrics` reports (no personal data, no account ids)."""
        head = self.store.max_position()
        positions: Mapping[str, registry.Registration] = registry.registrations(self.store)
        return {
            "head": head,
            "positions": {name: r.position for name, r in positions.items()},
            "jobs": [dict(r) for r in self.queries.job_figures()],
        }
