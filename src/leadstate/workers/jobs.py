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
from collections.abc import Callable, Sequence

from leadstate.application.bulk import BulkActions
from leadstate.persistence.leases import Leases, new_owner
from leadstate.workers.base import Worker

log = logging.getLogger("leadstate.jobs")


class JobRunner(Worker):
    """Runs unfinished jobs (woken at once when one is submitted in this process)."""

    name = "job-runner"

    def __init__(
        self,
        actions: BulkActions,
        leases: Leases,
        housekeeping: Sequence[Callable[[], object]] = (),
        *,
        lease_seconds: float,
        poll_seconds: float = 1.0,
        batch_pause: float = 0.0,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.actions = actions
        self.leases = leases
        self.housekeeping = list(housekeeping)
        self.lease_seconds = lease_seconds
        self.batch_pause = batch_pause
        self.owner = new_owner()

    def run_once(self) -> bool:
        """Every unfinished job this runner can lease, then housekeeping."""
        self.run_pending()
        for chore in self.housekeeping:
            chore()
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
        lease = self.leases.lease(f"job:{job_id}", self.lease_seconds, self.owner)
        if not lease.claim():
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
                if not lease.claim():
                    return False
            return False
        finally:
            lease.release()
