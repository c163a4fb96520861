"""The shared typer app and how commands open the database (only what they need)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)

from leadstate.application.bootstrap import Leadstate, migrate, migrate_keys, open_leadstate
from leadstate.persistence.apikeys import ApiKeys
from leadstate.persistence.engine import Engine
from leadstate.persistence.rekey import OldStreamIdsError
from leadstate.settings import Settings

cli = typer.Typer(no_args_is_help=True, help="leadstate: event-sourced lead state service.")
err = Console(stderr=True)  # messages and progress: stdout stays machine-readable

AccountOpt = Annotated[int, typer.Option("--account", "-a", help="Account id.")]


def fail(message: str, code: int = 2) -> NoReturn:
    """Say what went wrong on stderr and exit with `code`."""
    err.print(f"[red]error:[/red] {message}")
    raise typer.Exit(code)


def progress_bar() -> Progress:
    """A progress bar on stderr; each task carries a `rate` field (may be empty)."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        TaskProgressColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )


def open_service(*, upgrade: bool = False, require_current: bool = True) -> Leadstate:
    """The service on the configured database (LEADSTATE_DB); what is missing is created
    (cheap, idempotent). Read models are rebuilt only with `upgrade` (the long-running
    commands, like `serve`); otherwise a read model older than this code is an error
    that says to run `leadstate migrate` — unless `require_current` is off (maintenance
    beside a running older service)."""
    settings = Settings()
    try:
        migrate(settings, upgrade=upgrade)
    except OldStreamIdsError as error:
        fail(str(error))
    leadstate = open_leadstate(settings)
    behind = leadstate.routing.behind() if require_current else {}
    if behind:
        leadstate.close()
        names = ", ".join(
            f"{n} (version {v} here, {ours} in this code)" for n, (v, ours) in behind.items()
        )
        fail(f"read models are older than this code: {names}; run `leadstate migrate`")
    return leadstate


@contextmanager
def api_keys() -> Iterator[ApiKeys]:
    """The API keys of the configured database (its infrastructure tables made first)."""
    settings = Settings()
    migrate_keys(settings)
    engine = Engine(settings)
    try:
        yield ApiKeys(engine.store)
    finally:
        engine.close()
