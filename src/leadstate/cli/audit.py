"""Audit and read-model commands: history, replay, verify, projections status|rebuild|follow."""

from __future__ import annotations

import json
import logging
import signal
import sys
import time
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadstate.application.bootstrap import Leadstate
from leadstate.cli.base import AccountOpt, cli, err, fail, open_service, progress_bar
from leadstate.domain import DomainError, parse_time
from leadstate.projections.rebuild import Progress as RebuildProgress
from leadstate.projections.rebuild import RebuildBusyError
from leadstate.workers.start import follower


def open_maintenance_app() -> Leadstate:
    """The service as maintenance commands open it: no read-model upgrade. Run with a
    newer read-model version beside the old service, `projections rebuild` must stage
    that version's table, not swap it in under the running old code."""
    return open_service(require_current=False)


projections = typer.Typer(no_args_is_help=True, help="Read models: status, rebuilds, follower.")
cli.add_typer(projections, name="projections")


def _echo_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, default=str))


@cli.command()
def history(lead_id: int, account: AccountOpt) -> None:
    """Every event of a lead, in order, as JSON (personal data erased once deleted)."""
    app = open_maintenance_app()
    try:
        _echo_json(app.audit.lead_history(account, lead_id))
    except DomainError as error:
        fail(error.message)
    finally:
        app.close()


@cli.command()
def replay(
    lead_id: int,
    account: AccountOpt,
    version: Annotated[int | None, typer.Option(help="Rebuild the lead at this version.")] = None,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="Rebuild the lead as of this ISO-8601 time.")
    ] = None,
) -> None:
    """A lead rebuilt from its events at a version or time (the current lead without)."""
    when = None
    if as_of is not None:
        try:
            when = parse_time(as_of)
        except ValueError as error:
            fail(str(error))
    app = open_maintenance_app()
    try:
        _echo_json(app.leads.get_lead(account, lead_id, version=version, as_of=when))
    except DomainError as error:
        fail(error.message)
    finally:
        app.close()


@cli.command()
def verify(
    page_size: Annotated[
        int | None, typer.Option(help="Events per page (default LEADSTATE_REBUILD_PAGE_SIZE).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Differences as JSON lines.")] = False,
) -> None:
    """Replay the whole log and compare it with every read model; exit 1 on any difference."""
    app = open_maintenance_app()
    started = time.perf_counter()
    try:
        with progress_bar() as bar:
            task = bar.add_task("verify", total=None, rate="")

            def progress(done: int, total: int) -> None:
                elapsed = time.perf_counter() - started
                rate = f"{done / elapsed:,.0f} ev/s" if elapsed > 0 else ""
                bar.update(task, completed=done, total=total, rate=rate)

            differences = app.audit.verify_read_models(page=page_size, on_progress=progress)
    finally:
        app.close()
    for difference in differences:
        if as_json:
            typer.echo(json.dumps(difference.as_dict(), default=str))
        else:
            typer.echo(difference.describe())
    seconds = time.perf_counter() - started
    if differences:
        err.print(f"[red]{len(differences)} difference(s)[/red] ({seconds:.1f} s)")
        raise typer.Exit(1)
    err.print(f"[green]the read models agree with the log[/green] ({seconds:.1f} s)")


@projections.command("status")
def projections_status(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Each read model: live table, status, position, lag, rebuild progress."""
    app = open_maintenance_app()
    try:
        rows = app.read_models.projection_status()
    finally:
        app.close()
    if as_json:
        _echo_json(rows)
        return
    table = Table("name", "mode", "version", "table", "status", "position", "lag", "rebuild")
    for row in rows:
        progress = row["progress"]
        shown = ""
        if progress:
            shown = f"{progress['phase']} {progress['percent']}% {progress['eventsPerSecond']:,.0f} ev/s"
        if row["error"]:
            shown = (shown + " " if shown else "") + f"[red]{row['error']}[/red]"
        table.add_row(
            row["name"],
            row["mode"],
            str(row["version"]),
            row["table"],
            row["status"],
            f"{row['position']:,}",
            f"{row['lag']:,}",
            shown,
        )
    Console().print(table)


@projections.command("rebuild")
def projections_rebuild(
    name: Annotated[str, typer.Argument(help="Read model: lead_search, lead_counts, ...")],
    swap: Annotated[
        bool | None,
        typer.Option(
            "--swap/--stage",
            help="Swap the new table in when built, or leave it staged for the next start. "
            "Default: swap, unless the definition's version is newer than the live one.",
        ),
    ] = None,
    page_size: Annotated[
        int | None, typer.Option(help="Events per page (default LEADSTATE_REBUILD_PAGE_SIZE).")
    ] = None,
    wait: Annotated[
        bool, typer.Option(help="Wait while another process holds the rebuild.")
    ] = True,
) -> None:
    """Blue/green rebuild of a read model beside the running service (resumes if cut)."""
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr)
    app = open_maintenance_app()
    try:
        with progress_bar() as bar:
            task = bar.add_task(name, total=None, rate="")

            def progress(p: RebuildProgress) -> None:
                if p.phase == "scan":
                    bar.update(task, description=f"{name} scan", completed=p.done, total=p.total)
                else:
                    bar.update(
                        task, description=f"{name} {p.phase}", completed=p.position, total=p.head
                    )
                bar.update(task, rate=f"{p.rate:,.0f} ev/s")

            result = app.read_models.rebuild_projection(
                name, swap=swap, page=page_size, on_progress=progress, wait_for_lease=wait
            )
    except (DomainError, RebuildBusyError) as error:
        fail(error.message if isinstance(error, DomainError) else str(error))
    finally:
        app.close()
    if result["status"] == "staged":
        err.print(
            f"[green]{name} v{result['version']} built in {result['table']}[/green] and staged at "
            f"position {result['position']:,}: a service starting with this version catches it "
            "up and swaps it in"
        )
    else:
        err.print(
            f"[green]{name} now served from {result['table']}[/green] "
            f"(position {result['position']:,})"
        )


@projections.command("follow")
def projections_follow() -> None:
    """Run the asynchronous read models in this process (one process leads at a time)."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr)
    app = open_service(upgrade=True).start()
    worker = follower(app).start()
    stopping = False

    def stop(*_: Any) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    try:  # the worker logs when it starts following the log and when it stands by
        while not stopping and worker.alive:
            time.sleep(0.2)
    finally:
        worker.stop()
        app.close()
