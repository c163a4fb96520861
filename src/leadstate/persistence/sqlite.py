"""The embedded SQLite engine: one file, WAL, secure_delete, read models in the same file."""

from __future__ import annotations

import fcntl
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any
from uuid import UUID

from eventsourcing.persistence import OperationalError, StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteConnection,
    SQLiteConnectionPool,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
)
from eventsourcing.utils import Environment, EnvType

from leadstate.persistence.base import Changes, Store, split_sql
from leadstate.persistence.tables import COUNTERS

EVENTS_TABLE = "stored_events"


class WriterFileLock:
    """One writer across processes: an exclusive `flock` on `<database>-writer`.

    The library serialises the writers of one process; between processes SQLite's own
    lock makes a waiting writer sleep in its busy handler (1 to 100 ms a try), and a
    transaction that reads before it writes fails at once with "database is locked"
    when another process committed in between. Writers queue here instead: the lock is
    held for the whole write transaction, so a transaction never meets another
    process's writer, and a waiter polls every fraction of a millisecond.
    """

    def __init__(self, path: str, timeout: float) -> None:
        self.path = path
        self.timeout = timeout
        self._fd: int | None = None
        self._pid = 0

    def _descriptor(self) -> int:
        if self._fd is None or self._pid != os.getpid():  # opened lazily, again after fork
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
            self._pid = os.getpid()
        return self._fd

    def acquire(self) -> None:
        """Wait for the lock, at most `timeout` seconds."""
        fd = self._descriptor()
        deadline = time.monotonic() + self.timeout
        pause = 0.0002
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise OperationalError(
                        f"database is locked: another process held its writer lock "
                        f"({self.path}) for more than {self.timeout:g} s"
                    ) from None
                time.sleep(pause)
                pause = min(pause * 2, 0.002)

    def release(self) -> None:
        """Let the next writer in."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)

    def close(self) -> None:
        """Close the lock file."""
        if self._fd is not None and self._pid == os.getpid():
            os.close(self._fd)
        self._fd = None


def database_path(db_name: str) -> str | None:
    """The file behind a SQLite database name (None for an in-memory database)."""
    if ":memory:" in db_name or "mode=memory" in db_name:
        return None
    if db_name.startswith("file:"):
        db_name = db_name[len("file:") :].split("?", 1)[0]
    return db_name


class LeadstateSQLitePool(SQLiteConnectionPool):
    """Connections with secure_delete, a truncated WAL and the configured durability;
    write connections hold the database's writer lock across processes."""

    synchronous = "NORMAL"  # set per pool by the factory
    writer_lock: WriterFileLock | None = None  # set per pool by the factory

    def get_connection(
        self, timeout: float | None = None, *, is_writer: bool | None = None
    ) -> SQLiteConnection:
        """A connection; one for writing also holds the writer lock until it is put back."""
        connection = super().get_connection(timeout, is_writer=is_writer)
        if is_writer is True and self.writer_lock is not None:
            try:
                self.writer_lock.acquire()
            except BaseException:
                super().put_connection(connection)
                raise
        return connection

    def put_connection(self, conn: SQLiteConnection) -> None:
        """Give a connection back (and the writer lock with a write connection), never
        inside a transaction: one whose COMMIT failed is rolled back here, so the next
        writer does not meet "cannot start a transaction within a transaction"."""
        try:
            conn.rollback()  # a no-op unless a transaction is still open
        except sqlite3.Error:
            conn.close()  # too broken to roll back: the pool drops it
        finally:
            if conn.is_writer is True and self.writer_lock is not None:
                self.writer_lock.release()
            super().put_connection(conn)

    def close(self) -> None:
        """Close the connections and the lock file."""
        super().close()
        if self.writer_lock is not None:
            self.writer_lock.close()

    def _create_connection(self) -> SQLiteConnection:
        # Processes opening a brand-new file together race to switch it to WAL, which
        # SQLite reports at once as "database is locked" (no busy wait): try again.
        deadline = time.monotonic() + float(self.lock_timeout or 5)
        while True:
            try:
                connection = super()._create_connection()
                break
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        with connection.cursor() as cursor:  # closed: no statement left active
            cursor.execute("PRAGMA secure_delete = ON")
            cursor.execute("PRAGMA journal_size_limit = 0")
            cursor.execute(f"PRAGMA synchronous = {self.synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
        return connection


def dict_row(cursor: sqlite3.Cursor, values: tuple[Any, ...]) -> dict[str, Any]:
    """Rows as dicts, like PostgreSQL's: `sqlite3.Row` finds a column by name with a
    linear, case-insensitive scan (~37 µs for a 45-column lead row, 5 µs as a dict)."""
    return dict(zip([d[0] for d in cursor.description], values, strict=True))


class ReadConnections:
    """Connections for read transactions, outside the library's pool.

    The library's pool queues every request for a connection behind a writer waiting
    for the writer lock, so under concurrent commands each read waits for the writes
    ahead of it. In WAL mode readers never block writers nor wait for them.
    """

    def __init__(self, db_name: str, lock_timeout: float, keep: int = 16) -> None:
        self.db_name = db_name
        self.lock_timeout = lock_timeout
        self._idle: queue.LifoQueue[tuple[int, sqlite3.Connection]] = queue.LifoQueue(keep)
        self._closed = threading.Event()
        self._generation = 0

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.db_name,
            uri=True,
            check_same_thread=False,
            isolation_level=None,
            timeout=self.lock_timeout,
        )
        connection.row_factory = dict_row
        return connection

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Cursor]:
        """A cursor in a read transaction (one snapshot for every statement)."""
        try:
            generation, connection = self._idle.get_nowait()
        except queue.Empty:
            generation, connection = self._generation, self._connect()
        cursor = connection.cursor()
        try:
            cursor.execute("BEGIN")
            yield cursor
        finally:
            cursor.close()
            if connection.in_transaction:
                connection.rollback()
            self._give_back(generation, connection)

    def _give_back(self, generation: int, connection: sqlite3.Connection) -> None:
        if self._closed.is_set() or generation != self._generation:
            connection.close()
            return
        try:
            self._idle.put_nowait((generation, connection))
        except queue.Full:
            connection.close()

    def _close_idle(self) -> None:
        while True:
            try:
                self._idle.get_nowait()[1].close()
            except queue.Empty:
                return

    def renew(self) -> None:
        """Replace every connection: SQLite reads the planner's statistics only when a
        connection opens (a schema change does not reload them)."""
        self._generation += 1
        self._close_idle()

    def close(self) -> None:
        """Close the idle connections; ones in use close when given back."""
        self._closed.set()
        self._close_idle()


class LeadstateSQLiteRecorder(SQLiteApplicationRecorder):
    """Inserts events, then the read-model changes that came with them, in one transaction."""

    store: SQLiteStore

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = self._insert_many(c, stored_events)
        changes: Changes | None = kwargs.get("changes")
        if changes:
            self.store.apply_changes(c, changes, ids)
        return ids

    def _insert_many(self, c: SQLiteCursor, stored_events: Sequence[StoredEvent]) -> list[int]:
        """One executemany instead of one execute per event.

        Writers are serialised, and SQLite gives a new row the largest rowid plus one,
        so the batch's notification ids are the next consecutive rowids (checked).
        The INSERT comes first: a read first would take a snapshot that another process's
        commit makes stale, and the upgrade to writer then fails at once with "database
        is locked" instead of waiting for the lock.
        """
        if not stored_events:
            return []
        rows = [
            (
                s.originator_id.hex if isinstance(s.originator_id, UUID) else s.originator_id,
                s.originator_version,
                s.topic,
                s.state,
            )
            for s in stored_events
        ]
        c.executemany(self.insert_events_statement, rows)
        c.execute(f"SELECT MAX(rowid) FROM {self.events_table_name}")
        last = int(c.fetchone()[0])
        first = last - len(rows) + 1
        c.execute(
            f"SELECT rowid FROM {self.events_table_name} "
            "WHERE originator_id = ? AND originator_version = ?",
            rows[0][:2],
        )
        if int(c.fetchone()[0]) != first:
            raise RuntimeError("notification ids of a batch were not consecutive")
        return list(range(first, last + 1))


class LeadstateSQLiteFactory(SQLiteFactory):
    """The library's SQLite factory, with our pool and recorder."""

    application_recorder_class = LeadstateSQLiteRecorder

    def __init__(self, env: Environment | EnvType | None, *, synchronous: str = "NORMAL") -> None:
        super().__init__(env)
        old = self.datastore
        self.datastore = SQLiteDatastore(
            db_name=old.pool.db_name,
            lock_timeout=old.pool.lock_timeout,
            pool_size=10,
            max_overflow=10,
            pool_timeout=30.0,
        )
        pool = LeadstateSQLitePool(
            db_name=old.pool.db_name,
            lock_timeout=old.pool.lock_timeout,
            pool_size=10,
            max_overflow=10,
            pool_timeout=30.0,
        )
        pool.synchronous = synchronous
        path = database_path(pool.db_name)
        if path is not None:
            pool.writer_lock = WriterFileLock(f"{path}-writer", float(pool.lock_timeout or 5))
        self.datastore.pool = pool
        old.close()


class SQLiteStore(Store):
    """SQL for the embedded engine."""

    ph = "?"
    blob = "BLOB"
    events_table = EVENTS_TABLE
    position_column = "rowid"

    def __init__(self, datastore: SQLiteDatastore) -> None:
        self.datastore = datastore
        pool = datastore.pool
        self.readers = ReadConnections(pool.db_name, float(pool.lock_timeout or 5))

    def qualify(self, table: str) -> str:
        """SQLite has no schemas here."""
        return table

    @contextmanager
    def read(self) -> Iterator[Any]:
        """A read transaction (a consistent snapshot under WAL)."""
        with self.readers.transaction() as cur:
            yield cur

    def analyze(self, table: str) -> int:
        """ANALYZE the whole table: a sample (`analysis_limit`) caps the row estimates and
        misleads the planner; callers run it when the table has doubled, so it stays cheap."""
        with self.write() as cur:
            cur.execute(f"ANALYZE {table}")
            cur.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = ? AND idx IS NULL", (table,))
            row = cur.fetchone()
            if row is None:
                cur.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = ?", (table,))
                row = cur.fetchone()
        self.readers.renew()
        return int(str(row[0]).split()[0]) if row else 0

    def close(self) -> None:
        """Close the read connections."""
        self.readers.close()

    @contextmanager
    def tuple_rows(self, cur: Any) -> Iterator[None]:
        """While inside: `cur` returns rows as plain tuples (a write transaction's cursor
        is the library's wrapper of the sqlite3 one)."""
        inner = getattr(cur, "sqlite_cursor", cur)
        factory = inner.row_factory
        inner.row_factory = None
        try:
            yield
        finally:
            inner.row_factory = factory

    @contextmanager
    def write(self) -> Iterator[Any]:
        """A write transaction, serialised with every other writer of this process."""
        with self.datastore.transaction(commit=True) as cur:
            yield cur

    def script(self, sql: str) -> None:
        """Run DDL statements."""
        with self.write() as cur:
            for statement in split_sql(sql):
                cur.execute(statement)

    def stream_value(self, stream_id: UUID) -> Any:
        """Stream ids are stored as hex text."""
        return stream_id.hex

    def stream_id(self, value: Any) -> UUID:
        """A stored hex stream id."""
        return value if isinstance(value, UUID) else UUID(value)

    def cursor_text(self, stream_id: UUID) -> str:
        """The stored (hex) form."""
        return stream_id.hex

    def cursor_value(self, text: str) -> Any:
        """Compared as stored."""
        return text

    def lock_writers(self, cursor: Any) -> None:
        """Writers of this process already wait for this connection; take the file lock."""
        cursor.execute(
            f"INSERT INTO {self.qualify(COUNTERS)} (name, next_value) VALUES "
            "('__lock__', 0) ON CONFLICT (name) DO UPDATE SET next_value = next_value"
        )

    def compact(self) -> bool:
        """Rewrite the file from live rows only, fold the WAL into it and truncate it.

        `secure_delete` zeroes a deleted row's cells, but not the stale copies SQLite
        leaves in a page's unused gap when page splits move cells to other pages, so a
        deleted lead's index entries (its phone, names) can survive there. VACUUM
        rebuilds every page (SPEC §5); it costs a copy of the database, like
        PostgreSQL's VACUUM FULL.
        """
        with self.datastore.get_connection(commit=True) as conn, conn.cursor() as cursor:
            cursor.execute("VACUUM")
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            # Read to its end and closed: a statement left active on this connection
            # made the next writer's COMMIT fail ("SQL statements in progress").
            cursor.fetchall()
        return True
