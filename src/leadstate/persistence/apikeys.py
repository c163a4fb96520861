"""API keys: random bearer tokens stored only as SHA-256 hashes, bound to accounts, scoped.

A token reads `lsk_<hex id>_<secret>`: the id part finds the key's row (it is not secret;
`key_<hex id>` is the key's public id and the actor recorded in events), and the SHA-256
of the whole token is compared with the stored hash in constant time. The token itself
is shown once, at creation, and never stored.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from leadstate.domain import InvalidRequest, NotFound
from leadstate.persistence.base import Store, from_micros, micros
from leadstate.persistence.tables import API_KEYS

ALL_ACCOUNTS = "*"
TOKEN_PREFIX = "lsk_"
KEY_ID_PREFIX = "key_"

SCOPES: tuple[str, ...] = (
    "leads:read",
    "leads:write",
    "leads:delete",
    "leads:export",
    "audit:read",
    "admin",
)
DEFAULT_SCOPES: tuple[str, ...] = ("leads:read", "leads:write")


_TOKEN = re.compile(r"^lsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43,})$")
# Compared against when a token names no key, so a miss costs what a hit costs.
_DUMMY_HASH = hashlib.sha256(b"leadstate: no such key").hexdigest()


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_account(value: str | int) -> str:
    """`*` or a positive account id, as stored; InvalidRequest otherwise."""
    text = str(value).strip()
    if text == ALL_ACCOUNTS:
        return text
    if not text.isdigit() or int(text) <= 0:
        raise InvalidRequest(f"account must be a positive number or '*', got {value!r}")
    return str(int(text))


def parse_scopes(values: Iterable[str]) -> tuple[str, ...]:
    """Known scopes, deduplicated in canonical order; commas split too."""
    wanted: set[str] = set()
    for value in values:
        for part in value.split(","):
            scope = part.strip()
            if not scope:
                continue
            if scope not in SCOPES:
                raise InvalidRequest(f"unknown scope {scope!r}; allowed: {', '.join(SCOPES)}")
            wanted.add(scope)
    if not wanted:
        raise InvalidRequest(f"a key needs at least one scope; allowed: {', '.join(SCOPES)}")
    return tuple(s for s in SCOPES if s in wanted)


@dataclass(frozen=True)
class ApiKey:
    """An API key as stored (without its token)."""

    key_id: str
    name: str
    account: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None = None

    @property
    def accounts(self) -> list[str]:
        """The accounts this key may use: `["*"]` for all, else the one account id."""
        return [self.account]

    def allows_account(self, account_id: int) -> bool:
        """True when this key may act in `account_id`."""
        return self.account == ALL_ACCOUNTS or self.account == str(account_id)

    def has_scope(self, scope: str) -> bool:
        """True when this key holds `scope`."""
        return scope in self.scopes

    @property
    def revoked(self) -> bool:
        """True once revoked."""
        return self.revoked_at is not None


class ApiKeys:
    """Create, list, revoke and authenticate API keys, in the application's database."""

    def __init__(self, store: Store, cache_seconds: float = 0.0) -> None:
        self.store = store
        self.table = store.qualify(API_KEYS)
        # Live keys recently authenticated, by token hash: another process's revocation
        # is honoured within `cache_seconds`, this process's at once.
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[float, ApiKey]] = {}
        self._cache_lock = threading.Lock()

    # -- commands --------------------------------------------------------------------

    def create(
        self, account: str | int, scopes: Iterable[str], name: str = ""
    ) -> tuple[ApiKey, str]:
        """A new key and its token (shown once; only its hash is kept)."""
        with self.store.write() as cur:
            return self._insert(cur, parse_account(account), parse_scopes(scopes), name)

    def bootstrap_admin(self, name: str = "bootstrap admin") -> tuple[ApiKey, str] | None:
        """On a database that never had a key: an admin key for all accounts and scopes."""
        with self.store.write() as cur:
            self.store.lock_writers(cur)
            cur.execute(f"SELECT COUNT(*) AS n FROM {self.table}")
            if int(cur.fetchone()["n"]) > 0:
                return None
            return self._insert(cur, ALL_ACCOUNTS, SCOPES, name)

    def revoke(self, key_id: str) -> ApiKey:
        """Revoke a key (revoking twice changes nothing); NotFound if unknown."""
        ph = self.store.ph
        with self.store.write() as cur:
            cur.execute(
                f"UPDATE {self.table} SET revoked_at = {ph} "
                f"WHERE key_id = {ph} AND revoked_at IS NULL",
                (micros(datetime.now(UTC)), key_id),
            )
        with self._cache_lock:
            self._cache = {h: c for h, c in self._cache.items() if c[1].key_id != key_id}
        return self.get(key_id)

    def _insert(
        self, cur: Any, account: str, scopes: tuple[str, ...], name: str
    ) -> tuple[ApiKey, str]:
        hex_id = secrets.token_hex(8)
        token = f"{TOKEN_PREFIX}{hex_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(
            key_id=f"{KEY_ID_PREFIX}{hex_id}",
            name=name,
            account=account,
            scopes=scopes,
            created_at=datetime.now(UTC),
        )
        ph = self.store.ph
        cur.execute(
            f"INSERT INTO {self.table} (key_id, token_hash, account, scopes, name, created_at) "
            f"VALUES ({ph}, {ph}, {ph}, {ph}, {ph}, {ph})",
            (
                key.key_id,
                _hash(token),
                key.account,
                " ".join(key.scopes),
                key.name,
                micros(key.created_at),
            ),
        )
        return key, token

    # -- queries ---------------------------------------------------------------------

    def cached(self, token: str) -> ApiKey | None:
        """The live key of `token` if it was authenticated within the cache's time (no I/O)."""
        if self.cache_seconds <= 0:
            return None
        entry = self._cache.get(_hash(token.strip()))
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def authenticate(self, token: str) -> ApiKey | None:
        """The live key of `token`, or None (unknown, malformed or revoked)."""
        hashed = _hash(token.strip())
        match = _TOKEN.match(token.strip())
        row = self._row(f"{KEY_ID_PREFIX}{match.group(1)}") if match else None
        stored = str(row["token_hash"]) if row else _DUMMY_HASH
        if not hmac.compare_digest(stored, hashed) or row is None:
            return None
        key = self._key(row)
        if key.revoked:
            return None
        if self.cache_seconds > 0:
            with self._cache_lock:
                if len(self._cache) > 10_000:
                    self._cache.clear()
                self._cache[hashed] = (time.monotonic() + self.cache_seconds, key)
        return key

    def get(self, key_id: str) -> ApiKey:
        """One key by its id (revoked ones included); NotFound if unknown."""
        row = self._row(key_id)
        if row is None:
            raise NotFound(f"no API key {key_id!r}")
        return self._key(row)

    def list_keys(self) -> list[ApiKey]:
        """Every key, oldest first."""
        with self.store.read() as cur:
            cur.execute(
                "SELECT key_id, account, scopes, name, created_at, revoked_at "
                f"FROM {self.table} ORDER BY created_at, key_id"
            )
            return [self._key(dict(r)) for r in cur.fetchall()]

    def ready(self) -> None:
        """Raise unless the database answers (readiness probe)."""
        with self.store.read() as cur:
            cur.execute(f"SELECT COUNT(*) FROM {self.table} WHERE 1 = 0")
            cur.fetchone()

    def _row(self, key_id: str) -> dict[str, Any] | None:
        with self.store.read() as cur:
            cur.execute(
                "SELECT key_id, token_hash, account, scopes, name, created_at, revoked_at "
                f"FROM {self.table} WHERE key_id = {self.store.ph}",
                (key_id,),
            )
            row = cur.fetchone()
        return None if row is None else dict(row)

    @staticmethod
    def _key(row: dict[str, Any]) -> ApiKey:
        created = from_micros(row["created_at"])
        assert created is not None
        return ApiKey(
            key_id=str(row["key_id"]),
            name=str(row["name"]),
            account=str(row["account"]),
            scopes=tuple(str(row["scopes"]).split()),
            created_at=created,
            revoked_at=from_micros(row["revoked_at"]),
        )


__all__ = [
    "ALL_ACCOUNTS",
    "DEFAULT_SCOPES",
    "SCOPES",
    "ApiKey",
    "ApiKeys",
    "parse_account",
    "parse_scopes",
]
