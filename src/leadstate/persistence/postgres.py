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

from eventsourcing.persistence import StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
)
from psycopg import Cursor
from psycopg.rows import DictRow

from leadstate.persistence.base import Changes, Store
from leadstate.persistence.sqlite import split_sql


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
                self.store.apply_changes(curs, changes, ids)
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


class _RollBack(BaseException):
    """Carries an error out of the library's transaction block so that it rolls back."""

    def __init__(self, error: Exception) -> None:
        super().__init__(str(error))
        self.error = error


class LeadstatePostgresFactory(PostgresFactory):
    """The library's PostgreSQL factory, with our recorder."""

    application_recorder_class = LeadstatePostgresRecorder


class PostgresStore(Store):
    """SQL for PostgreSQL."""

    ph = "%s"

    def __init__(self, datastore: PostgresDatastore, events_table: str) -> None:
        self.datastore = datastore
        self.schema = datastore.schema
        self.events_table = f'"{self.schema}"."{events_table}"'

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

    def select_streams(self, ids: Sequence[UUID]) -> dict[UUID, list[StoredEvent]]:
        """Events of many aggregates, in version order."""
        result: dict[UUID, list[StoredEvent]] = {u: [] for u in ids}
        with self.read() as cur:
            for start in range(0, len(ids), 5000):
                chunk = list(ids[start : start + 5000])
                cur.execute(
                    "SELECT originator_id, originator_version, topic, state "
                    f"FROM {self.events_table} WHERE originator_id = ANY(%s) "
                    "ORDER BY originator_id, originator_version",
                    (chunk,),
                )
                for row in cur.fetchall():
                    uuid = row["originator_id"]
                    result[uuid].append(
                        StoredEvent(uuid, row["originator_version"], row["topic"], row["state"])
                    )
        return result

    def iter_log(
        self, start: int, stop: int | None, page: int
    ) -> Iterator[list[tuple[int, StoredEvent]]]:
        """Pages of (position, event) from `start` (inclusive) up to `stop`."""
        position = start
        upper = stop if stop is not None else 2**62
        while True:
            with self.read() as cur:
                cur.execute(
                    "SELECT notification_id, originator_id, originator_version, topic, state "
                    f"FROM {self.events_table} WHERE notification_id >= %s "
                    "AND notification_id <= %s ORDER BY notification_id LIMIT %s",
                    (position, upper, page),
                )
                rows = cur.fetchall()
            if not rows:
                return
            yield [
                (
                    r["notification_id"],
                    StoredEvent(
                        r["originator_id"], r["originator_version"], r["topic"], r["state"]
                    ),
                )
                for r in rows
            ]
            position = rows[-1]["notification_id"] + 1

    def analyze(self, table: str) -> int:
        """ANALYZE now rather than when autovacuum gets to it."""
        qualified = self.qualify(table)
        with self.write() as cur:
            cur.execute(f"ANALYZE {qualified}")
            cur.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", (qualified,))
            row = cur.fetchone()
        return max(0, int(row["reltuples"])) if row else 0

    def max_position(self) -> int:
        """The last notification id of the log."""
        with self.read() as cur:
            cur.execute(f"SELECT MAX(notification_id) AS m FROM {self.events_table}")
            row = cur.fetchone()
        return int(row["m"] or 0) if row else 0
