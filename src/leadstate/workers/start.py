"""Starting the background workers one way, for `leadstate serve` and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field

from leadstate.application.bootstrap import Leadstate
from leadstate.workers.base import Worker
from leadstate.workers.exports import ExportWriter
from leadstate.workers.follower import FollowerWorker
from leadstate.workers.jobs import JobRunner
from leadstate.workers.outbox import OutboxSender


@dataclass
class Workers:
    """The workers running in this process."""

    running: list[Worker] = field(default_factory=list)

    def stop(self) -> None:
        """Stop them all, the last started first."""
        for worker in reversed(self.running):
            worker.stop()


def job_runner(leadstate: Leadstate) -> JobRunner:
    """A job runner with the configured pause between batches."""
    return JobRunner(leadstate, batch_pause=leadstate.settings.job_batch_pause_ms / 1000)


def outbox_sender(leadstate: Leadstate) -> OutboxSender:
    """The email outbox's sender."""
    return OutboxSender(leadstate.exports, leadstate.outbox, leadstate.leases, leadstate.settings)


def follower(leadstate: Leadstate) -> FollowerWorker:
    """The asynchronous read models' follower."""
    return FollowerWorker(leadstate)


def start_workers(
    leadstate: Leadstate,
    *,
    jobs: bool | None = None,
    projections: bool | None = None,
    exports: bool | None = None,
) -> Workers:
    """Start the workers the settings (or the arguments) ask for."""
    settings = leadstate.settings
    workers = Workers()
    if settings.run_jobs if jobs is None else jobs:
        workers.running.append(job_runner(leadstate).start())
    if settings.run_projections if projections is None else projections:
        workers.running.append(follower(leadstate).start())
    if settings.run_export_workers if exports is None else exports:
        workers.running.append(outbox_sender(leadstate).start())
        workers.running.append(ExportWriter(leadstate.exports).start())
    return workers
