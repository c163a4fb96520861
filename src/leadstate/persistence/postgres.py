"""PostgreSQL: the library's postgres module, with read models in the event transaction.

The library serialises event writers with `LOCK TABLE ... IN EXCLUSIVE MODE` on the
events table (the writers' lock), held to COMMIT, so that notification ids commit in
order and a reader following the log never passes an id below which an event can still
commit. Everything of a transaction that does not need its notification ids (guards,
new keys, read-model rows, key destruction) is written *before* that lock; under it go
only the lock itself, a check that the read-model tables were not swapped meanwhile,
NOTIFY, the events' INSERT, the positions' UPDATE and COMMIT, sent as one simple-protocol
query: the server holds the lock for its own work, never waiting on this process (whose
threads, under load, wait milliseconds for the GIL).

A rebuild's swap takes the same lock and bumps the tables' generation; a writer that
routed its rows by an older generation fails the check under the lock and starts over
(rows of one lead are row-locked, so they still commit in log order).
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import DataError, InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from eventsourcing.utils import retry
from psycopg import ClientCursor, Cursor
from psycopg.pq import TransactionStatus
from psycopg.rows import DictRow, tuple_row
from psycopg.sql import SQL, Composable, Composed, Identifier

from leadstate.persistence.base import Changes, CommitWaiter, Store, split_sql
from leadstate.persistence.tables import COUNTERS, GENERATION, LEAD_KEYS

_SWAPPED = "read-model tables swapped meanwhile"
# From this many events a batch is staged by COPY before the lock (one more round trip,
# but no array literal built in Python): below it, the events travel in the tail.
STAGE_FROM = 64
_STAGED = "ls_staged_events"


class LeadstatePostgresRecorder(PostgresApplicationRecorder):
    """Writes the read-model changes that came with a batch, under the table lock."""

    store: PostgresStore

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tail_queries: dict[tuple[bool, bool, bool, int], str] = {}

    def create_table(self) -> None:
        """The library's DDL, one process at a time (the lock `PostgresStore.script` takes).

        Processes starting together on a fresh database otherwise race on its CREATE
        TYPE / TABLE IF NOT EXISTS / OR REPLACE FUNCTION and all but one may fail.
        """
        with self.datastore.get_connection() as conn:
            conn.execute("SELECT pg_advisory_lock(727274)")
            try:
                super().create_table()
            finally:
                conn.execute("SELECT pg_advisory_unlock(727274)")

    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """Events and their read-model changes in one transaction; a swap of the
        read-model tables meanwhile makes it start over."""
        changes: Changes | None = kwargs.get("changes")
        while True:
            try:
                ids: list[int] = self._insert_once(stored_events, changes)
                return ids
            except DataError as error:
                if _SWAPPED not in str(error):
                    raise

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def _insert_once(
        self, stored_events: Sequence[StoredEvent], changes: Changes | None
    ) -> list[int]:
        """Rows first, then everything under the writers' lock, COMMIT included, in one
        message: the server holds the lock for its own work only, never waiting on us."""
        with self.datastore.get_connection() as conn:
            self.store.prepare_session(conn)
            conn.autocommit = True  # the transaction is framed here, to end inside the tail
            staged = len(stored_events) >= STAGE_FROM
            try:
                with conn.cursor() as curs:
                    curs.execute("BEGIN")
                    try:
                        generation = None
                        if changes:
                            generation = self.store.apply_rows(curs, changes).generation
                        if staged:
                            self._stage(curs, stored_events)
                        return self._tail(conn, stored_events, changes, generation, staged)
                    except BaseException:
                        # The error that got here is raised; a connection too broken to
                        # roll back is discarded by the pool.
                        with suppress(psycopg.Error):
                            if conn.info.transaction_status != TransactionStatus.IDLE:
                                conn.execute("ROLLBACK")
                        raise
            finally:
                if conn.info.transaction_status == TransactionStatus.IDLE:
                    conn.autocommit = False

    @staticmethod
    def _stage(curs: Cursor[Any], stored_events: Sequence[StoredEvent]) -> None:
        """The events into this session's staging table, by binary COPY, numbered."""
        with curs.copy(
            f"COPY {_STAGED} (n, originator_id, originator_version, topic, state) "
            "FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int4", "uuid", "int8", "text", "bytea"])
            for n, e in enumerate(stored_events):
                copy.write_row((n, e.originator_id, e.originator_version, e.topic, e.state))

    def _tail(
        self,
        conn: psycopg.Connection[Any],
        stored_events: Sequence[StoredEvent],
        changes: Changes | None,
        generation: int | None,
        staged: bool,
    ) -> list[int]:
        """The writers' lock, the swap check, NOTIFY, the events, the positions, COMMIT:
        one simple-protocol query with its parameters bound here."""
        positions = list(changes.positions) if stored_events and changes else []
        shape = (generation is not None, staged, bool(stored_events), len(positions))
        query = self._tail_queries.get(shape)
        if query is None:
            query = self._tail_queries[shape] = self._tail_query(*shape).as_string(conn)
        params: list[Any] = []
        if generation is not None:
            params += [GENERATION, generation, _SWAPPED]
        if stored_events and not staged:
            params += [
                [e.originator_id for e in stored_events],
                [e.originator_version for e in stored_events],
                [e.topic for e in stored_events],
                [e.state for e in stored_events],
            ]
        if positions:
            params += [self.store.events_table, *positions, self.store.events_table]
        ids: list[int] = []
        with ClientCursor(conn) as tail:
            tail.execute(query, params)
            while True:
                if tail.description and tail.description[0].name == "notification_id":
                    ids = [int(row["notification_id"]) for row in tail.fetchall()]
                if not tail.nextset():
                    break
        return ids

    def _tail_query(
        self, checks_generation: bool, staged: bool, has_events: bool, positions: int
    ) -> Composed:
        """The tail's statements for one shape of write (see `_tail` for the parameters)."""
        statements: list[Composable] = []
        for lock in self.lock_table_statements:  # the library composes them
            if not isinstance(lock, Composable):
                raise TypeError(f"unexpected lock statement {lock!r}")
            statements.append(lock)
        if checks_generation:
            # A swap since the rows were routed fails the cast: the whole query aborts.
            statements.append(
                SQL(
                    "SELECT CAST(CASE WHEN COALESCE((SELECT next_value FROM {} WHERE name "
                    "= %s), 0) = %s THEN '0' ELSE %s END AS INTEGER)"
                ).format(Identifier(self.datastore.schema, COUNTERS))
            )
        statements.append(SQL("NOTIFY {0}").format(Identifier(self.channel_name)))
        insert = SQL("INSERT INTO {} (originator_id, originator_version, topic, state) ").format(
            Identifier(self.datastore.schema, self.events_table_name)
        )
        if staged:
            statements.append(
                insert
                + SQL(
                    f"SELECT originator_id, originator_version, topic, state FROM {_STAGED} "
                    "ORDER BY n RETURNING notification_id"
                )
            )
        elif has_events:
            statements.append(
                insert
                + SQL(
                    "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::text[], %s::bytea[]) "
                    "RETURNING notification_id"
                )
            )
        if positions:
            statements.append(SQL(self.store.advance_to_last_insert_sql(positions)))
        statements.append(SQL("COMMIT"))
        return SQL("; ").join(statements)


def advisory_key(schema: str, name: str) -> int:
    """A signed 64-bit advisory-lock key for `name` within `schema`."""
    digest = hashlib.sha256(f"leadstate:{schema}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Listener:
    """A LISTENing connection: `wait` returns at the first notification."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self.connection = connection

    def wait(self, timeout: float) -> None:
        """Return at the next NOTIFY, or after `timeout` seconds."""
        for _ in self.connection.notifies(timeout=timeout, stop_after=1):
            pass

    def close(self) -> None:
        """Close the connection."""
        self.connection.close()


class LeadstatePostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, with our recorder."""

    application_recorder_class = LeadstatePostgresRecorder


class PostgresStore(Store):
    """SQL for PostgreSQL."""

    ph = "%s"
    blob = "BYTEA"
    share_lock = " FOR SHARE"
    position_column = "notification_id"

    def __init__(
        self,
        datastore: PostgresDatastore,
        events_table: str,
        channel: str,
        *,
        random_page_cost: float | None = None,
    ) -> None:
        self.datastore = datastore
        self.channel = channel
        self._session_setup = [
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGED} (n integer, originator_id uuid, "
            "originator_version bigint, topic text, state bytea) ON COMMIT DELETE ROWS"
        ]
        if random_page_cost:
            self._session_setup.append(f"SET random_page_cost = {float(random_page_cost)}")
        self._prepared: weakref.WeakSet[psycopg.Connection[Any]] = weakref.WeakSet()
        self.schema = datastore.schema
        self.events_table = f'"{self.schema}"."{events_table}"'
        self.events_table_name = events_table

    def advance_to_last_insert_sql(self, positions: int) -> str:
        """An UPDATE that moves `positions` read models' positions to the last notification
        id its transaction inserted (the sequence's `currval`: the ids need no round trip);
        its parameters: the events table, the read models' names, the events table."""
        return self.advance_sql(positions, "currval(pg_get_serial_sequence(%s, 'notification_id'))")

    def _own_connection(self) -> psycopg.Connection[Any]:
        """A connection outside the pool, in autocommit."""
        pool_kwargs = self.datastore.pool.kwargs
        assert isinstance(pool_kwargs, dict)  # the library passes a dict
        kwargs = {k: v for k, v in pool_kwargs.items() if k != "row_factory"}
        return psycopg.connect(autocommit=True, **kwargs)

    def commit_waiter(self) -> CommitWaiter:
        """A connection of its own LISTENing on the channel every event insert NOTIFYs."""
        connection = self._own_connection()
        connection.execute(SQL("LISTEN {0}").format(Identifier(self.channel)))
        return _Listener(connection)

    def vacuum(self) -> None:
        """VACUUM ANALYZE the log and the key table (outside any transaction)."""
        with self._own_connection() as connection:
            for table in (self.events_table, self.qualify(LEAD_KEYS)):
                connection.execute(f"VACUUM (ANALYZE) {table}")

    def wake_waiters(self) -> None:
        """NOTIFY the channel: every commit waiter returns now."""
        with self.write() as cur:
            cur.execute(SQL("NOTIFY {0}").format(Identifier(self.channel)))

    def stream_value(self, stream_id: UUID) -> Any:
        """Stream ids are stored as UUIDs."""
        return stream_id

    def stream_id(self, value: Any) -> UUID:
        """A stored stream id."""
        return value if isinstance(value, UUID) else UUID(str(value))

    def cursor_text(self, stream_id: UUID) -> str:
        """The canonical text of the UUID."""
        return str(stream_id)

    def cursor_value(self, text: str) -> Any:
        """Compared as a UUID."""
        return UUID(text)

    def qualify(self, table: str) -> str:
        """Schema-qualified name."""
        return f'"{self.schema}"."{table}"'

    @contextmanager
    def read(self) -> Iterator[Cursor[DictRow]]:
        """A read-only transaction."""
        with self.datastore.get_connection() as conn:
            self.prepare_session(conn)
            with conn.transaction(force_rollback=True):
                yield conn.cursor()

    def prepare_session(self, conn: psycopg.Connection[Any]) -> None:
        """Once per connection, outside any transaction: the planner settings and the
        temporary table that batches of events are staged in (`STAGE_FROM`)."""
        if conn in self._prepared:
            return
        autocommit = conn.autocommit
        conn.autocommit = True
        try:
            for statement in self._session_setup:
                conn.execute(statement)
        finally:
            conn.autocommit = autocommit
        self._prepared.add(conn)

    @contextmanager
    def read_latest(self) -> Iterator[Cursor[DictRow]]:
        """Statements in autocommit: one round trip each, no BEGIN and ROLLBACK."""
        with self.datastore.get_connection() as conn:
            self.prepare_session(conn)
            conn.autocommit = True
            try:
                with conn.cursor() as cur:
                    yield cur
            finally:
                if conn.info.transaction_status == TransactionStatus.IDLE:
                    conn.autocommit = False

    def insert_rows(
        self, cur: Any, qualified: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many new rows at once by COPY (no statement per row, values dumped by
        psycopg's C adapters)."""
        with cur.copy(f"COPY {qualified} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    @contextmanager
    def tuple_rows(self, cur: Any) -> Iterator[None]:
        """While inside: `cur` returns rows as plain tuples."""
        factory = cur.row_factory
        cur.row_factory = tuple_row
        try:
            yield
        finally:
            cur.row_factory = factory

    @contextmanager
    def write(self) -> Iterator[Cursor[DictRow]]:
        """A read-write transaction."""
        with self.datastore.transaction(commit=True) as cur:
            yield cur

    def script(self, sql: str) -> None:
        """Run DDL statements, serialised across processes by an advisory lock."""
        with self.write() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(727274)")
            for statement in split_sql(sql):
                cur.execute(statement)

    def lock_writers(self, cursor: Any) -> None:
        """Take the lock every event writer takes."""
        cursor.execute(f"LOCK TABLE {self.events_table} IN EXCLUSIVE MODE")

    def lock_scopes(self, cursor: Any, scopes: Sequence[str]) -> None:
        """A transaction-scoped advisory lock per scope (of this schema), in sorted order."""
        for scope in sorted(scopes):
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", (advisory_key(self.schema, scope),))

    def analyze(self, table: str) -> int:
        """ANALYZE now rather than when autovacuum gets to it."""
        qualified = self.qualify(table)
        with self.write() as cur:
            cur.execute(f"ANALYZE {qualified}")
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (qualified,))
            row = cur.fetchone()
        return max(0, int(row["reltuples"])) if row else 0
