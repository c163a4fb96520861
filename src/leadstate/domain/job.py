"""A bulk action as an aggregate of its own (SPEC §7).

At submission the job fixes its target set; each batch's lead events and the job's
progress are saved in one transaction, so a crash or restart resumes exactly where the
last committed batch ended: no lead gets the action twice, none is skipped.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

JOB_NAMESPACE = UUID("5e0f3a8c-2b7d-4c1e-8f6a-9d2c4b1e7a30")


class LeadIds:
    """An ordered, compact set of leadIds (a job's targets)."""

    __slots__ = ("_ids",)

    def __init__(self, ids: Iterable[int] = ()) -> None:
        self._ids = array("q", ids)

    def __len__(self) -> int:
        return len(self._ids)

    def __iter__(self) -> Iterator[int]:
        return iter(self._ids)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LeadIds) and len(self) == len(other) and list(self) == list(other)

    def __hash__(self) -> int:
        return hash(self._ids.tobytes())

    def slice(self, start: int, stop: int) -> list[int]:
        """The targets from `start` to `stop` (exclusive)."""
        return self._ids[start:stop].tolist()


class JobStatus:
    """The statuses of SPEC §6 `GET .../jobs/{jobId}`."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class BulkJob(Aggregate):
    """One lead action over a fixed set of leads, applied batch by batch."""

    @staticmethod
    def create_id(job_id: str) -> UUID:
        """The stream id of job `job_id`."""
        return uuid5(JOB_NAMESPACE, f"job:{job_id}")

    @event("Submitted")
    def __init__(
        self,
        job_id: str,
        account_id: int,
        action: str,
        params: dict[str, Any],
        criteria_hash: str,
        targets: LeadIds,
        actor: str,
        correlation_id: str,
        at: datetime,
    ) -> None:
        self.job_id = job_id
        self.account_id = account_id
        self.action = action
        self.params = params
        self.criteria_hash = criteria_hash
        self.targets = targets
        self.actor = actor
        self.correlation_id = correlation_id
        self.submitted_at = at
        self.processed = 0
        self.update_count = 0
        self.delete_count = 0
        self.errors: list[dict[str, Any]] = []
        self.error_count = 0
        self.new_list_id: int | None = None
        self.merged: set[int] = set()
        self.status = JobStatus.QUEUED
        self.failure: str | None = None
        self.finished_at: datetime | None = None

    MAX_KEPT_ERRORS = 1000

    @property
    def total(self) -> int:
        """How many leads the job targets."""
        return len(self.targets)

    @property
    def finished(self) -> bool:
        """True once done or failed."""
        return self.status in (JobStatus.DONE, JobStatus.FAILED)

    def next_batch(self, size: int) -> list[int]:
        """The leadIds of the next batch (empty when all are processed)."""
        return self.targets.slice(self.processed, self.processed + size)

    def record_batch(
        self,
        count: int,
        updated: int,
        deleted: int,
        errors: list[dict[str, Any]],
        merged: list[int],
        new_list_id: int | None,
        at: datetime,
    ) -> None:
        """Progress of one batch, saved with that batch's lead events."""
        if self.finished:
            raise ValueError(f"job {self.job_id} is {self.status}")
        if count <= 0 or self.processed + count > self.total:
            raise ValueError("a batch must advance within the target set")
        self._batch(
            count=count,
            updated=updated,
            deleted=deleted,
            errors=errors,
            merged=merged,
            new_list_id=new_list_id,
            at=at,
        )
        if self.processed == self.total:
            self._complete(at=at)

    @event("BatchProcessed")
    def _batch(
        self,
        count: int,
        updated: int,
        deleted: int,
        errors: list[dict[str, Any]],
        merged: list[int],
        new_list_id: int | None,
        at: datetime,
    ) -> None:
        self.status = JobStatus.RUNNING
        self.processed += count
        self.update_count += updated
        self.delete_count += deleted
        self.error_count += len(errors)
        room = self.MAX_KEPT_ERRORS - len(self.errors)
        if room > 0:
            self.errors = [*self.errors, *errors[:room]]
        self.merged = self.merged | set(merged)
        if new_list_id is not None:
            self.new_list_id = new_list_id

    def complete_if_empty(self, at: datetime) -> bool:
        """A job with no targets is done at once."""
        if self.total == 0 and not self.finished:
            self._complete(at=at)
            return True
        return False

    @event("Completed")
    def _complete(self, at: datetime) -> None:
        self.status = JobStatus.DONE
        self.finished_at = at

    def fail(self, reason: str, at: datetime) -> None:
        """Stop the job for good, saying why."""
        if self.finished:
            return
        self._fail(reason=reason, at=at)

    @event("Failed")
    def _fail(self, reason: str, at: datetime) -> None:
        self.status = JobStatus.FAILED
        self.failure = reason
        self.finished_at = at
