"""Which table each read model lives in now, seen alike by every process.

A rebuild swaps a read model's table by changing `ls_projections.table_name` and bumping
the `rm_generation` counter, in one transaction that holds the event writers' lock.

- **Writes** are exact: every event transaction, already holding that lock, reads the
  generation (one primary-key lookup) before it writes read-model rows; when it changed,
  it reloads the table names and re-targets its rows at the live tables. A writer that
  got the lock before the swap wrote the old table, and the swap (which waits for the
  lock) then replays that event into the new table itself. So no row change is ever lost
  or written to the wrong table, in any process.
- **Reads** use names a background thread refreshes every second (a lookup never touches
  the database: it may happen inside a write transaction, and on SQLite a second
  connection there can wait on the pool). A process that has not refreshed yet reads
  the replaced table, which is still complete: every writer keeps
  writing a replaced table of the same version beside the live one until its
  `drop_after` (a grace of a minute), and it is dropped only after that.
- A process whose read-model *version* is older than the live one (an old deploy still
  running after the new one swapped in its tables) refuses to write: its rows would not
  match the new definition. It says so; restart it with the new code.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from dataclasses import dataclass, replace
from typing import Any

from leadstate.persistence.base import Changes, Store
from leadstate.projections import registry

log = logging.getLogger("leadstate.projections")

REFRESH_SECONDS = 1.0
_TABLE = re.compile(r"^rm_(?P<name>.+?)_v(?P<version>\d+)(?:_(?P<suffix>[0-9a-f]+))?$")


class StaleReadModelError(RuntimeError):
    """This process's read-model definitions are older than the database's."""


def model_of(table: str) -> str | None:
    """The read model a table belongs to (`rm_<name>_v<version>[_<suffix>]`)."""
    match = _TABLE.match(table)
    return match.group("name") if match else None


@dataclass(frozen=True)
class Retiring:
    """A replaced table still written beside the live one until `drop_after`."""

    name: str
    table: str
    version: int
    drop_after: float


class LiveTables(dict[str, str]):
    """Read model name -> live table, kept current by `TableRouting`."""


class TableRouting:
    """The live and retiring tables, as of the last generation this process saw."""

    def __init__(self, store: Store, tables: LiveTables, versions: dict[str, int]) -> None:
        self.store = store
        self.tables = tables
        self.versions = versions
        self.generation = -1
        self.live: dict[str, registry.Registration] = {}
        self.retiring: list[Retiring] = []
        self._lock = threading.Lock()

    def load(self, cur: Any | None = None) -> None:
        """Read the generation, live tables and retiring tables (with `cur` when given)."""
        if cur is None:
            with self.store.read() as own:
                self._load(own)
        else:
            self._load(cur)

    def _load(self, cur: Any) -> None:
        generation = registry.read_generation(self.store, cur)
        live = registry.registrations(self.store, cur)
        retiring = [
            Retiring(b.name, b.table_name, b.version, b.drop_after or 0.0)
            for b in registry.builds(self.store, cur)
            if b.status == "retiring"
        ]
        with self._lock:
            self.generation = generation
            self.live = live
            self.retiring = retiring
            for name, registration in live.items():
                self.tables[name] = registration.table_name

    def behind(self) -> dict[str, tuple[int, int]]:
        """Read models whose live table is older than this code: name -> (live, ours)."""
        with self._lock:
            live = dict(self.live)
        return {
            name: (registration.version, ours)
            for name, ours in self.versions.items()
            if (registration := live.get(name)) is not None and registration.version < ours
        }

    def refresh(self) -> None:
        """Reload the names if the generation moved."""
        with self.store.read() as cur:
            if registry.read_generation(self.store, cur) != self.generation:
                self._load(cur)

    def start_refresher(self, stop: threading.Event) -> threading.Thread:
        """Refresh every `REFRESH_SECONDS` in a daemon thread until `stop` is set."""

        def run() -> None:
            while not stop.wait(REFRESH_SECONDS):
                try:
                    self.refresh()
                except Exception:
                    if stop.is_set():
                        return
                    log.exception("could not refresh the read-model table names; retrying")

        thread = threading.Thread(target=run, name="read-model-tables", daemon=True)
        thread.start()
        return thread

    def route(self, cur: Any, changes: Changes) -> Changes:
        """The store hook: `changes` re-targeted at the live (and retiring) tables.

        Runs inside the event transaction; the generation it routed by goes with the
        changes, and the store checks it again under the writers' lock (a swap in between
        makes the transaction start over).
        """
        if registry.read_generation(self.store, cur) != self.generation:
            self._load(cur)
        with self._lock:
            live = self.live
            retiring = self.retiring
            generation = self.generation
        now = time.time()
        routed: list[Any] = []
        for table in changes.tables:
            name = model_of(table.table)
            registration = live.get(name) if name else None
            if name is None or registration is None:
                routed.append(table)
                continue
            ours = self.versions.get(name)
            if ours is not None and registration.version != ours:
                raise StaleReadModelError(
                    f"read model {name} is at version {registration.version} in the "
                    f"database but this process has version {ours}: restart it with the "
                    "code that defines that version"
                )
            routed.append(replace(table, table=registration.table_name))
            for old in retiring:
                if old.name == name and old.version == ours and now < old.drop_after:
                    routed.append(replace(table, table=old.table))
        return replace(changes, tables=routed, generation=generation)
