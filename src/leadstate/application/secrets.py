"""Keyed hashes with the installation's secrets (created on first use, never changed)."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable


class Secrets:
    """HMAC-SHA256 under named installation secrets, each read once per process."""

    def __init__(self, secret: Callable[[str], str]) -> None:
        self._secret_of = secret
        self._keys: dict[str, bytes] = {}

    def key(self, name: str) -> bytes:
        """The secret `name` (created by the store on first use)."""
        key = self._keys.get(name)
        if key is None:
            key = self._keys[name] = self._secret_of(name).encode()
        return key

    def digest(self, name: str, value: bytes) -> bytes:
        """HMAC-SHA256 of `value` under the secret `name`."""
        return hmac.new(self.key(name), value, hashlib.sha256).digest()

    def hexdigest(self, name: str, value: bytes) -> str:
        """The same, as hex."""
        return self.digest(name, value).hex()
