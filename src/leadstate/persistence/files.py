"""The data an export keeps beside its events: its ZIP in chunks, the leads it holds.

Both are infrastructure tables (`persistence.schema`): data, not derived from events. The
leadIds are what DELETE_LEADS looks up to withdraw the exports holding a deleted lead.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from typing import IO

from leadstate.persistence.base import Store
from leadstate.persistence.tables import EXPORT_FILES, EXPORT_LEADS

CHUNK_BYTES = 1 << 20


class FileGone(LookupError):
    """A chunk of a stored file vanished (purged while being read)."""


class ExportFiles:
    """Stored export files and the leads each export holds."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.files = store.qualify(EXPORT_FILES)
        self.leads = store.qualify(EXPORT_LEADS)

    # -- files --------------------------------------------------------------------------

    def store_file(self, export_id: str, source: IO[bytes]) -> tuple[int, str]:
        """Copy a finished file into the database, a transaction per chunk; (size, sha256)."""
        self.drop_file(export_id)
        source.seek(0)
        digest = hashlib.sha256()
        size = 0
        seq = 0
        sql = self.store.insert_sql(self.files, ("export_id", "seq", "data"))
        while True:
            block = source.read(CHUNK_BYTES)
            if not block:
                break
            digest.update(block)
            size += len(block)
            with self.store.write() as cur:
                cur.execute(sql, (export_id, seq, block))
            seq += 1
        return size, digest.hexdigest()

    def chunk_count(self, export_id: str) -> int:
        """How many chunks of the file are stored (0: none)."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT COUNT(*) AS n FROM {self.files} WHERE export_id = {self.store.ph}",
                (export_id,),
            )
            return int(cur.fetchone()["n"])

    def chunks(self, export_id: str, count: int) -> Iterator[bytes]:
        """The file's chunks in order, each read in its own transaction (FileGone when one
        was purged meanwhile: end with an error, not a truncated file)."""
        ph = self.store.ph
        for seq in range(count):
            with self.store.read() as cur:
                cur.execute(
                    f"SELECT data FROM {self.files} WHERE export_id = {ph} AND seq = {ph}",
                    (export_id, seq),
                )
                row = cur.fetchone()
            if row is None:
                raise FileGone(export_id)
            yield bytes(row["data"])

    def drop_file(self, export_id: str) -> None:
        """Delete the stored file."""
        with self.store.write() as cur:
            cur.execute(f"DELETE FROM {self.files} WHERE export_id = {self.store.ph}", (export_id,))

    def with_files(self) -> list[str]:
        """Every export with a stored file (or part of one)."""
        with self.store.read() as cur:
            cur.execute(f"SELECT DISTINCT export_id FROM {self.files}")
            return [str(r["export_id"]) for r in cur.fetchall()]

    # -- the leads an export holds -----------------------------------------------------

    def held_count(self, export_id: str) -> int:
        """How many leads the export holds."""
        with self.store.read() as own:
            own.execute(
                f"SELECT COUNT(*) AS n FROM {self.leads} WHERE export_id = {self.store.ph}",
                (export_id,),
            )
            return int(own.fetchone()["n"])

    def drop_leads(self, export_id: str, lead_ids: Iterable[int]) -> None:
        """Forget these leads of the export."""
        ph = self.store.ph
        with self.store.write() as cur:
            cur.executemany(
                f"DELETE FROM {self.leads} WHERE export_id = {ph} AND lead_id = {ph}",
                [(export_id, lead_id) for lead_id in lead_ids],
            )

    def holding(self, lead_ids: Iterable[int]) -> set[str]:
        """The exports that hold any of these leads."""
        sql = f"SELECT DISTINCT export_id FROM {self.leads} WHERE lead_id IN ({{marks}})"
        with self.store.read() as cur:
            return {str(r["export_id"]) for r in self.store.select_in(cur, sql, list(lead_ids))}
