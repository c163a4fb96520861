"""The bulk-job runner (in `leadstate serve` or `leadstate jobs run`).

Each job is run by one runner at a time, by lease: a runner that dies stops renewing
and another takes the job over once the lease lapses (at once if it died on this host).
Correctness does not rest on the lease: a batch saves the job's progress and the leads'
events in one transaction, so two runners on one job would conflict on the job's
version and one would back off. Between jobs it compacts SQLite after deletions and
purges expired idempotency records.
"""

from __future__ import annotations

import logging
import time

from leadstate.application.bootstrap import Leadstate
from leadstate.persistence.leases import new_owner
from leadstate.workers.base import Worker

log = logging.getLogger("leadstate.jobs")


class JobRunner(Worker):
    """Runs unfinished jobs (woken at once when one is submitted in this process)."""

    name = "job-runner"

    def __init__(
        self, leadstate: Leadstate, *, poll_seconds: float = 1.0, batch_pause: float = 0.0
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.actions = leadstate.actions
        self.leases = leadstate.leases
        self.app = leadstate.app
        self.idempotency = leadstate.idempotency
        self.batch_pause = batch_pause
        self.lease_seconds = leadstate.settings.job_lease_seconds
        self.compact_interval = leadstate.settings.compact_interval_seconds
        self.owner = new_owner()
        self.actions.job_listeners.append(self.wake)

    def run_once(self) -> bool:
        """Every unfinished job this runner can lease, then housekeeping."""
        self.run_pending()
        self.app.compact_if_due(self.compact_interval)
        self.idempotency.purge_expired_if_due()  # 24-hour records (SPEC §6)
        return False

    def run_pending(self) -> int:
        """Run every unfinished job this runner can lease; returns how many finished."""
        finished = 0
        for job_id in self.actions.unfinished_jobs():
            if self.stopping:
                break
            if self.run_job(job_id):
                finished += 1
        return finished

    def run_job(self, job_id: str) -> bool:
        """Run one job to its end while holding its lease; True if it finished here."""
        lease = f"job:{job_id}"
        if not self.leases.claim(lease, self.owner, self.lease_seconds):
            return False
        try:
            while not self.stopping:
                try:
                    more = self.actions.run_job_batch(job_id)
                except Exception as error:
                    log.exception("job %s failed", job_id)
                    self.actions.fail_job(job_id, f"{type(error).__name__}: {error}")
                    return True
                if not more:
                    return True
                if self.batch_pause:
                    time.sleep(self.batch_pause)
                if not self.leases.claim(lease, self.owner, self.lease_seconds):
                    return False
            return False
        finally:
            self.leases.release(lease, self.owner)
