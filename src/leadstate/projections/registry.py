"""Bookkeeping of read-model tables: which is live, which are being built or retired.

Every table here is created by the migrate step (`persistence.schema`).

- `ls_projections`: one row per read model — its live table,
  version, position and status. A swap changes `table_name` there.
- `ls_rebuilds`: one row per table a rebuild made or retired — `building`
  (resumable from `cursor`/`position`), `staged` (a newer version built ahead of a
  deploy), `live`, `retiring` (replaced; dropped after `drop_after`) or `failed`.
- `ls_rebuild_parts`: a build's scan, split in ranges of aggregate ids scanned in
  parallel, each with its own resume cursor.
- `ls_projection_errors`: why a read model stopped.
- the `rm_generation` counter in `ls_counters`: bumped by every swap and drop, read by
  every event writer under the writer lock (see `routing`).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from leadstate.persistence.base import Store
from leadstate.persistence.tables import (
    COUNTERS,
    GENERATION,
    PROJECTION_ERRORS,
    PROJECTIONS,
    REBUILD_PARTS,
    REBUILDS,
)
from leadstate.projections.definitions import ReadModelDef, load
from leadstate.projections.models import aux_tables

log = logging.getLogger("leadstate.projections")


def _dict(row: Any) -> dict[str, Any]:
    return dict(row)


@dataclass(frozen=True)
class Registration:
    """A read model's row of `ls_projections`."""

    name: str
    version: int
    table_name: str
    position: int
    status: str


def registrations(store: Store, cur: Any | None = None) -> dict[str, Registration]:
    """Every registered read model (read with `cur` when given)."""
    sql = f"SELECT name, version, table_name, position, status FROM {store.qualify(PROJECTIONS)}"
    if cur is None:
        with store.read() as own:
            own.execute(sql)
            rows = own.fetchall()
    else:
        cur.execute(sql)
        rows = cur.fetchall()
    out = {}
    for row in rows:
        data = _dict(row)
        out[data["name"]] = Registration(
            str(data["name"]),
            int(data["version"]),
            str(data["table_name"]),
            int(data["position"]),
            str(data["status"]),
        )
    return out


def register(store: Store, name: str, version: int, table: str, position: int) -> None:
    """Register a read model's first table (no-op if another process got there first)."""
    ph = store.ph
    with store.write() as cur:
        cur.execute(
            f"INSERT INTO {store.qualify(PROJECTIONS)} "
            f"(name, version, table_name, position) VALUES ({ph}, {ph}, {ph}, {ph}) "
            "ON CONFLICT (name) DO NOTHING",
            (name, version, table, position),
        )


def advance(store: Store, cur: Any, registration: Registration, position: int) -> bool:
    """Move a read model's position on to `position`, in `cur`'s transaction; False when
    it is no longer where `registration` saw it (its table or position changed)."""
    ph = store.ph
    cur.execute(
        f"UPDATE {store.qualify(PROJECTIONS)} SET position = {ph} "
        f"WHERE name = {ph} AND position = {ph} AND table_name = {ph} RETURNING position",
        (position, registration.name, registration.position, registration.table_name),
    )
    return cur.fetchone() is not None


def read_generation(store: Store, cur: Any) -> int:
    """The swap generation, read with `cur`."""
    cur.execute(
        f"SELECT next_value FROM {store.qualify(COUNTERS)} WHERE name = {store.ph}",
        (GENERATION,),
    )
    row = cur.fetchone()
    return 0 if row is None else int(row["next_value"])


def bump_generation(store: Store, cur: Any) -> None:
    """Tell every process that a read model's table changed."""
    table = store.qualify(COUNTERS)
    cur.execute(
        f"INSERT INTO {table} (name, next_value) VALUES ({store.ph}, 1) "
        f"ON CONFLICT (name) DO UPDATE SET next_value = {table}.next_value + 1",
        (GENERATION,),
    )


@dataclass(frozen=True)
class Build:
    """A row of `ls_rebuilds`."""

    table_name: str
    name: str
    version: int
    status: str
    phase: str
    horizon: int
    cursor: str
    position: int
    done: int
    total: int
    rate: float
    started_at: float
    updated_at: float
    drop_after: float | None
    error: str | None

    @classmethod
    def of(cls, row: Any) -> Build:
        """From a database row."""
        d = _dict(row)
        return cls(
            table_name=str(d["table_name"]),
            name=str(d["name"]),
            version=int(d["version"]),
            status=str(d["status"]),
            phase=str(d["phase"]),
            horizon=int(d["horizon"]),
            cursor=str(d["cursor"]),
            position=int(d["position"]),
            done=int(d["done"]),
            total=int(d["total"]),
            rate=float(d["rate"]),
            started_at=float(d["started_at"]),
            updated_at=float(d["updated_at"]),
            drop_after=None if d["drop_after"] is None else float(d["drop_after"]),
            error=None if d["error"] is None else str(d["error"]),
        )


_BUILD_COLUMNS = (
    "table_name, name, version, status, phase, horizon, cursor, position, done, total, "
    "rate, started_at, updated_at, drop_after, error"
)


def builds(store: Store, cur: Any | None = None, *, name: str | None = None) -> list[Build]:
    """Rows of `ls_rebuilds` (of one read model when `name` is given), oldest first."""
    sql = f"SELECT {_BUILD_COLUMNS} FROM {store.qualify(REBUILDS)}"
    params: tuple[Any, ...] = ()
    if name is not None:
        sql += f" WHERE name = {store.ph}"
        params = (name,)
    sql += " ORDER BY started_at"
    if cur is None:
        with store.read() as own:
            own.execute(sql, params)
            rows = own.fetchall()
    else:
        cur.execute(sql, params)
        rows = cur.fetchall()
    return [Build.of(r) for r in rows]


def insert_build(store: Store, build: Build) -> None:
    """Record a new table being built."""
    ph = store.ph
    with store.write() as cur:
        cur.execute(
            f"INSERT INTO {store.qualify(REBUILDS)} ({_BUILD_COLUMNS}) "
            f"VALUES ({', '.join([ph] * 15)})",
            (
                build.table_name,
                build.name,
                build.version,
                build.status,
                build.phase,
                build.horizon,
                build.cursor,
                build.position,
                build.done,
                build.total,
                build.rate,
                build.started_at,
                build.updated_at,
                build.drop_after,
                build.error,
            ),
        )


def update_build(store: Store, cur: Any, table: str, **fields: Any) -> None:
    """Change some columns of a build's row (with `cur`, inside the caller's transaction)."""
    fields.setdefault("updated_at", time.time())
    sets = ", ".join(f"{k} = {store.ph}" for k in fields)
    cur.execute(
        f"UPDATE {store.qualify(REBUILDS)} SET {sets} WHERE table_name = {store.ph}",
        (*fields.values(), table),
    )


def retire(
    store: Store, cur: Any, *, name: str, version: int, table: str, drop_after: float
) -> None:
    """Mark a replaced table for dropping once `drop_after` has passed."""
    ph = store.ph
    now = time.time()
    cur.execute(
        f"INSERT INTO {store.qualify(REBUILDS)} "
        "(table_name, name, version, status, phase, started_at, updated_at, drop_after) "
        f"VALUES ({ph}, {ph}, {ph}, 'retiring', 'done', {ph}, {ph}, {ph}) "
        "ON CONFLICT (table_name) DO UPDATE SET status = 'retiring', phase = 'done', "
        "updated_at = excluded.updated_at, drop_after = excluded.drop_after",
        (table, name, version, now, now, drop_after),
    )


def drop_tables(store: Store, cur: Any, definition: ReadModelDef, table: str) -> None:
    """Drop a read-model table and its auxiliary tables."""
    for bare in [table, *aux_tables(definition, table)]:
        cur.execute(f"DROP TABLE IF EXISTS {store.qualify(bare)}")


def set_error(store: Store, name: str, error: str | None) -> None:
    """Record (or clear) why a read model stopped."""
    ph = store.ph
    with store.write() as cur:
        if error is None:
            cur.execute(
                f"DELETE FROM {store.qualify(PROJECTION_ERRORS)} WHERE name = {ph}", (name,)
            )
            cur.execute(
                f"UPDATE {store.qualify(PROJECTIONS)} SET status = 'live' WHERE name = {ph}",
                (name,),
            )
            return
        cur.execute(
            f"INSERT INTO {store.qualify(PROJECTION_ERRORS)} (name, error, at) "
            f"VALUES ({ph}, {ph}, {ph}) ON CONFLICT (name) DO UPDATE SET "
            "error = excluded.error, at = excluded.at",
            (name, error, time.time()),
        )
        cur.execute(
            f"UPDATE {store.qualify(PROJECTIONS)} SET status = 'failed' WHERE name = {ph}",
            (name,),
        )


def point_at(store: Store, cur: Any, name: str, table: str, version: int, position: int) -> None:
    """In `cur`'s transaction: `name` is served from `table` (at `version`), applied up
    to `position`, live again (any error it stopped with is cleared)."""
    ph = store.ph
    cur.execute(
        f"UPDATE {store.qualify(PROJECTIONS)} SET table_name = {ph}, "
        f"version = {ph}, position = {ph}, status = 'live' WHERE name = {ph}",
        (table, version, position, name),
    )
    cur.execute(f"DELETE FROM {store.qualify(PROJECTION_ERRORS)} WHERE name = {ph}", (name,))


def forget_failed_builds(store: Store, name: str) -> None:
    """Drop the failed builds of `name` (a new attempt supersedes them)."""
    with store.write() as cur:
        cur.execute(
            f"DELETE FROM {store.qualify(REBUILDS)} WHERE name = {store.ph} AND status = 'failed'",
            (name,),
        )


def errors(store: Store) -> dict[str, str]:
    """Why each stopped read model stopped."""
    with store.read() as cur:
        cur.execute(f"SELECT name, error FROM {store.qualify(PROJECTION_ERRORS)}")
        return {str(_dict(r)["name"]): str(_dict(r)["error"]) for r in cur.fetchall()}


@dataclass(frozen=True)
class Part:
    """One range of a build's scan (`ls_rebuild_parts`)."""

    table_name: str
    part: int
    cursor: str
    upto: str
    done: int
    finished: bool
    error: str | None


def parts(store: Store, table: str) -> list[Part]:
    """The scan ranges of a build, in order."""
    with store.read() as cur:
        cur.execute(
            "SELECT table_name, part, cursor, upto, done, finished, error FROM "
            f"{store.qualify(REBUILD_PARTS)} WHERE table_name = {store.ph} ORDER BY part",
            (table,),
        )
        rows = cur.fetchall()
    out = []
    for row in rows:
        d = _dict(row)
        out.append(
            Part(
                str(d["table_name"]),
                int(d["part"]),
                str(d["cursor"]),
                str(d["upto"]),
                int(d["done"]),
                bool(d["finished"]),
                None if d["error"] is None else str(d["error"]),
            )
        )
    return out


def create_parts(store: Store, table: str, bounds: list[tuple[str, str]]) -> None:
    """Split a build's scan into these (after, upto) ranges (no-op if already split)."""
    ph = store.ph
    with store.write() as cur:
        cur.executemany(
            f"INSERT INTO {store.qualify(REBUILD_PARTS)} (table_name, part, cursor, upto) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}) ON CONFLICT (table_name, part) DO NOTHING",
            [(table, k, after, upto) for k, (after, upto) in enumerate(bounds)],
        )


def update_part(store: Store, cur: Any, table: str, part: int, **fields: Any) -> None:
    """Change some columns of a scan range (with `cur`, in the caller's transaction)."""
    sets = ", ".join(f"{k} = {store.ph}" for k in fields)
    cur.execute(
        f"UPDATE {store.qualify(REBUILD_PARTS)} SET {sets} "
        f"WHERE table_name = {store.ph} AND part = {store.ph}",
        (*fields.values(), table, part),
    )


def delete_parts(store: Store, cur: Any, table: str) -> None:
    """Forget a build's scan ranges."""
    cur.execute(
        f"DELETE FROM {store.qualify(REBUILD_PARTS)} WHERE table_name = {store.ph}",
        (table,),
    )


def drop_retired(store: Store, *, force: bool = False) -> list[str]:
    """Drop replaced tables whose grace has passed (all of them with `force`)."""
    due = [
        b
        for b in builds(store)
        if b.status == "retiring" and (force or (b.drop_after or 0.0) <= time.time())
    ]
    dropped: list[str] = []
    for build in due:
        with store.write() as cur:
            store.lock_writers(cur)
            live = registrations(store, cur).get(build.name)
            if live is not None and live.table_name == build.table_name:
                raise RuntimeError(f"{build.table_name} is live; it cannot be dropped")
            drop_tables(store, cur, load(build.name), build.table_name)
            cur.execute(
                f"DELETE FROM {store.qualify(REBUILDS)} WHERE table_name = {store.ph}",
                (build.table_name,),
            )
            bump_generation(store, cur)
        dropped.append(build.table_name)
        log.info("dropped %s", build.table_name)
    return dropped
