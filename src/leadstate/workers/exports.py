"""The export writer: writes large exports in the background and purges the files links
can no longer use; woken when an export is requested in this process."""

from __future__ import annotations

from leadstate.application.exports import Exports
from leadstate.workers.base import Worker


class ExportWriter(Worker):
    """Writes what waits, then purges what is due."""

    name = "export-writer"

    def __init__(self, exports: Exports, *, poll_seconds: float = 2.0) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.exports = exports

    def run_once(self) -> bool:
        """One pass; an interrupted export resumes on the next start."""
        try:
            self.exports.write_pending(self._stop)
        except InterruptedError:
            return False
        self.exports.purge_due()
        return False
