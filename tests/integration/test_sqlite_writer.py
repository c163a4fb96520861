"""SQLite's writers across processes (SPEC §8): one writer lock for the whole file."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

from leadstate.application.bootstrap import migrate, open_leadstate
from leadstate.settings import Settings

COUNTERS = "ls_counters"


def _read_then_write(settings_json: str, started: Any, results: Any) -> None:
    """Read in a write transaction, let the other process try to write, then write."""
    try:
        service = open_leadstate(Settings.model_validate_json(settings_json))
        with service.store.write() as cur:
            cur.execute(f"SELECT COUNT(*) AS n FROM {COUNTERS}")
            cur.fetchone()
            started.set()
            multiprocessing.Event().wait(0.5)  # the other process's write arrives now
            cur.execute(
                f"INSERT INTO {COUNTERS} (name, next_value) VALUES ('first', 1)",
            )
        service.close()
        results.put("ok")
    except BaseException as error:
        results.put(repr(error))
        raise


def test_a_transaction_that_reads_before_writing_never_meets_another_processs_writer(
    tmp_path: Path,
) -> None:
    """Without one lock across processes, the other process commits between the read and
    the write, and SQLite refuses the write at once with "database is locked"."""
    settings = Settings(db=str(tmp_path / "leadstate.db"))  # type: ignore[arg-type]
    migrate(settings)
    context = multiprocessing.get_context("spawn")
    started, results = context.Event(), context.Queue()
    child = context.Process(
        target=_read_then_write, args=(settings.model_dump_json(), started, results)
    )
    child.start()
    assert started.wait(60)
    service = open_leadstate(settings)
    with service.store.write() as cur:
        cur.execute(f"INSERT INTO {COUNTERS} (name, next_value) VALUES ('second', 2)")
    assert results.get(timeout=60) == "ok"
    child.join(60)
    with service.store.read() as cur:
        cur.execute(f"SELECT name FROM {COUNTERS} WHERE name IN ('first', 'second')")
        names = sorted(r["name"] for r in cur.fetchall())
    service.close()
    assert names == ["first", "second"]


def test_a_connection_given_back_inside_a_transaction_is_rolled_back_first(
    tmp_path: Path,
) -> None:
    """A COMMIT that fails (or any exit that skips it) must not hand the next writer a
    connection still in a transaction: every later write would fail with "cannot start a
    transaction within a transaction"."""
    settings = Settings(db=str(tmp_path / "leadstate.db"))  # type: ignore[arg-type]
    migrate(settings)
    service = open_leadstate(settings)
    try:
        datastore = service.engine.factory.datastore
        with datastore.get_connection(commit=True) as conn, conn.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(f"INSERT INTO {COUNTERS} (name, next_value) VALUES ('lost', 1)")
        for _ in range(3):  # whichever pooled connection comes next
            with service.store.write() as cur:
                cur.execute(f"SELECT COUNT(*) AS n FROM {COUNTERS} WHERE name = 'lost'")
                assert cur.fetchone()["n"] == 0, "the abandoned transaction was rolled back"
    finally:
        service.close()
