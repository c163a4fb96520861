"""Reading the log for replays: whole streams in aggregate order, and folds.

`scan_streams` reads the log ordered by (stream, version): each aggregate's events arrive
together, so it is folded once and forgotten (memory stays flat however large the log),
and the last aggregate completed is a resume point.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Mapper, StoredEvent

from leadstate.persistence.base import Positioned, Store
from leadstate.persistence.crypto import Keyring
from leadstate.persistence.mapper import ShreddingMapper


@dataclass(frozen=True)
class StreamPage:
    """Aggregates completed by one page of a scan, and where to resume after them."""

    streams: list[list[Positioned]]
    cursor: str
    events: int


def scan_streams(
    store: Store, *, horizon: int, after: str, prefix: str, page: int, upto: str = ""
) -> Iterator[StreamPage]:
    """Every aggregate whose topic starts with `prefix`, with its events up to `horizon`.

    Aggregates come in stream-id order, starting after the cursor `after` ('' from the
    start) and up to `upto` included ('' to the end); each page yields the aggregates it
    completed (an aggregate split by the page end is completed by the next page) and the
    resume cursor after them.
    """
    last: tuple[Any, int] | None = (store.cursor_value(after), 2**62) if after else None
    pending: list[Positioned] = []
    while True:
        rows = store.scan_page(horizon=horizon, prefix=prefix, after=last, upto=upto, page=page)
        if not rows:
            break
        done: list[list[Positioned]] = []
        count = 0
        for item in rows:
            if pending and pending[0][1].originator_id != item[1].originator_id:
                done.append(pending)
                count += len(pending)
                pending = []
            pending.append(item)
        tail = pending[-1][1]
        last = (store.stream_value(stream_uuid(tail.originator_id)), tail.originator_version)
        if done:
            yield StreamPage(
                done, store.cursor_text(stream_uuid(done[-1][0][1].originator_id)), count
            )
        if len(rows) < page:
            break
    if pending:
        yield StreamPage(
            [pending], store.cursor_text(stream_uuid(pending[0][1].originator_id)), len(pending)
        )


def stream_uuid(value: Any) -> UUID:
    """A stored event's stream id as a UUID."""
    return value if isinstance(value, UUID) else UUID(str(value))


def part_bounds(
    store: Store, parts: int, low: int = 0, high: int = 2**128
) -> list[tuple[str, str]]:
    """(after, upto) cursors that split the stream ids from `low` to `high` into `parts`
    ranges of equal width (the first and last open-ended)."""
    edges = [low + k * (high - low) // parts for k in range(parts + 1)]
    out = []
    for k in range(parts):
        after = "" if k == 0 else store.cursor_text(UUID(int=edges[k] - 1))
        upto = "" if k == parts - 1 else store.cursor_text(UUID(int=edges[k + 1] - 1))
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
        self._page: dict[UUID, bytes] = {}

    def load_page(self, ids: Sequence[UUID], cur: Any | None = None) -> None:
        """Read the keys of these streams (replacing the previous page's), with `cur`
        when given (inside a transaction that must not take a second connection)."""
        self._page = self.store.load_keys(ids, cur) if ids else {}

    def load_scan_page(self, ids: Sequence[UUID]) -> None:
        """The same for a scan's page of consecutive streams: one range read."""
        if not ids:
            self._page = {}
            return
        with self.store.read() as cur:
            self._page = self.store.load_keys_between(min(ids), max(ids), cur)

    def get(self, lead_uuid: UUID) -> bytes | None:
        """The key of a lead of the current page."""
        return self._page.get(lead_uuid)

    def get_many(self, lead_uuids: Iterable[UUID]) -> dict[UUID, bytes]:
        """The keys of these leads of the current page."""
        return {u: self._page[u] for u in lead_uuids if u in self._page}

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
            key = stream_uuid(stored.originator_id)
            if stored.originator_version > versions.get(key, 0):
                versions[key] = stored.originator_version
    return versions
