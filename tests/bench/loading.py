"""The physical limit of a load: the very rows a load wrote (events, data keys,
lead-search rows with their indexes), inserted again by raw SQL into empty copies of
their tables, a load's chunk per transaction, with no Python work per lead."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from typing import Any

from leadstate.application.bootstrap import Leadstate
from leadstate.application.loading import LOAD_CHUNK
from leadstate.persistence.tables import LEAD_KEYS
from leadstate.settings import Settings
from tests.bench.common import pg_url


def _tables(app: Leadstate) -> list[str]:
    """The unqualified names of the tables a load writes, the log first."""
    return [app.engine.recorder.events_table_name, LEAD_KEYS, app.queries.tables["lead_search"]]


def loader_rows_limit(app: Leadstate, settings: Settings, sibling: Callable[[str], Any]) -> float:
    """Leads per second re-inserting what the loader wrote (every lead of the store)."""
    names = _tables(app)
    if settings.db.startswith("postgres"):
        return _postgres(settings, sibling("rows"), names)
    source = sqlite3.connect(settings.db)
    schema = [
        sql
        for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND tbl_name IN (?, ?, ?) "
            "ORDER BY type = 'index'",
            names,
        )
    ]
    rows = {
        name: source.execute(f"SELECT * FROM {name} ORDER BY rowid").fetchall() for name in names
    }
    source.close()
    target = sqlite3.connect(sibling("rows"), isolation_level=None)
    target.execute("PRAGMA journal_mode=WAL")
    target.execute("PRAGMA synchronous=NORMAL")
    for sql in schema:
        target.execute(sql)
    leads = len(rows[names[1]])
    statements = {
        name: f"INSERT INTO {name} VALUES ({', '.join('?' * len(rows[name][0]))})" for name in names
    }
    started = time.perf_counter()
    for start in range(0, leads, LOAD_CHUNK):
        target.execute("BEGIN IMMEDIATE")
        for name in names:
            target.executemany(statements[name], rows[name][start : start + LOAD_CHUNK])
        target.execute("COMMIT")
    seconds = time.perf_counter() - started
    target.close()
    return leads / seconds


def _postgres(settings: Settings, schema: str, names: list[str]) -> float:
    """The same on PostgreSQL, by COPY (its fastest way in)."""
    import psycopg

    with psycopg.connect(pg_url(), autocommit=True) as pg:
        rows: dict[str, list[tuple[Any, ...]]] = {}
        for name in names:
            pg.execute(
                f'CREATE TABLE "{schema}"."{name}" '
                f'(LIKE "{settings.pg_schema}"."{name}" INCLUDING ALL)'
            )
            rows[name] = pg.execute(f'SELECT * FROM "{settings.pg_schema}"."{name}"').fetchall()
        leads = len(rows[LEAD_KEYS])
        started = time.perf_counter()
        for start in range(0, leads, LOAD_CHUNK):
            with pg.transaction(), pg.cursor() as cur:
                for name in names:
                    with cur.copy(f'COPY "{schema}"."{name}" FROM STDIN') as copy:
                        for row in rows[name][start : start + LOAD_CHUNK]:
                            copy.write_row(row)
        return leads / (time.perf_counter() - started)
