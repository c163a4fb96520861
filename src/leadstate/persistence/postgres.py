"""PostgreSQL: the library's postgres module, with read models in the event transaction.

Read-model rows are written after the events, while the recorder holds its
`LOCK TABLE ... IN EXCLUSIVE MODE`: row changes commit in log order, and a rebuild's
swap taken under the same lock cannot miss a writer.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

import psycopg
from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Identifier

from leadstate.persistence.base import Changes, CommitWaiter, Store, split_sql
from leadstate.persistence.tables import LEAD_KEYS


class LeadstatePostgresRecorder(PostgresApplicationRecorder):
    """Writes the read-model changes that came with a batch, under the table lock."""

    store: PostgresStore

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
        """The library's insert, but a failure to write the read models rolls it back."""
        try:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
        except _RollBack as rollback:
            raise rollback.error from rollback.error.__cause__
        return ids

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs) or []
        changes: Changes | None = kwargs.get("changes")
        if changes:
            try:
                with curs.connection.pipeline() as pipeline:
                    self.store.apply_changes(_Synced(curs, pipeline), changes, ids)
            except Exception as error:
                # The library catches Exception here and re-raises it only after its
                # transaction block has exited, i.e. after COMMIT: the events would be
                # recorded without their read-model rows. A BaseException aborts it.
                raise _RollBack(error) from error
        return ids


def advisory_key(schema: str, name: str) -> int:
    """A signed 64-bit advisory-lock key for `name` within `schema`."""
    digest = hashlib.sha256(f"leadstate:{schema}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class _Synced:
    """A cursor in pipeline mode whose `executemany` waits for its own results.

    Otherwise psycopg may hand the results of an `executemany` without RETURNING,
    arriving late, to the cursor's next query: a `fetchone` after it then reads
    "INSERT 0 1" instead of its rows (seen with a few thousand rows per statement).
    """

    def __init__(self, cursor: Cursor[DictRow], pipeline: psycopg.Pipeline) -> None:
        self.cursor = cursor
        self.pipeline = pipeline

    def execute(self, sql: Any, params: Any = None, /) -> Any:
        """Queue `sql`; a fetch waits for its result."""
        return self.cursor.execute(sql, params)

    def executemany(self, sql: Any, params: Any, /) -> Any:
        """Run `sql` for every row of `params` and wait until all are done."""
        self.cursor.executemany(sql, params)
        self.pipeline.sync()

    def fetchone(self) -> Any:
        """The next row of the last query."""
        return self.cursor.fetchone()

    def fetchall(self) -> Any:
        """Every row of the last query."""
        return self.cursor.fetchall()


class _RollBack(BaseException):
    """Carries an error out of the library's transaction block so that it rolls back."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


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

    def __init__(self, datastore: PostgresDatastore, events_table: str, channel: str) -> None:
        self.datastore = datastore
        self.channel = channel
        self.schema = datastore.schema
        self.events_table = f'"{self.schema}"."{events_table}"'
        self.events_table_name = events_table

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
        with self.datastore.transaction(commit=False) as cur:
            yield cur

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
