"""Starting the background workers one way, for `leadstate serve` and the CLI."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from leadstate.application.bootstrap import Leadstate
from leadstate.projections.follower import Follower
from leadstate.projections.models import ASYNC_READ_MODELS
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
    """A job runner woken by the jobs submitted in this process; between jobs it
    compacts SQLite after deletions and purges expired idempotency records."""
    settings = leadstate.settings
    runner = JobRunner(
        leadstate.actions,
        leadstate.leases,
        [
            lambda: leadstate.app.compact_if_due(settings.compact_interval_seconds),
            leadstate.idempotency.purge_expired_if_due,  # 24-hour records (SPEC §6)
        ],
        lease_seconds=settings.job_lease_seconds,
        batch_pause=settings.job_batch_pause_ms / 1000,
    )
    leadstate.actions.job_listeners.append(runner.wake)
    return runner


def outbox_sender(leadstate: Leadstate) -> OutboxSender:
    """The email outbox's sender, woken when an export becomes ready here."""
    sender = OutboxSender(leadstate.exports, leadstate.outbox, leadstate.leases, leadstate.settings)
    leadstate.exports.listeners.append(sender.wake)
    return sender


def export_writer(leadstate: Leadstate) -> ExportWriter:
    """The export writer, woken when an export is requested here."""
    writer = ExportWriter(leadstate.exports)
    leadstate.exports.listeners.append(writer.wake)
    return writer


def follower(leadstate: Leadstate, names: Sequence[str] = ASYNC_READ_MODELS) -> FollowerWorker:
    """The asynchronous read models' follower."""
    followers = [Follower(leadstate.engine, name) for name in names]
    return FollowerWorker(leadstate.store, leadstate.leases, followers)


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
        workers.running.append(export_writer(leadstate).start())
    return workers
