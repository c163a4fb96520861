"""The one lease mechanism: who runs a job, follows the log, rebuilds, sends the outbox.

A lease is a row of `ls_leases` (name, owner, expiry), taken or renewed with one atomic
upsert that succeeds only for its owner or once it lapsed. An owner names its host and
process, so a lease whose owner is a dead process of this host is taken over at once
instead of after its expiry.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import uuid

from leadstate.persistence.base import Store
from leadstate.persistence.tables import LEASES

log = logging.getLogger("leadstate.leases")


def new_owner() -> str:
    """A lease owner id naming this host and process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str) -> bool:
    """True when `owner` names a process of this host that no longer runs."""
    parts = owner.split(":")
    if len(parts) < 3 or parts[0] != socket.gethostname():
        return False
    try:
        pid = int(parts[1])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class LeaseLost(RuntimeError):
    """Another owner took a lease this process held (it had lapsed)."""


class Lease:
    """One named lease as one owner holds it: claim, renew while working, release."""

    def __init__(self, leases: Leases, name: str, ttl: float, owner: str) -> None:
        self.leases = leases
        self.name = name
        self.ttl = ttl
        self.owner = owner

    def claim(self) -> bool:
        """Take or renew it; False while another live owner holds it."""
        return self.leases.claim(self.name, self.owner, self.ttl)

    def renew(self) -> None:
        """Renew it, or raise `LeaseLost` when another owner has it now."""
        if not self.claim():
            raise LeaseLost(f"lost the lease {self.name}")

    def release(self) -> None:
        """Give it up (no-op when another owner has it now)."""
        self.leases.release(self.name, self.owner)

    def holder(self) -> str | None:
        """Who holds it now (None when nobody does)."""
        holder = self.leases.holder(self.name)
        return None if holder is None else holder[0]


class Leases:
    """Leases on one store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = store.qualify(LEASES)

    def lease(self, name: str, ttl: float, owner: str | None = None) -> Lease:
        """A handle on the lease `name` for this process (or `owner`)."""
        return Lease(self, name, ttl, owner or new_owner())

    def _take(self, name: str, owner: str, ttl: float) -> bool:
        ph = self.store.ph
        now = time.time()
        with self.store.write() as cur:
            cur.execute(
                f"INSERT INTO {self.table} (name, owner, expires_at) VALUES ({ph}, {ph}, {ph}) "
                f"ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, "
                f"expires_at = excluded.expires_at "
                f"WHERE {self.table}.owner = excluded.owner OR {self.table}.expires_at < {ph}",
                (name, owner, now + ttl, now),
            )
            cur.execute(f"SELECT owner FROM {self.table} WHERE name = {ph}", (name,))
            row = cur.fetchone()
        return row is not None and row["owner"] == owner

    def claim(self, name: str, owner: str, ttl: float) -> bool:
        """Take or renew `name` for `owner` for `ttl` seconds; a lease of a dead process of
        this host is taken over at once. False while another live owner holds it."""
        if self._take(name, owner, ttl):
            return True
        holder = self.holder(name)
        if holder is not None and owner_is_dead(holder[0]):
            log.warning("taking over %s from %s, which is gone", name, holder[0])
            self.release(name, holder[0])
            return self._take(name, owner, ttl)
        return False

    def release(self, name: str, owner: str) -> None:
        """Give the lease up (only its owner can)."""
        ph = self.store.ph
        with self.store.write() as cur:
            cur.execute(
                f"DELETE FROM {self.table} WHERE name = {ph} AND owner = {ph}", (name, owner)
            )

    def holder(self, name: str) -> tuple[str, float] | None:
        """Who holds `name` and until when (None when nobody does)."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT owner, expires_at FROM {self.table} WHERE name = {self.store.ph}", (name,)
            )
            row = cur.fetchone()
        return None if row is None else (str(row["owner"]), float(row["expires_at"]))

    def held(self, name: str) -> bool:
        """True while a live owner holds `name`."""
        holder = self.holder(name)
        return holder is not None and holder[1] > time.time() and not owner_is_dead(holder[0])
