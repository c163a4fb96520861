"""The `leadstate` command line."""

from __future__ import annotations

import typer

cli = typer.Typer(no_args_is_help=True, help="leadstate: event-sourced lead state service.")


def main() -> None:
    """Entry point of the `leadstate` console script."""
    cli()
