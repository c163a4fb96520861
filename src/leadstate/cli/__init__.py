"""The `leadstate` command line: one typer app, commands grouped by module."""

from __future__ import annotations

from leadstate.cli import audit, leads, ops, server
from leadstate.cli.base import cli
from leadstate.runtime import tune_collector

COMMAND_MODULES = (audit, leads, ops, server)


def main() -> None:
    """Entry point of the `leadstate` console script."""
    tune_collector()
    cli()
