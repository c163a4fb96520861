"""The email outbox's rows (`ls_outbox`): written with an export's `FileStored` event by
the synchronous projection, read and retried by the outbox sender."""

from __future__ import annotations

import time

from leadstate.persistence.base import Row, Store
from leadstate.persistence.tables import OUTBOX


class OutboxRows:
    """Reads and retry bookkeeping of the outbox."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.table = store.qualify(OUTBOX)

    def due(self, limit: int) -> list[Row]:
        """Pending rows whose time has come, oldest first."""
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT outbox_id, export_id, recipient_no, attempts FROM {self.table} "
                f"WHERE status = 'pending' AND next_attempt_at <= {ph} "
                f"ORDER BY next_attempt_at, outbox_id LIMIT {ph}",
                (time.time(), limit),
            )
            return list(cur.fetchall())

    def pending(self, outbox_id: str) -> bool:
        """True while the row waits to be sent."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT status FROM {self.table} WHERE outbox_id = {self.store.ph}", (outbox_id,)
            )
            row = cur.fetchone()
        return row is not None and row["status"] == "pending"

    def retry_later(self, outbox_id: str, attempts: int, delay: float, error: str) -> None:
        """Count a failed try and make the row due again after `delay` seconds."""
        ph = self.store.ph
        with self.store.write() as cur:
            cur.execute(
                f"UPDATE {self.table} SET attempts = {ph}, next_attempt_at = {ph}, "
                f"last_error = {ph} WHERE outbox_id = {ph} AND status = 'pending'",
                (attempts, time.time() + delay, error[:500], outbox_id),
            )

    def by_status(self) -> dict[str, int]:
        """How many rows each status has."""
        with self.store.read() as cur:
            cur.execute(f"SELECT status, COUNT(*) AS n FROM {self.table} GROUP BY status")
            return {str(r["status"]): int(r["n"]) for r in cur.fetchall()}
