"""Lead stream ids ordered by leadId, and re-keying a store written with the old ones.

Leads used to be keyed by name-based UUIDs (uuid5): random, so every event insert and
row update of consecutive leads landed on a random page of the log's key. They are now
`Lead.create_id` — leadId in the low 64 bits — so consecutive leads share pages and the
key table only appends. A store records the scheme it uses (`ls_counters`); a store with
leads and no record is of the old scheme: the service refuses it until
`leadstate migrate --rekey` has run (offline: the one documented exception to deploys
without downtime).

Re-keying moves each old lead stream to its new id in place — every notification id,
and with them read-model positions, stays what it was. Contact data is sealed with the
stream id as associated data, so a live lead's sealed contact is opened with its key
and sealed again under the new id; a deleted lead's (its key is gone) moves as it is.
Each page of leads is one transaction: a cut run resumes with the leads still old.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Transcoder
from eventsourcing.utils import get_topic

from leadstate.domain import Lead
from leadstate.domain.lead import LEAD_STREAMS
from leadstate.persistence.base import Store
from leadstate.persistence.crypto import decrypt_contact, encrypt_contact, is_sealed
from leadstate.persistence.tables import COUNTERS, IDEMPOTENCY_LEADS, LEAD_KEYS

log = logging.getLogger("leadstate.rekey")

SCHEME_COUNTER = "lead-stream-ids"
SCHEME = 2  # leadId-ordered stream ids
PAGE = 500
_CREATED = (get_topic(getattr(Lead, "Loaded")), get_topic(Lead.Copied))  # noqa: B009 - made by @event
_FIRST = UUID(int=LEAD_STREAMS << 64)
_LAST = UUID(int=(LEAD_STREAMS << 64) | (2**64 - 1))


class OldStreamIdsError(RuntimeError):
    """The store keys leads by the previous stream ids: it must be re-keyed first."""


def scheme(store: Store) -> int | None:
    """The stream-id scheme the store records (None: not recorded yet)."""
    with store.read() as cur:
        cur.execute(
            f"SELECT next_value FROM {store.qualify(COUNTERS)} WHERE name = {store.ph}",
            (SCHEME_COUNTER,),
        )
        row = cur.fetchone()
    return None if row is None else int(row["next_value"])


def _record_scheme(store: Store, cur: Any) -> None:
    cur.execute(
        f"INSERT INTO {store.qualify(COUNTERS)} (name, next_value) VALUES ({store.ph}, "
        f"{store.ph}) ON CONFLICT (name) DO UPDATE SET next_value = excluded.next_value",
        (SCHEME_COUNTER, SCHEME),
    )


def _old_streams(store: Store, cur: Any, limit: int) -> list[UUID]:
    ph = store.ph
    cur.execute(
        f"SELECT originator_id FROM {store.events_table} WHERE originator_version = 1 "
        f"AND topic IN ({ph}, {ph}) AND (originator_id < {ph} OR originator_id > {ph}) "
        f"ORDER BY originator_id LIMIT {int(limit)}",
        (*_CREATED, store.stream_value(_FIRST), store.stream_value(_LAST)),
    )
    return [store.stream_id(row["originator_id"]) for row in cur.fetchall()]


def check_stream_ids(store: Store) -> None:
    """Record the scheme on a store without leads; refuse one of the old scheme."""
    if scheme(store) == SCHEME:
        return
    with store.write() as cur:
        if _old_streams(store, cur, 1):
            raise OldStreamIdsError(
                "this database keys leads by the previous stream ids: stop every leadstate "
                "process and run `leadstate migrate --rekey` (offline; it resumes if cut)"
            )
        _record_scheme(store, cur)


def rekey(
    store: Store, transcoder: Transcoder, on_progress: Callable[[int], None] | None = None
) -> int:
    """Move every old lead stream to its ordered id, a page per transaction; how many
    streams moved. Idempotent; records the scheme when no old stream is left."""
    moved = 0
    while True:
        with store.write() as cur:
            streams = _old_streams(store, cur, PAGE)
            if not streams:
                _record_scheme(store, cur)
                break
            for old in streams:
                _move(store, transcoder, cur, old)
        moved += len(streams)
        if on_progress:
            on_progress(moved)
    if moved:
        log.info("re-keyed %d lead streams; compacting", moved)
        store.compact()
    return moved


def _move(store: Store, transcoder: Transcoder, cur: Any, old: UUID) -> None:
    """One stream to its new id, in `cur`'s transaction."""
    events = store.select_streams_with(cur, [old])[old]
    first = transcoder.decode(events[0].state)
    new = Lead.create_id(int(first["lead_id"]))
    keys = store.load_keys([old], cur)
    key = keys.get(old)
    ph = store.ph
    for stored in events:
        state = stored.state
        if key is not None:
            decoded = transcoder.decode(state)
            contact = decoded.get("contact")
            if is_sealed(contact):
                opened = decrypt_contact(key, old, contact)
                decoded["contact"] = encrypt_contact(key, new, opened)
                state = transcoder.encode(decoded)
        cur.execute(
            f"UPDATE {store.events_table} SET originator_id = {ph}, state = {ph} "
            f"WHERE originator_id = {ph} AND originator_version = {ph}",
            (store.stream_value(new), state, store.stream_value(old), stored.originator_version),
        )
    for table in (LEAD_KEYS, IDEMPOTENCY_LEADS):
        cur.execute(
            f"UPDATE {store.qualify(table)} SET lead_uuid = {ph} WHERE lead_uuid = {ph}",
            (new.hex, old.hex),
        )
