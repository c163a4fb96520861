"""What every storage engine offers the application beyond the library's recorder.

Read-model writes travel to the recorder as `Changes` (plain rows computed by the
projections) and are executed inside the transaction that inserts the events, together
with the read models' positions and the destruction of deleted leads' keys.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from leadstate.domain.values import MAX_INT32


class Cursor(Protocol):
    """The DB-API cursor subset used here (sqlite3 and psycopg both fit)."""

    def execute(self, sql: Any, params: Any = ..., /) -> Any: ...

    def executemany(self, sql: Any, params: Any, /) -> Any: ...

    def fetchall(self) -> Any: ...

    def fetchone(self) -> Any: ...


@dataclass
class TableChanges:
    """Row upserts and deletions for one read-model table."""

    table: str
    key: str
    columns: tuple[str, ...]
    upserts: list[tuple[Any, ...]] = field(default_factory=list)
    deletes: list[Any] = field(default_factory=list)
    # Rows of existing keys where only `update_columns` (key first) changed.
    update_columns: tuple[str, ...] = ()
    updates: list[tuple[Any, ...]] = field(default_factory=list)


class GuardFailed(Exception):
    """A guard found shared state that forbids the save: nothing was written.

    `reason` names the guard's rule, `found` the values that broke it (phones, a
    leadId), so the caller can decide again without them and save anew.
    """

    def __init__(self, reason: str, found: Iterable[Any]) -> None:
        self.reason = reason
        self.found = frozenset(found)
        super().__init__(f"{reason}: {sorted(map(str, self.found))}")


@dataclass(frozen=True)
class Guard:
    """A check of shared state that runs inside the transaction that saves, after that
    transaction holds `locks` (scopes such as one campaign's phones): check-then-act
    made atomic across processes. `check(cursor)` raises `GuardFailed` to abort."""

    locks: tuple[str, ...]
    check: Callable[[Any], None]


@dataclass
class Changes:
    """Everything to write in the same transaction as a batch of events."""

    tables: list[TableChanges] = field(default_factory=list)
    shred: list[UUID] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.tables or self.shred or self.positions or self.guards)


class IdSpaceExhaustedError(RuntimeError):
    """No more positive int32 ids can be handed out."""


class Store(ABC):
    """Engine-specific SQL around the library's datastore."""

    ph: str = "?"
    # Set by `leadstate.projections.routing`: re-targets read-model writes at the tables
    # live now (another process may have swapped in a rebuilt one); runs under the lock.
    route_changes: Callable[[Any, Changes], Changes] | None = None
    # Set by `leadstate.idempotency`: deletes what else names the shredded leads (stored
    # idempotent responses), in the same transaction as the key destruction.
    on_shred: Callable[[Any, Sequence[UUID]], None] | None = None

    @abstractmethod
    def qualify(self, table: str) -> str:
        """The table name as SQL, schema-qualified where the engine needs it."""

    @abstractmethod
    def read(self) -> AbstractContextManager[Any]:
        """A read-only transaction's cursor."""

    @abstractmethod
    def write(self) -> AbstractContextManager[Any]:
        """A read-write transaction's cursor (committed on success)."""

    @abstractmethod
    def analyze(self, table: str) -> int:
        """Refresh the planner's statistics of `table`; its estimated row count."""

    def close(self) -> None:  # noqa: B027 - engines without their own connections
        """Close connections the store opened beside the library's."""

    @abstractmethod
    def select_streams(self, ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """The stored events of many aggregates in one query per chunk."""

    @abstractmethod
    def iter_log(
        self, start: int, stop: int | None, page: int
    ) -> Iterator[list[tuple[int, StoredEvent]]]:
        """The log in notification order, a page at a time."""

    @abstractmethod
    def max_position(self) -> int:
        """The position of the last event in the log (0 when empty)."""

    @abstractmethod
    def script(self, sql: str) -> None:
        """Run several `;`-separated DDL statements in one transaction."""

    @abstractmethod
    def lock_writers(self, cursor: Any) -> None:
        """Inside a write transaction: block every event writer until it ends."""

    def lock_scopes(self, cursor: Any, scopes: Sequence[str]) -> None:  # noqa: B027
        """Inside a write transaction: hold these named scopes until it ends, taken in
        sorted order (no deadlock). Engines whose write transactions are already
        exclusive (SQLite's single writer) need do nothing."""

    # -- shared SQL ------------------------------------------------------------------

    def infrastructure_sql(self) -> str:
        """Tables of our own beside the library's: keys, counters, positions."""
        blob = "BYTEA" if self.ph == "%s" else "BLOB"
        return f"""
        CREATE TABLE IF NOT EXISTS {self.qualify("ls_lead_keys")} (
            lead_uuid TEXT PRIMARY KEY, data_key {blob} NOT NULL);
        CREATE TABLE IF NOT EXISTS {self.qualify("ls_counters")} (
            name TEXT PRIMARY KEY, next_value BIGINT NOT NULL);
        CREATE TABLE IF NOT EXISTS {self.qualify("ls_projections")} (
            name TEXT PRIMARY KEY, version INTEGER NOT NULL, table_name TEXT NOT NULL,
            position BIGINT NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'live');
        CREATE TABLE IF NOT EXISTS {self.qualify("ls_leases")} (
            name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
        CREATE TABLE IF NOT EXISTS {self.qualify("ls_secrets")} (
            name TEXT PRIMARY KEY, secret TEXT NOT NULL)
        """

    def claim_lease(self, name: str, owner: str, ttl: float, now: float) -> bool:
        """Take or renew the lease `name` for `owner` unless another owner holds it."""
        ph = self.ph
        table = self.qualify("ls_leases")
        with self.write() as cur:
            cur.execute(
                f"INSERT INTO {table} (name, owner, expires_at) VALUES ({ph}, {ph}, {ph}) "
                f"ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                f"expires_at = excluded.expires_at "
                f"WHERE {table}.owner = excluded.owner OR {table}.expires_at < {ph}",
                (name, owner, now + ttl, now),
            )
            cur.execute(f"SELECT owner FROM {table} WHERE name = {ph}", (name,))
            row = cur.fetchone()
        return row is not None and row_value(row, 0, "owner") == owner

    def release_lease(self, name: str, owner: str) -> None:
        """Give the lease up (only its owner can)."""
        ph = self.ph
        with self.write() as cur:
            cur.execute(
                f"DELETE FROM {self.qualify('ls_leases')} WHERE name = {ph} AND owner = {ph}",
                (name, owner),
            )

    def secret(self, name: str) -> str:
        """A random installation secret, created on first use."""
        import secrets

        ph = self.ph
        table = self.qualify("ls_secrets")
        with self.write() as cur:
            cur.execute(
                f"INSERT INTO {table} (name, secret) VALUES ({ph}, {ph}) "
                "ON CONFLICT (name) DO NOTHING",
                (name, secrets.token_hex(32)),
            )
            cur.execute(f"SELECT secret FROM {table} WHERE name = {ph}", (name,))
            row = cur.fetchone()
        return str(row_value(row, 0, "secret"))

    def allocate(self, counter: str, count: int) -> int:
        """Reserve `count` consecutive ids of `counter`; returns the first."""
        ph = self.ph
        table = self.qualify("ls_counters")
        with self.write() as cur:
            cur.execute(
                f"INSERT INTO {table} (name, next_value) VALUES ({ph}, 1) "
                "ON CONFLICT (name) DO NOTHING",
                (counter,),
            )
            cur.execute(
                f"UPDATE {table} SET next_value = next_value + {ph} WHERE name = {ph} "
                "RETURNING next_value",
                (count, counter),
            )
            row = cur.fetchone()
            after = int(row[0] if not isinstance(row, dict) else row["next_value"])
        first = after - count
        if after - 1 > MAX_INT32:
            raise IdSpaceExhaustedError(f"{counter} ids are exhausted (int32)")
        return first

    def load_keys(self, ids: list[UUID]) -> dict[UUID, bytes]:
        """Keys that exist for these leads."""
        found: dict[UUID, bytes] = {}
        table = self.qualify("ls_lead_keys")
        with self.read() as cur:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join([self.ph] * len(chunk))
                cur.execute(
                    f"SELECT lead_uuid, data_key FROM {table} WHERE lead_uuid IN ({marks})",
                    [u.hex for u in chunk],
                )
                for row in cur.fetchall():
                    found[UUID(row[0] if not isinstance(row, dict) else row["lead_uuid"])] = bytes(
                        row[1] if not isinstance(row, dict) else row["data_key"]
                    )
        return found

    def store_keys(self, keys: dict[UUID, bytes]) -> None:
        """Insert new data keys (an existing key is never replaced)."""
        table = self.qualify("ls_lead_keys")
        with self.write() as cur:
            cur.executemany(
                f"INSERT INTO {table} (lead_uuid, data_key) VALUES ({self.ph}, {self.ph}) "
                "ON CONFLICT (lead_uuid) DO NOTHING",
                [(u.hex, k) for u, k in keys.items()],
            )

    def apply_changes(self, cur: Any, changes: Changes, notification_ids: Sequence[int]) -> None:
        """Run the guards, then write read-model rows, positions and key destruction, in
        the event transaction."""
        if changes.guards:
            self.lock_scopes(cur, sorted({s for g in changes.guards for s in g.locks}))
            for guard in changes.guards:
                guard.check(cur)
        if self.route_changes is not None:
            changes = self.route_changes(cur, changes)
        ph = self.ph
        for table in changes.tables:
            name = self.qualify(table.table)
            if table.deletes:
                cur.executemany(
                    f"DELETE FROM {name} WHERE {table.key} = {ph}", [(k,) for k in table.deletes]
                )
            if table.updates:
                sets = ", ".join(f"{c} = {ph}" for c in table.update_columns[1:])
                cur.executemany(
                    f"UPDATE {name} SET {sets} WHERE {table.key} = {ph}",
                    [(*row[1:], row[0]) for row in table.updates],
                )
            if table.upserts:
                cols = ", ".join(table.columns)
                marks = ", ".join([ph] * len(table.columns))
                updates = ", ".join(f"{c} = excluded.{c}" for c in table.columns if c != table.key)
                cur.executemany(
                    f"INSERT INTO {name} ({cols}) VALUES ({marks}) "
                    f"ON CONFLICT ({table.key}) DO UPDATE SET {updates}",
                    table.upserts,
                )
        if changes.shred:
            cur.executemany(
                f"DELETE FROM {self.qualify('ls_lead_keys')} WHERE lead_uuid = {ph}",
                [(u.hex,) for u in changes.shred],
            )
            if self.on_shred is not None:
                self.on_shred(cur, changes.shred)
        if changes.positions and notification_ids:
            top = max(notification_ids)
            marks = ", ".join([ph] * len(changes.positions))
            cur.execute(
                f"UPDATE {self.qualify('ls_projections')} SET position = {ph} "
                f"WHERE name IN ({marks}) AND position < {ph}",
                (top, *changes.positions, top),
            )


def row_value(row: Any, index: int, name: str) -> Any:
    """A column of a sqlite3.Row or a psycopg dict row."""
    return row[name] if isinstance(row, dict) else row[index]
