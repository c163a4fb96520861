"""`make bench` (`python -m tests.bench`): the speed figures of the README, in one run."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from tests.bench.bench import Row, run

app = typer.Typer(add_completion=False)


@app.command()
def bench(
    backend: Annotated[
        list[str] | None, typer.Option(help="sqlite and/or postgres (default both).")
    ] = None,
    leads: Annotated[int, typer.Option(help="Leads of the bulk job.")] = 100_000,
    search_leads: Annotated[int, typer.Option(help="Leads in the search table.")] = 1_000_000,
    http_seconds: Annotated[float, typer.Option(help="Seconds per HTTP load run.")] = 10.0,
    rebuild_events: Annotated[
        int, typer.Option(help="Events in the log the rebuild replays.")
    ] = 1_000_000,
    only: Annotated[
        list[str] | None, typer.Option(help="Run only these: bulk, http, search, rebuild.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Measure bulk actions, loading, HTTP single-lead actions, search and rebuilds."""
    console = Console()

    def report(row: Row) -> None:
        if as_json:
            typer.echo(json.dumps(asdict(row)))
        else:
            console.print(
                f"[bold]{row.backend:8}[/bold] {row.name:45} {row.value:12,.1f} {row.unit:8} "
                f"{row.note}"
            )

    rows = run(
        backend or ["sqlite", "postgres"],
        leads,
        search_leads,
        http_seconds,
        set(only or ()),
        report,
        rebuild_events,
    )
    if not as_json:
        table = Table("backend", "measure", "value", "unit", "note", title="leadstate bench")
        for row in rows:
            table.add_row(row.backend, row.name, f"{row.value:,.1f}", row.unit, row.note)
        console.print(table)


if __name__ == "__main__":
    app()
