"""What every storage engine offers above the library's recorder, behind one interface.

Engine differences live here as attributes and methods of the store (placeholder, blob
type, how a stream id or a log position is written, the log's table), so nothing above
persistence asks which engine it runs on. Rows come back as mappings by column name
(`sqlite3.Row` and psycopg's dict rows alike): `row["column"]`, `dict(row)`.

Read-model writes travel to the recorder as `Changes` (plain rows computed by the
projections) and are executed inside the transaction that inserts the events, together
with the read models' positions, the destruction of deleted leads' keys, and the guards
that re-check shared state under their locks.
"""

from __future__ import annotations

import secrets
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any, Protocol
from uuid import UUID

from eventsourcing.persistence import StoredEvent

from leadstate.domain.values import MAX_INT32
from leadstate.persistence.tables import COUNTERS, LEAD_KEYS, PROJECTIONS, SECRETS

Row = Mapping[str, Any]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
IN_LIST = 500  # values per `IN (...)`: under every engine's limit on parameters


def micros(value: datetime | None) -> int | None:
    """UTC microseconds since the epoch, as times are stored (exact: no float rounding)."""
    if value is None:
        return None
    delta = value - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


@lru_cache(maxsize=1 << 16)
def from_micros(value: int | None) -> datetime | None:
    """The inverse of `micros` (cached: a batch's rows share a few instants, and a
    datetime is immutable)."""
    if value is None:
        return None
    return _EPOCH + timedelta(microseconds=int(value))


def chunked(values: Sequence[Any], size: int = IN_LIST) -> Iterator[list[Any]]:
    """`values` in lists of at most `size`."""
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


Positioned = tuple[int, StoredEvent]


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
    new_keys: dict[UUID, bytes] = field(default_factory=dict)  # data keys of new leads
    generation: int | None = None  # the read-model tables' generation they were routed by

    def __bool__(self) -> bool:
        return bool(self.tables or self.shred or self.positions or self.guards or self.new_keys)


class IdSpaceExhaustedError(RuntimeError):
    """No more positive int32 ids can be handed out."""


class CommitWaiter(Protocol):
    """Waits for the next commit of events (or the timeout)."""

    def wait(self, timeout: float) -> None:
        """Return at the next commit of events, or after `timeout` seconds."""

    def close(self) -> None:
        """Give the connection up."""


class Store(ABC):
    """Engine-specific SQL around the library's datastore."""

    ph: str = "?"
    blob: str = "BLOB"
    # Appended to a SELECT that must hold the rows it reads until the transaction ends
    # (SQLite's writer already excludes every other).
    share_lock: str = ""
    # Set by `leadstate.projections.routing`: re-targets read-model writes at the tables
    # live now (another process may have swapped in a rebuilt one); runs under the lock.
    route_changes: Callable[[Any, Changes], Changes] | None = None
    # Set by the idempotency records: deletes what else names the shredded leads (stored
    # idempotent responses), in the same transaction as the key destruction.
    on_shred: Callable[[Any, Sequence[UUID]], None] | None = None

    # -- transactions and names -------------------------------------------------------

    @abstractmethod
    def qualify(self, table: str) -> str:
        """The table name as SQL, schema-qualified where the engine needs it."""

    @abstractmethod
    def read(self) -> AbstractContextManager[Any]:
        """A read-only transaction's cursor."""

    def read_latest(self) -> AbstractContextManager[Any]:
        """A cursor whose statements each read the latest committed state, without one
        snapshot across them: no transaction to open and close where that costs round
        trips (PostgreSQL). For reads of one statement, or whose rows are checked again
        where they are used (a batch's statuses: the save checks each version)."""
        return self.read()

    @abstractmethod
    def write(self) -> AbstractContextManager[Any]:
        """A read-write transaction's cursor (committed on success)."""

    @abstractmethod
    def script(self, sql: str) -> None:
        """Run several `;`-separated DDL statements in one transaction."""

    def commit_waiter(self) -> CommitWaiter | None:
        """A connection that wakes on each commit of events; None where the log is polled."""
        return None

    def wake_waiters(self) -> None:  # noqa: B027 - engines without commit waiters
        """Wake every commit waiter now."""

    @abstractmethod
    def analyze(self, table: str) -> int:
        """Refresh the planner's statistics of `table`; its estimated row count."""

    def close(self) -> None:  # noqa: B027 - engines without their own connections
        """Close connections the store opened beside the library's."""

    def vacuum(self) -> None:
        """Give the space of rewritten rows back after a bulk rewrite (re-keying)."""
        self.compact()

    def compact(self) -> bool:
        """Rewrite the storage so that no free page keeps deleted data (SPEC §5); False
        where the operator does it (PostgreSQL's VACUUM FULL)."""
        return False

    def marks(self, count: int) -> str:
        """`count` placeholders, comma-separated."""
        return ", ".join([self.ph] * count)

    def select_in(
        self,
        cur: Any,
        sql: str,
        values: Sequence[Any],
        *,
        before: Sequence[Any] = (),
        tuples: bool = False,
    ) -> list[Any]:
        """`sql` (holding one `{marks}`) run once per chunk of `values`, parameters
        `before` first; every row (as plain tuples in the SELECT's order with `tuples`:
        a hot path's rows without building a mapping each)."""
        rows: list[Any] = []
        with self.tuple_rows(cur) if tuples else nullcontext():
            for chunk in chunked(values):
                cur.execute(sql.format(marks=self.marks(len(chunk))), (*before, *chunk))
                rows.extend(cur.fetchall())
        return rows

    @abstractmethod
    def tuple_rows(self, cur: Any) -> AbstractContextManager[None]:
        """While inside: `cur` returns rows as plain tuples."""

    # -- locks ------------------------------------------------------------------------

    @abstractmethod
    def lock_writers(self, cursor: Any) -> None:
        """Inside a write transaction: block every event writer until it ends."""

    def lock_scopes(self, cursor: Any, scopes: Sequence[str]) -> None:  # noqa: B027
        """Inside a write transaction: hold these named scopes until it ends, taken in
        sorted order (no deadlock). Engines whose write transactions are already
        exclusive (SQLite's single writer) need do nothing."""

    # -- the log --------------------------------------------------------------------------

    events_table: str
    position_column: str

    @abstractmethod
    def stream_value(self, stream_id: UUID) -> Any:
        """A stream id as the engine stores it."""

    @abstractmethod
    def stream_id(self, value: Any) -> UUID:
        """A stored stream id as a UUID."""

    @abstractmethod
    def cursor_text(self, stream_id: UUID) -> str:
        """A resume cursor naming a stream (text, kept in bookkeeping tables)."""

    @abstractmethod
    def cursor_value(self, text: str) -> Any:
        """A resume cursor as the engine compares it with stored stream ids."""

    def stream_range(self, first: UUID, last: UUID) -> tuple[UUID, UUID] | None:
        """The lowest and highest stream id with events between `first` and `last` (two
        index probes: PostgreSQL has no MIN of a uuid)."""
        bounds = (self.stream_value(first), self.stream_value(last))
        found: list[UUID] = []
        with self.read() as cur:
            for order in ("ASC", "DESC"):
                cur.execute(
                    f"SELECT originator_id FROM {self.events_table} WHERE originator_id >= "
                    f"{self.ph} AND originator_id <= {self.ph} ORDER BY originator_id {order} "
                    "LIMIT 1",
                    bounds,
                )
                row = cur.fetchone()
                if row is None:
                    return None
                found.append(self.stream_id(row["originator_id"]))
        return found[0], found[1]

    def select_streams(self, ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """The stored events of many aggregates (version order), in a read transaction."""
        with self.read() as cur:
            return self.select_streams_with(cur, ids)

    def select_streams_with(self, cur: Any, ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Like `select_streams`, read with `cur` (no second connection)."""
        result: dict[UUID, list[StoredEvent]] = {u: [] for u in ids}
        sql = (
            "SELECT originator_id, originator_version, topic, state FROM "
            f"{self.events_table} WHERE originator_id IN ({{marks}}) "
            "ORDER BY originator_id, originator_version"
        )
        for row in self.select_in(cur, sql, [self.stream_value(u) for u in ids]):
            key = self.stream_id(row["originator_id"])
            result[key].append(
                StoredEvent(key, row["originator_version"], row["topic"], row["state"])
            )
        return result

    def _read_log(self, cur: Any, sql: str, params: Sequence[Any]) -> list[Positioned]:
        """The rows of a `_log_select` query as events at their positions, read as plain
        tuples; a stream's id is parsed once per run of its events."""
        with self.tuple_rows(cur):
            cur.execute(sql, params)
            rows = cur.fetchall()
        out: list[Positioned] = []
        last: Any = None
        last_id = UUID(int=0)
        for pos, oid, ver, topic, state in rows:
            if oid != last:
                last, last_id = oid, self.stream_id(oid)
            out.append((pos, StoredEvent(last_id, ver, topic, state)))
        return out

    def _log_select(self) -> str:
        return (
            f"SELECT {self.position_column} AS pos, originator_id AS oid, "
            f"originator_version AS ver, topic, state FROM {self.events_table} "
        )

    def iter_log(self, start: int, stop: int | None, page: int) -> Iterator[list[Positioned]]:
        """The log in notification order from `start` (inclusive) up to `stop`, a page
        (one read transaction) at a time."""
        position = start
        upper = stop if stop is not None else 2**62
        pos = self.position_column
        while True:
            with self.read() as cur:
                rows = self._read_log(
                    cur,
                    self._log_select() + f"WHERE {pos} >= {self.ph} AND {pos} <= {self.ph} "
                    f"ORDER BY {pos} LIMIT {self.ph}",
                    (position, upper, page),
                )
            if not rows:
                return
            yield rows
            position = rows[-1][0] + 1

    def read_after(self, cur: Any, position: int) -> list[Positioned]:
        """Every event after `position`, read with `cur` (inside a transaction)."""
        pos = self.position_column
        return self._read_log(
            cur, self._log_select() + f"WHERE {pos} > {self.ph} ORDER BY {pos}", (position,)
        )

    def scan_page(
        self,
        *,
        horizon: int,
        prefix: str,
        after: tuple[Any, int] | None,
        upto: str,
        page: int,
    ) -> list[Positioned]:
        """One page of the log in (stream, version) order, streams whose topic starts with
        `prefix`, positions up to `horizon`, after the (stream, version) `after`, streams
        up to the cursor `upto` ('' for no bound)."""
        ph = self.ph
        sql = (
            self._log_select() + f"WHERE {self.position_column} <= {ph} "
            f"AND substr(topic, 1, CAST({ph} AS INTEGER)) = {ph} "
        )
        params: list[Any] = [horizon, len(prefix), prefix]
        if upto:
            sql += f"AND originator_id <= {ph} "
            params.append(self.cursor_value(upto))
        if after is not None:
            # A row value, so that the engine seeks the primary key (an OR scans it).
            sql += f"AND (originator_id, originator_version) > ({ph}, {ph}) "
            params.extend(after)
        sql += f"ORDER BY originator_id, originator_version LIMIT {ph}"
        with self.read() as cur:
            return self._read_log(cur, sql, (*params, page))

    def count_events(self, *, start: int, stop: int, prefix: str) -> int:
        """How many events with this topic prefix lie in positions [start, stop]."""
        pos = self.position_column
        with self.read() as cur:
            cur.execute(
                f"SELECT COUNT(*) AS n FROM {self.events_table} WHERE {pos} >= {self.ph} "
                f"AND {pos} <= {self.ph} AND substr(topic, 1, CAST({self.ph} AS INTEGER)) = {self.ph}",
                (start, stop, len(prefix), prefix),
            )
            return int(cur.fetchone()["n"])

    def max_position(self) -> int:
        """The position of the last event in the log (0 when empty)."""
        with self.read() as cur:
            cur.execute(f"SELECT MAX({self.position_column}) AS m FROM {self.events_table}")
            row = cur.fetchone()
        return int(row["m"] or 0) if row else 0

    # -- small shared tables ----------------------------------------------------------

    def secret(self, name: str) -> str:
        """A random installation secret, created on first use."""
        table = self.qualify(SECRETS)
        with self.write() as cur:
            cur.execute(
                f"INSERT INTO {table} (name, secret) VALUES ({self.ph}, {self.ph}) "
                "ON CONFLICT (name) DO NOTHING",
                (name, secrets.token_hex(32)),
            )
            cur.execute(f"SELECT secret FROM {table} WHERE name = {self.ph}", (name,))
            return str(cur.fetchone()["secret"])

    def allocate(self, counter: str, count: int) -> int:
        """Reserve `count` consecutive ids of `counter` (one atomic UPDATE); the first."""
        table = self.qualify(COUNTERS)
        with self.write() as cur:
            cur.execute(
                f"INSERT INTO {table} (name, next_value) VALUES ({self.ph}, 1) "
                "ON CONFLICT (name) DO NOTHING",
                (counter,),
            )
            cur.execute(
                f"UPDATE {table} SET next_value = next_value + {self.ph} WHERE name = {self.ph} "
                "RETURNING next_value",
                (count, counter),
            )
            after = int(cur.fetchone()["next_value"])
        if after - 1 > MAX_INT32:
            raise IdSpaceExhaustedError(f"{counter} ids are exhausted (int32)")
        return after - count

    # -- per-lead data keys -----------------------------------------------------------

    def load_keys(self, ids: Sequence[UUID], cur: Any | None = None) -> dict[UUID, bytes]:
        """Keys that exist for these leads (read with `cur` when given)."""
        if cur is None:
            with self.read() as own:
                return self.load_keys(ids, own)
        sql = f"SELECT lead_uuid, data_key FROM {self.qualify(LEAD_KEYS)} WHERE lead_uuid IN ({{marks}})"
        rows = self.select_in(cur, sql, [u.hex for u in ids])
        return {UUID(row["lead_uuid"]): bytes(row["data_key"]) for row in rows}

    def load_keys_between(self, first: UUID, last: UUID, cur: Any) -> dict[UUID, bytes]:
        """Every key from stream `first` to `last` (a scan's page of consecutive streams:
        one range read of the key index instead of lookups)."""
        cur.execute(
            f"SELECT lead_uuid, data_key FROM {self.qualify(LEAD_KEYS)} "
            f"WHERE lead_uuid >= {self.ph} AND lead_uuid <= {self.ph}",
            (first.hex, last.hex),
        )
        return {UUID(r["lead_uuid"]): bytes(r["data_key"]) for r in cur.fetchall()}

    def store_keys(self, keys: dict[UUID, bytes]) -> None:
        """Insert new data keys (an existing key is never replaced)."""
        with self.write() as cur:
            cur.executemany(
                f"INSERT INTO {self.qualify(LEAD_KEYS)} (lead_uuid, data_key) "
                f"VALUES ({self.ph}, {self.ph}) ON CONFLICT (lead_uuid) DO NOTHING",
                [(u.hex, k) for u, k in keys.items()],
            )

    # -- the event transaction's other writes ----------------------------------------

    def apply_changes(self, cur: Any, changes: Changes, notification_ids: Sequence[int]) -> None:
        """Run the guards, then write read-model rows, positions and key destruction, in
        the event transaction."""
        self.apply_positions(cur, self.apply_rows(cur, changes), notification_ids)

    def apply_rows(self, cur: Any, changes: Changes) -> Changes:
        """The guards, new keys, read-model rows and key destruction; the changes as
        routed to the live tables."""
        if changes.guards:
            self.lock_scopes(cur, sorted({s for g in changes.guards for s in g.locks}))
            for guard in changes.guards:
                guard.check(cur)
        if changes.new_keys:
            cur.executemany(
                f"INSERT INTO {self.qualify(LEAD_KEYS)} (lead_uuid, data_key) VALUES "
                f"({self.ph}, {self.ph})",
                [(u.hex, k) for u, k in changes.new_keys.items()],
            )
        if self.route_changes is not None:
            changes = self.route_changes(cur, changes)
        ph = self.ph
        # Rows in key order: concurrent writers (PostgreSQL writes rows before the
        # writers' lock) then take their row locks in one order and cannot deadlock.
        for table in changes.tables:
            name = self.qualify(table.table)
            if table.deletes:
                cur.executemany(
                    f"DELETE FROM {name} WHERE {table.key} = {ph}",
                    [(k,) for k in sorted(table.deletes)],
                )
            if table.updates:
                sets = ", ".join(f"{c} = {ph}" for c in table.update_columns[1:])
                cur.executemany(
                    f"UPDATE {name} SET {sets} WHERE {table.key} = {ph}",
                    [(*row[1:], row[0]) for row in sorted(table.updates, key=_first)],
                )
            if table.upserts:
                at = table.columns.index(table.key)
                cur.executemany(
                    self.upsert_sql(name, table.columns, table.key),
                    sorted(table.upserts, key=lambda row: row[at]),
                )
        if changes.shred:
            cur.executemany(
                f"DELETE FROM {self.qualify(LEAD_KEYS)} WHERE lead_uuid = {ph}",
                [(u.hex,) for u in changes.shred],
            )
            if self.on_shred is not None:
                self.on_shred(cur, changes.shred)
        return changes

    def apply_positions(self, cur: Any, changes: Changes, notification_ids: Sequence[int]) -> None:
        """Move the synchronous read models' positions past these events."""
        if changes.positions and notification_ids:
            top = max(notification_ids)
            cur.execute(
                self.advance_sql(len(changes.positions), self.ph),
                (top, *changes.positions, top),
            )

    def advance_sql(self, count: int, to: str) -> str:
        """An UPDATE moving `count` named read models' positions up to `to` (an SQL
        expression, given twice), never back; the names' marks come between."""
        return (
            f"UPDATE {self.qualify(PROJECTIONS)} SET position = {to} "
            f"WHERE name IN ({self.marks(count)}) AND position < {to}"
        )

    def insert_sql(self, qualified: str, columns: Sequence[str]) -> str:
        """A plain INSERT of `columns`."""
        return f"INSERT INTO {qualified} ({', '.join(columns)}) VALUES ({self.marks(len(columns))})"

    def insert_rows(
        self, cur: Any, qualified: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many new rows at once (a rebuild's bulk phase): one `executemany`."""
        cur.executemany(self.insert_sql(qualified, columns), rows)

    def upsert_sql(self, qualified: str, columns: Sequence[str], key: str) -> str:
        """An INSERT of `columns` that replaces the row of an existing `key`."""
        sets = ", ".join(f"{c} = excluded.{c}" for c in columns if c != key)
        return f"{self.insert_sql(qualified, columns)} ON CONFLICT ({key}) DO UPDATE SET {sets}"


def _first(row: tuple[Any, ...]) -> Any:
    return row[0]


def split_sql(sql: str) -> list[str]:
    """`;`-separated statements, with `--` comments removed."""
    lines = [line for line in sql.splitlines() if not line.strip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
