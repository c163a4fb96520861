"""Per-lead data keys: contact data is encrypted with a key kept outside the event log.

Destroying a lead's key (crypto-shredding) makes every copy of its contact data in the
log unreadable, without rewriting the log.
"""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

ENCRYPTED_FIELD = "__enc__"
KEY_BYTES = 32
NONCE_BYTES = 12


def new_key() -> bytes:
    """A fresh random 256-bit data key."""
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def encrypt_contact(key: bytes, lead_uuid: UUID, contact: dict[str, Any]) -> dict[str, str]:
    """Seal a contact dict with AES-GCM; the lead's id is the associated data."""
    nonce = os.urandom(NONCE_BYTES)
    plain = json.dumps(contact, separators=(",", ":"), sort_keys=True).encode()
    sealed = AESGCM(key).encrypt(nonce, plain, lead_uuid.bytes)
    return {ENCRYPTED_FIELD: base64.b64encode(nonce + sealed).decode("ascii")}


def decrypt_contact(key: bytes, lead_uuid: UUID, sealed: dict[str, Any]) -> dict[str, Any]:
    """Open what `encrypt_contact` sealed."""
    raw = base64.b64decode(sealed[ENCRYPTED_FIELD])
    plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], lead_uuid.bytes)
    value: dict[str, Any] = json.loads(plain)
    return value


def is_sealed(value: Any) -> bool:
    """True for a contact value produced by `encrypt_contact`."""
    return isinstance(value, dict) and ENCRYPTED_FIELD in value


class Keyring:
    """A cache in front of the key table, so hot paths do not query it per event.

    Entries are re-checked against the table after `ttl` seconds, so a key destroyed
    by another process stops being usable here within that time.
    """

    def __init__(
        self,
        load: Callable[[list[UUID]], dict[UUID, bytes]],
        store: Callable[[dict[UUID, bytes]], None],
        *,
        maxsize: int = 200_000,
        ttl: float = 60.0,
    ) -> None:
        self._load = load
        self._store = store
        self._maxsize = maxsize
        self._ttl = ttl
        self._cache: OrderedDict[UUID, tuple[bytes, float]] = OrderedDict()
        self._lock = threading.Lock()

    def _remember(self, keys: dict[UUID, bytes]) -> None:
        now = time.monotonic()
        with self._lock:
            for lead_uuid, key in keys.items():
                self._cache[lead_uuid] = (key, now)
                self._cache.move_to_end(lead_uuid)
            while len(self._cache) > self._maxsize:
                self._cache.popitem(last=False)

    def _cached(self, lead_uuid: UUID) -> bytes | None:
        with self._lock:
            entry = self._cache.get(lead_uuid)
        if entry is None or time.monotonic() - entry[1] > self._ttl:
            return None
        return entry[0]

    def get_many(self, lead_uuids: Iterable[UUID]) -> dict[UUID, bytes]:
        """The keys that exist for these leads (a destroyed key is simply absent)."""
        found: dict[UUID, bytes] = {}
        missing: list[UUID] = []
        for lead_uuid in lead_uuids:
            key = self._cached(lead_uuid)
            if key is None:
                missing.append(lead_uuid)
            else:
                found[lead_uuid] = key
        if missing:
            loaded = self._load(missing)
            self._remember(loaded)
            found.update(loaded)
        return found

    def get(self, lead_uuid: UUID) -> bytes | None:
        """The key of one lead, or None once destroyed."""
        return self.get_many([lead_uuid]).get(lead_uuid)

    def hold(self, keys: dict[UUID, bytes]) -> None:
        """Use these keys now (new leads': stored in the transaction that saves them)."""
        self._remember(keys)

    def ensure(self, lead_uuids: Iterable[UUID]) -> None:
        """Create (and store) keys for the leads that have none yet."""
        wanted = list(lead_uuids)
        existing = self.get_many(wanted)
        fresh = {u: new_key() for u in wanted if u not in existing}
        if fresh:
            self._store(fresh)
            self._remember(fresh)

    def forget(self, lead_uuids: Iterable[UUID]) -> None:
        """Drop destroyed keys from the cache."""
        with self._lock:
            for lead_uuid in lead_uuids:
                self._cache.pop(lead_uuid, None)
