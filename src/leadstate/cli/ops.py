"""Operations: the explicit migrate step and the bulk-job worker."""

from __future__ import annotations

import signal
import time
from typing import Annotated

import typer

from leadstate.application.bootstrap import migrate
from leadstate.cli.base import cli, fail, open_service
from leadstate.persistence.rekey import OldStreamIdsError
from leadstate.settings import Settings
from leadstate.workers.start import job_runner


@cli.command("migrate")
def migrate_command(
    rekey: Annotated[
        bool,
        typer.Option(
            "--rekey",
            help="Re-key a store written with the previous lead stream ids first. Offline: "
            "stop every other leadstate process; resumes if cut.",
        ),
    ] = False,
) -> None:
    """Create what is missing and bring every read model to this code's version
    (rebuilding those that are older); idempotent, safe beside running servers."""
    try:
        migrate(Settings(), rekey=rekey)
    except OldStreamIdsError as error:
        fail(str(error))
    typer.echo("migrated")


jobs = typer.Typer(no_args_is_help=True, help="Bulk jobs.")
cli.add_typer(jobs, name="jobs")


@jobs.command("run")
def jobs_run(
    once: Annotated[bool, typer.Option(help="Run what is pending, then exit.")] = False,
) -> None:
    """Run bulk jobs in this process (a worker beside or instead of `leadstate serve`)."""
    app = open_service(upgrade=True).start()
    runner = job_runner(app)
    try:
        if once:
            runner.run_pending()
            return
        signal.signal(signal.SIGTERM, lambda *_: runner.stop())
        runner.start()
        while runner.alive:
            time.sleep(0.5)
    except KeyboardInterrupt:
        runner.stop()
    finally:
        app.close()
