"""Stored idempotent responses (SPEC §6 Idempotency, §5 deletion).

A mutating request may carry `Idempotency-Key`. The key is claimed per account with an
INSERT before the request runs (the row says `running`), and completed with the
response afterwards (`done`). Every server process shares the table, so a retry that
reaches another process finds the claim or the stored answer:

- the same key and the same request (a keyed hash of the API key, method, path, query and
  body) → the stored response, or, while the first is still running, a wait for it;
- the same key and another request → a mismatch (409);
- records live 24 hours; older ones are ignored and purged (lazily, at most once a
  minute per process); a `running` claim older than `STALE_CLAIM_SECONDS` belongs to a
  process that died and may be taken over.

A stored response may quote personal data (an edited lead, rejected rows). The leads it
names (`leadId` / `leadIds` / `originalLeadId` fields of its JSON body) are indexed, and
deleting a lead deletes every record naming it in the transaction that shreds the lead's
key (`Store.on_shred`). A record completed concurrently with the deletion checks the
leads' keys under a share lock and removes itself when one is gone.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any
from uuid import UUID

from leadstate.domain.lead import Lead
from leadstate.persistence.base import Store, chunked
from leadstate.persistence.tables import IDEMPOTENCY, IDEMPOTENCY_LEADS, LEAD_KEYS

log = logging.getLogger("leadstate.idempotency")

TTL_SECONDS = 86_400.0
STALE_CLAIM_SECONDS = 600.0
PURGE_INTERVAL_SECONDS = 60.0
MAX_KEY_LENGTH = 255

RECORDS = IDEMPOTENCY
RECORD_LEADS = IDEMPOTENCY_LEADS

_LEAD_FIELDS = frozenset({"leadId", "leadIds", "originalLeadId"})


class Outcome(Enum):
    """What `IdempotencyStore.begin` found."""

    CLAIMED = "claimed"  # the caller runs the request and must complete or release it
    STORED = "stored"  # a completed response to replay
    RUNNING = "running"  # another request with this key is still running
    MISMATCH = "mismatch"  # the key was used for a different request


@dataclass(frozen=True)
class StoredResponse:
    """A response as it was first sent."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


@dataclass(frozen=True)
class Begin:
    """The outcome of claiming a key, with the stored response when there is one."""

    outcome: Outcome
    response: StoredResponse | None = None


def lead_ids_named(body: bytes) -> set[int]:
    """Every lead id a JSON response body names in a `leadId`, `leadIds` or
    `originalLeadId` field, at any depth (non-JSON bodies name none)."""
    try:
        document = json.loads(body)
    except ValueError:
        return set()
    found: set[int] = set()
    stack: list[Any] = [document]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for name, value in item.items():
                if name in _LEAD_FIELDS:
                    values = value if isinstance(value, list) else [value]
                    found.update(
                        v
                        for v in values
                        if isinstance(v, int) and not isinstance(v, bool) and v > 0
                    )
                elif isinstance(value, dict | list):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(v for v in item if isinstance(v, dict | list))
    return found


class IdempotencyStore:
    """The `ls_idempotency` records of every account, on the application's store."""

    def __init__(self, store: Store, *, ttl: float = TTL_SECONDS) -> None:
        self.store = store
        self.ttl = ttl
        self._records = store.qualify(RECORDS)
        self._leads = store.qualify(RECORD_LEADS)
        self._secret: bytes | None = None
        self._last_purge = 0.0
        self._purge_lock = threading.Lock()

    # -- hashing -------------------------------------------------------------------------

    def fingerprint(
        self, actor: str, method: str, path: str, query: Iterable[tuple[str, str]], body: bytes
    ) -> str:
        """A keyed hash of the request (the same request → the same hash; the key keeps
        bodies with personal data from being guessed back from the hash)."""
        if self._secret is None:
            self._secret = self.store.secret("idempotency-hash").encode()
        digest = hmac.new(self._secret, digestmod=hashlib.sha256)
        canonical_query = json.dumps(sorted(query))
        for part in (actor, method.upper(), path, canonical_query):
            encoded = part.encode("utf-8", "surrogateescape")
            digest.update(len(encoded).to_bytes(8, "big") + encoded)
        digest.update(body)
        return digest.hexdigest()

    # -- claiming ------------------------------------------------------------------------

    def begin(self, account_id: int, key: str, request_hash: str, owner: str) -> Begin:
        """Claim `key` for `owner`, or report the stored response, a run in progress or
        a mismatch. An expired record or a stale claim is taken over."""
        self.purge_expired_if_due()
        ph = self.store.ph
        now = time.time()
        with self.store.write() as cur:
            cur.execute(
                f"INSERT INTO {self._records} (account_id, idem_key, request_hash, owner, "
                f"status, created_at) VALUES ({ph}, {ph}, {ph}, {ph}, 'running', {ph}) "
                "ON CONFLICT (account_id, idem_key) DO NOTHING",
                (account_id, key, request_hash, owner, now),
            )
            row = self._row(cur, account_id, key)
            if row is None:  # purged between the two statements: try again next poll
                return Begin(Outcome.RUNNING)
            expired = row["created_at"] < now - self.ttl
            stale = row["status"] == "running" and row["created_at"] < now - STALE_CLAIM_SECONDS
            if row["owner"] != owner and (expired or stale):
                self._delete_records(cur, [(account_id, key)])
                cur.execute(
                    f"INSERT INTO {self._records} (account_id, idem_key, request_hash, owner, "
                    f"status, created_at) VALUES ({ph}, {ph}, {ph}, {ph}, 'running', {ph})",
                    (account_id, key, request_hash, owner, now),
                )
                return Begin(Outcome.CLAIMED)
        if row["request_hash"] != request_hash:
            return Begin(Outcome.MISMATCH)
        if row["owner"] == owner:
            return Begin(Outcome.CLAIMED)
        if row["status"] != "done":
            return Begin(Outcome.RUNNING)
        headers = [(str(n), str(v)) for n, v in json.loads(row["response_headers"] or "[]")]
        response = StoredResponse(
            int(row["response_status"]), headers, bytes(row["response_body"] or b"")
        )
        return Begin(Outcome.STORED, response)

    def _row(self, cur: Any, account_id: int, key: str) -> dict[str, Any] | None:
        ph = self.store.ph
        cur.execute(
            "SELECT request_hash, owner, status, response_status, response_headers, "
            f"response_body, created_at FROM {self._records} "
            f"WHERE account_id = {ph} AND idem_key = {ph}",
            (account_id, key),
        )
        row = cur.fetchone()
        if row is None:
            return None
        names = (
            "request_hash",
            "owner",
            "status",
            "response_status",
            "response_headers",
            "response_body",
            "created_at",
        )
        return {name: row[name] for name in names}

    def complete(self, account_id: int, key: str, owner: str, response: StoredResponse) -> bool:
        """Store the response of the claimed request; False when it was not kept (the
        claim was lost, or a lead the response names was deleted meanwhile)."""
        ph = self.store.ph
        names = sorted(lead_ids_named(response.body))
        uuids = [Lead.create_id(lead_id).hex for lead_id in names]
        with self.store.write() as cur:
            cur.execute(
                f"UPDATE {self._records} SET status = 'done', response_status = {ph}, "
                f"response_headers = {ph}, response_body = {ph} "
                f"WHERE account_id = {ph} AND idem_key = {ph} AND owner = {ph}",
                (
                    response.status,
                    json.dumps(response.headers),
                    response.body,
                    account_id,
                    key,
                    owner,
                ),
            )
            row = self._row(cur, account_id, key)
            if row is None or row["owner"] != owner:
                return False
            if not uuids:
                return True
            cur.executemany(
                f"INSERT INTO {self._leads} (lead_uuid, account_id, idem_key) "
                f"VALUES ({ph}, {ph}, {ph}) ON CONFLICT DO NOTHING",
                [(u, account_id, key) for u in uuids],
            )
            if len(self._live_keys(cur, uuids)) == len(uuids):
                return True
            # A named lead was deleted while this request ran: keep nothing about it.
            self._delete_records(cur, [(account_id, key)])
            return False

    def _live_keys(self, cur: Any, uuids: Sequence[str]) -> set[str]:
        """The leads of `uuids` whose data key still exists, share-locked on PostgreSQL
        so that a deletion waits for this transaction (and then purges its record)."""
        keys = self.store.qualify(LEAD_KEYS)
        sql = f"SELECT lead_uuid FROM {keys} WHERE lead_uuid IN ({{marks}}){self.store.share_lock}"
        return {str(r["lead_uuid"]) for r in self.store.select_in(cur, sql, list(uuids))}

    def release(self, account_id: int, key: str, owner: str) -> None:
        """Give a claim up (the request failed in a way a retry may fix)."""
        ph = self.store.ph
        with self.store.write() as cur:
            cur.execute(
                f"DELETE FROM {self._records} WHERE account_id = {ph} AND idem_key = {ph} "
                f"AND owner = {ph} AND status = 'running'",
                (account_id, key, owner),
            )

    # -- purging -------------------------------------------------------------------------

    def forget_leads(self, cur: Any, lead_uuids: Sequence[UUID]) -> None:
        """Inside the transaction that shreds these leads: delete every record naming one
        (statements only, nothing fetched: the cursor is the event writer's)."""
        for chunk in chunked([u.hex for u in lead_uuids]):
            marks = self.store.marks(len(chunk))
            naming = f"SELECT account_id, idem_key FROM {self._leads} WHERE lead_uuid IN ({marks})"
            for table in (self._records, self._leads):  # the index last: it selects
                cur.execute(
                    f"DELETE FROM {table} WHERE (account_id, idem_key) IN ({naming})", chunk
                )

    def _delete_records(self, cur: Any, pairs: Sequence[tuple[int, str]]) -> None:
        ph = self.store.ph
        for table in (self._leads, self._records):
            cur.executemany(
                f"DELETE FROM {table} WHERE account_id = {ph} AND idem_key = {ph}", list(pairs)
            )

    def purge_expired(self, now: float | None = None) -> int:
        """Delete records older than the TTL; how many."""
        ph = self.store.ph
        cutoff = (time.time() if now is None else now) - self.ttl
        with self.store.write() as cur:
            cur.execute(
                f"SELECT account_id, idem_key FROM {self._records} WHERE created_at < {ph}",
                (cutoff,),
            )
            pairs = [(int(r["account_id"]), str(r["idem_key"])) for r in cur.fetchall()]
            if pairs:
                self._delete_records(cur, pairs)
        return len(pairs)

    def purge_expired_if_due(self) -> None:
        """`purge_expired` at most once per `PURGE_INTERVAL_SECONDS` in this process."""
        now = time.monotonic()
        with self._purge_lock:
            if now - self._last_purge < PURGE_INTERVAL_SECONDS:
                return
            self._last_purge = now
        purged = self.purge_expired()
        if purged:
            log.info("purged expired idempotency records", extra={"count": purged})

    def count(self) -> int:
        """How many records exist (tests and metrics)."""
        with self.store.read() as cur:
            cur.execute(f"SELECT COUNT(*) AS n FROM {self._records}")
            return int(cur.fetchone()["n"])


__all__ = [
    "MAX_KEY_LENGTH",
    "Begin",
    "IdempotencyStore",
    "Outcome",
    "StoredResponse",
    "lead_ids_named",
]
