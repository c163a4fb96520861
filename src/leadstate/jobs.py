"""Background work: the bulk-job runner (in `leadstate serve` or `leadstate jobs run`).

Each job is run by one runner at a time, by lease: a runner that dies stops renewing
and another takes the job over once the lease lapses. Correctness does not rest on the
lease: a batch saves the job's progress and the leads' events in one transaction, so
two runners on one job would conflict on the job's version and one would back off.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from leadstate.application import LeadstateApp

log = logging.getLogger("leadstate.jobs")


class JobRunner:
    """Polls for unfinished jobs (and wakes at once when one is submitted here)."""

    def __init__(
        self, app: LeadstateApp, *, poll_seconds: float = 1.0, batch_pause: float = 0.0
    ) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self.batch_pause = batch_pause
        self.lease_seconds = app.settings.job_lease_seconds
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        app.job_listeners.append(self._wake.set)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run_forever, name="job-runner", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Finish the current batch, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_forever(self) -> None:
        """Work until stopped."""
        while not self._stop.is_set():
            try:
                self.run_pending()
                self.app.compact_if_due(self.app.settings.compact_interval_seconds)
                self.app.idempotency.purge_expired_if_due()  # 24-hour records (SPEC §6)
            except Exception:
                log.exception("job runner pass failed; retrying")
                self._stop.wait(self.poll_seconds)
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def run_pending(self) -> int:
        """Run every unfinished job this runner can lease; returns how many finished."""
        finished = 0
        for job_id in self.app.unfinished_jobs():
            if self._stop.is_set():
                break
            if self.run_job(job_id):
                finished += 1
        return finished

    def run_job(self, job_id: str) -> bool:
        """Run one job to its end while holding its lease; True if it finished here."""
        lease = f"job:{job_id}"
        if not self.app.claim_lease(lease, self.owner, self.lease_seconds):
            return False
        try:
            while not self._stop.is_set():
                try:
                    more = self.app.run_job_batch(job_id)
                except Exception as error:
                    log.exception("job %s failed", job_id)
                    self.app.fail_job(job_id, f"{type(error).__name__}: {error}")
                    return True
                if not more:
                    return True
                if self.batch_pause:
                    time.sleep(self.batch_pause)
                if not self.app.claim_lease(lease, self.owner, self.lease_seconds):
                    return False
            return False
        finally:
            self.app.release_lease(lease, self.owner)
