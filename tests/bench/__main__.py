"""`make bench` (`python -m tests.bench`): every figure beside the limit measured in the
same run, its ratio and the goal; the README's table is this output."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import asdict
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from leadstate.runtime import tune_collector
from tests.bench.bulk import bench_bulk, bench_growth
from tests.bench.common import Row
from tests.bench.http import bench_http
from tests.bench.rebuild import bench_rebuild
from tests.bench.search import bench_search

app = typer.Typer(add_completion=False)
BENCHMARKS = ("bulk", "growth", "http", "search", "rebuild")


def markdown(rows: list[Row]) -> str:
    """The rows as the README's table."""
    lines = [
        "| backend | measure | figure | limit (same run) | ratio | goal |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        limit = f"{row.limit:,.1f} ({row.limit_name})" if row.limit is not None else ""
        ratio = f"{row.ratio:.2f}" if row.ratio is not None else ""
        goal = ""
        if row.goal is not None:
            goal = f"≥ {row.goal:g}: " + ("met" if row.met else "**not met**")
        lines.append(
            f"| {row.backend} | {row.name} | {row.value:,.1f} {row.unit} | {limit} | {ratio} "
            f"| {goal} |"
        )
    return "\n".join(lines)


@app.command()
def bench(
    backend: Annotated[
        list[str] | None, typer.Option(help="sqlite and/or postgres (default both).")
    ] = None,
    leads: Annotated[int, typer.Option(help="Leads loaded and acted on in bulk.")] = 100_000,
    growth: Annotated[
        str, typer.Option(help="Store sizes of the growth row, comma-separated.")
    ] = "10000,100000,1000000",
    search_leads: Annotated[int, typer.Option(help="Leads in the search table.")] = 1_000_000,
    http_seconds: Annotated[float, typer.Option(help="Seconds per HTTP load run.")] = 10.0,
    rebuild_events: Annotated[
        int, typer.Option(help="Events in the log the rebuild replays.")
    ] = 1_000_000,
    only: Annotated[
        list[str] | None, typer.Option(help=f"Run only these: {', '.join(BENCHMARKS)}.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON lines instead of a table.")] = False,
) -> None:
    """Measure loading, bulk actions, growth, HTTP single-lead actions, search, rebuilds."""
    tune_collector()  # as every leadstate process is
    console = Console()
    rows: list[Row] = []
    runs: dict[str, Callable[[str, list[Row]], None]] = {
        "bulk": lambda b, r: bench_bulk(b, leads, r),
        "growth": lambda b, r: bench_growth(b, [int(s) for s in growth.split(",")], r),
        "http": lambda b, r: bench_http(b, leads, r, http_seconds),
        "search": lambda b, r: bench_search(b, search_leads, r),
        "rebuild": lambda b, r: bench_rebuild(b, rebuild_events, r),
    }
    for chosen in backend or ["sqlite", "postgres"]:
        for name in BENCHMARKS:
            if only and name not in only:
                continue
            before = len(rows)
            runs[name](chosen, rows)
            for row in rows[before:]:
                if as_json:
                    typer.echo(json.dumps({**asdict(row), "ratio": row.ratio, "met": row.met}))
                else:
                    ratio = f"ratio {row.ratio:.2f}" if row.ratio is not None else ""
                    console.print(
                        f"[bold]{row.backend:8}[/bold] {row.name:50} {row.value:12,.1f} "
                        f"{row.unit:8} {ratio} {row.note}"
                    )
    if not as_json:
        table = Table(
            "backend", "measure", "figure", "limit", "ratio", "goal", title="leadstate bench"
        )
        for row in rows:
            table.add_row(
                row.backend,
                row.name,
                f"{row.value:,.1f} {row.unit}",
                f"{row.limit:,.1f} ({row.limit_name})" if row.limit is not None else "",
                f"{row.ratio:.2f}" if row.ratio is not None else "",
                "" if row.goal is None else f"≥ {row.goal:g} " + ("met" if row.met else "NOT MET"),
            )
        console.print(table)
        typer.echo(markdown(rows))


if __name__ == "__main__":
    app()
