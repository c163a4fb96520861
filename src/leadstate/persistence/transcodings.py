"""JSON transcodings for domain values the library does not know."""

from __future__ import annotations

import base64
import zlib
from array import array

from eventsourcing.persistence import Transcoding

from leadstate.domain.job import LeadIds


class LeadIdsAsCompressed(Transcoding):
    """A job's targets: sorted ids delta-encoded, deflated, base64 (1M ids ~ a few KB)."""

    type = LeadIds
    name = "lead_ids"

    def encode(self, obj: LeadIds) -> str:
        """Deltas of consecutive ids, as zigzag-free signed 64-bit, compressed."""
        previous = 0
        deltas = array("q")
        for value in obj:
            deltas.append(value - previous)
            previous = value
        return base64.b64encode(zlib.compress(deltas.tobytes(), 6)).decode("ascii")

    def decode(self, data: str) -> LeadIds:
        """The inverse of `encode`."""
        deltas = array("q")
        deltas.frombytes(zlib.decompress(base64.b64decode(data)))
        total = 0
        out = array("q")
        for delta in deltas:
            total += delta
            out.append(total)
        return LeadIds(out)
