"""Reading the log for replays: whole streams in aggregate order, and folds.

`scan_streams` reads `stored_events` ordered by (originator_id, originator_version): each
aggregate's events arrive together, so it is folded once and forgotten (memory stays
flat however large the log), and the last aggregate completed is a resume point.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from leadstate.persistence.base import Store
from leadstate.persistence.crypto import Keyring
from leadstate.persistence.mapper import ShreddingMapper

Positioned = tuple[int, StoredEvent]


@dataclass(frozen=True)
class StreamPage:
    """Aggregates completed by one page of a scan, and where to resume after them."""

    streams: list[list[Positioned]]
    cursor: str
    events: int


def _is_sqlite(store: Store) -> bool:
    return store.ph == "?"


def events_table(store: Store) -> str:
    """The events table as SQL."""
    if _is_sqlite(store):
        from leadstate.persistence.sqlite import EVENTS_TABLE

        return EVENTS_TABLE
    return str(store.events_table)  # type: ignore[attr-defined]


def position_column(store: Store) -> str:
    """The column holding an event's position in the log."""
    return "rowid" if _is_sqlite(store) else "notification_id"


def _stored(store: Store, row: Any) -> Positioned:
    if isinstance(row, dict):
        return (
            int(row["pos"]),
            StoredEvent(row["oid"], row["ver"], row["topic"], row["state"]),
        )
    oid = UUID(row[1]) if _is_sqlite(store) else row[1]
    return int(row[0]), StoredEvent(oid, row[2], row[3], row[4])


def _stored_rows(store: Store, rows: Sequence[Any]) -> list[Positioned]:
    """Many rows as (position, event); a stream's id is parsed once, not per event."""
    if not rows or isinstance(rows[0], dict) or not _is_sqlite(store):
        return [_stored(store, row) for row in rows]
    out: list[Positioned] = []
    last_hex = ""
    last_id = UUID(int=0)
    for pos, oid, version, topic, state in rows:
        if oid != last_hex:
            last_hex, last_id = oid, UUID(oid)
        out.append((pos, StoredEvent(last_id, version, topic, state)))
    return out


def _cursor_value(store: Store, cursor: str) -> Any:
    return cursor if _is_sqlite(store) else UUID(cursor)


def _cursor_text(store: Store, originator_id: UUID | str) -> str:
    if isinstance(originator_id, UUID):
        return originator_id.hex if _is_sqlite(store) else str(originator_id)
    return str(originator_id)


def scan_streams(
    store: Store, *, horizon: int, after: str, prefix: str, page: int, upto: str = ""
) -> Iterator[StreamPage]:
    """Every aggregate whose topic starts with `prefix`, with its events up to `horizon`.

    Aggregates come in originator-id order, starting after `after` ('' from the start)
    and up to `upto` included ('' to the end); each page yields the aggregates it
    completed (an aggregate split by the page end is completed by the next page) and
    the resume cursor after them.
    """
    ph = store.ph
    pos = position_column(store)
    table = events_table(store)
    select = (
        f"SELECT {pos} AS pos, originator_id AS oid, originator_version AS ver, topic, state "
        f"FROM {table} WHERE {pos} <= {ph} AND substr(topic, 1, CAST({ph} AS INTEGER)) = {ph} "
    )
    params: tuple[Any, ...] = (horizon, len(prefix), prefix)
    if upto:
        select += f"AND originator_id <= {ph} "
        params = (*params, _cursor_value(store, upto))
    order = f" ORDER BY originator_id, originator_version LIMIT {ph}"
    last: tuple[Any, int] | None = None
    if after:
        last = (_cursor_value(store, after), 2**62)
    pending: list[Positioned] = []
    while True:
        with store.read() as cur:
            if last is None:
                cur.execute(select + order, (*params, page))
            else:
                # A row value, so that the engine seeks the primary key (an OR scans it).
                cur.execute(
                    select + f"AND (originator_id, originator_version) > ({ph}, {ph}) " + order,
                    (*params, last[0], last[1], page),
                )
            rows = cur.fetchall()
        if not rows:
            break
        done: list[list[Positioned]] = []
        count = 0
        for item in _stored_rows(store, rows):
            if pending and pending[0][1].originator_id != item[1].originator_id:
                done.append(pending)
                count += len(pending)
                pending = []
            pending.append(item)
        tail = pending[-1][1]
        last = (
            _cursor_value(store, _cursor_text(store, tail.originator_id)),
            tail.originator_version,
        )
        if done:
            yield StreamPage(done, _cursor_text(store, done[-1][0][1].originator_id), count)
        if len(rows) < page:
            break
    if pending:
        yield StreamPage([pending], _cursor_text(store, pending[0][1].originator_id), len(pending))


def bound_text(store: Store, value: int) -> str:
    """A resume cursor / part bound for the 128-bit originator id `value`."""
    return _cursor_text(store, UUID(int=value))


def part_bounds(store: Store, parts: int) -> list[tuple[str, str]]:
    """(after, upto) cursors that split the originator-id space into `parts` ranges."""
    edges = [k * 2**128 // parts for k in range(parts + 1)]
    out = []
    for k in range(parts):
        after = "" if k == 0 else bound_text(store, edges[k] - 1)
        upto = "" if k == parts - 1 else bound_text(store, edges[k + 1] - 1)
        out.append((after, upto))
    return out


class PageKeys(Keyring):
    """The data keys of one page of streams, read in one query; a lookup is a dict get.

    A rebuild decodes hundreds of thousands of leads: this keyring holds only the keys
    of the page at hand (so memory stays flat) and skips the shared cache's locking.
    """

    def __init__(self, store: Store) -> None:
        super().__init__(store.load_keys, store.store_keys)
        self.store = store
        self._page: dict[str, bytes] = {}

    def load_page(self, ids: Sequence[UUID], cur: Any | None = None) -> None:
        """Read the keys of these streams (replacing the previous page's), with `cur`
        when given (inside a transaction that must not take a second connection)."""
        if cur is None:
            with self.store.read() as own:
                self.load_page(ids, own)
            return
        store = self.store
        table = store.qualify("ls_lead_keys")
        rows: list[Any] = []
        if ids and _is_sqlite(store) and len(ids) > 500:
            # ids of a scan come in originator order: one range read on the key index.
            cur.execute(
                f"SELECT lead_uuid, data_key FROM {table} WHERE lead_uuid >= ? AND lead_uuid <= ?",
                (min(ids).hex, max(ids).hex),
            )
            rows = cur.fetchall()
        elif ids and _is_sqlite(store):
            cur.execute(
                f"SELECT lead_uuid, data_key FROM {table} "
                f"WHERE lead_uuid IN ({', '.join('?' * len(ids))})",
                [u.hex for u in ids],
            )
            rows = cur.fetchall()
        elif ids:
            cur.execute(
                f"SELECT lead_uuid, data_key FROM {table} WHERE lead_uuid = ANY(%s)",
                ([u.hex for u in ids],),
            )
            rows = cur.fetchall()
        self._page = {
            str(r["lead_uuid"] if isinstance(r, dict) else r[0]): bytes(
                r["data_key"] if isinstance(r, dict) else r[1]
            )
            for r in rows
        }

    def get(self, lead_uuid: UUID) -> bytes | None:
        """The key of a lead of the current page."""
        return self._page.get(lead_uuid.hex)

    def get_many(self, lead_uuids: Iterable[UUID]) -> dict[UUID, bytes]:
        """The keys of these leads of the current page."""
        found = {}
        for lead_uuid in lead_uuids:
            key = self._page.get(lead_uuid.hex)
            if key is not None:
                found[lead_uuid] = key
        return found

    def ensure(self, lead_uuids: Iterable[UUID]) -> None:
        """Replays never create keys."""
        raise RuntimeError("a replay's keyring cannot create data keys")


def page_mapper(mapper: Mapper[UUID], store: Store) -> tuple[ShreddingMapper, PageKeys]:
    """A mapper like `mapper` whose keyring is a `PageKeys` (for scans)."""
    keys = PageKeys(store)
    scanning = ShreddingMapper(
        transcoder=mapper.transcoder, compressor=mapper.compressor, cipher=mapper.cipher
    )
    scanning.keyring = keys
    return scanning, keys


def count_events(store: Store, *, start: int, stop: int, prefix: str) -> int:
    """How many events with this topic prefix lie in positions [start, stop]."""
    ph = store.ph
    pos = position_column(store)
    with store.read() as cur:
        cur.execute(
            f"SELECT COUNT(*) AS n FROM {events_table(store)} WHERE {pos} >= {ph} AND {pos} <= {ph} "
            f"AND substr(topic, 1, CAST({ph} AS INTEGER)) = {ph}",
            (start, stop, len(prefix), prefix),
        )
        row = cur.fetchone()
    return int(row["n"] if isinstance(row, dict) else row[0])


def read_after(store: Store, cur: Any, position: int) -> list[Positioned]:
    """Every event after `position`, read with `cur` (inside a transaction)."""
    pos = position_column(store)
    cur.execute(
        f"SELECT {pos} AS pos, originator_id AS oid, originator_version AS ver, topic, state "
        f"FROM {events_table(store)} WHERE {pos} > {store.ph} ORDER BY {pos}",
        (position,),
    )
    return [_stored(store, row) for row in cur.fetchall()]


def fold(mapper: Mapper[UUID], events: Sequence[StoredEvent]) -> Any:
    """The aggregate these events (one stream, in version order) make."""
    aggregate: Any = None
    for stored in events:
        aggregate = mapper.to_domain_event(stored).mutate(aggregate)  # type: ignore[attr-defined]
    return aggregate


def fold_upto(store: Store, mapper: Mapper[UUID], versions: Mapping[UUID, int]) -> list[Any]:
    """Each aggregate of `versions` folded up to that version (its state at that point)."""
    if not versions:
        return []
    return fold_streams(mapper, store.select_streams(list(versions)), versions)


def select_streams_with(
    store: Store, cur: Any, ids: Sequence[UUID]
) -> dict[UUID, list[StoredEvent]]:
    """Like `Store.select_streams`, read with `cur` (no second connection)."""
    result: dict[UUID, list[StoredEvent]] = {u: [] for u in ids}
    table = events_table(store)
    for start in range(0, len(ids), 500):
        chunk = list(ids[start : start + 500])
        if _is_sqlite(store):
            cur.execute(
                "SELECT originator_id, originator_version, topic, state FROM "
                f"{table} WHERE originator_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY originator_id, originator_version",
                [u.hex for u in chunk],
            )
        else:
            cur.execute(
                "SELECT originator_id, originator_version, topic, state FROM "
                f"{table} WHERE originator_id = ANY(%s) ORDER BY originator_id, originator_version",
                (chunk,),
            )
        for row in cur.fetchall():
            if isinstance(row, dict):
                oid, version, topic, state = (
                    row["originator_id"],
                    row["originator_version"],
                    row["topic"],
                    row["state"],
                )
            else:
                oid, version, topic, state = row
            key = oid if isinstance(oid, UUID) else UUID(oid)
            result[key].append(StoredEvent(key, version, topic, state))
    return result


def fold_streams(
    mapper: Mapper[UUID],
    streams: Mapping[UUID, Sequence[StoredEvent]],
    versions: Mapping[UUID, int],
) -> list[Any]:
    """Each stream folded up to its version in `versions`."""
    out: list[Any] = []
    for stream_id, events in streams.items():
        upto = versions[stream_id]
        aggregate = fold(mapper, [e for e in events if e.originator_version <= upto])
        if aggregate is None:
            raise RuntimeError(f"stream {stream_id} has no events up to version {upto}")
        out.append(aggregate)
    return out


def latest_versions(events: Sequence[Positioned], prefix: str) -> dict[UUID, int]:
    """The highest version of each aggregate (topic `prefix`) among `events`."""
    versions: dict[UUID, int] = {}
    for _position, stored in events:
        if stored.topic.startswith(prefix):
            oid = stored.originator_id
            key = oid if isinstance(oid, UUID) else UUID(oid)
            if stored.originator_version > versions.get(key, 0):
                versions[key] = stored.originator_version
    return versions
