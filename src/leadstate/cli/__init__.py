"""The `leadstate` command line: one typer app, commands grouped by module."""

from __future__ import annotations

import importlib
import importlib.util

from leadstate.cli.base import cli

COMMAND_MODULES = ("leads", "server", "ops", "audit")


def main() -> None:
    """Entry point of the `leadstate` console script."""
    for name in COMMAND_MODULES:
        if importlib.util.find_spec(f"leadstate.cli.{name}") is not None:
            importlib.import_module(f"leadstate.cli.{name}")
    cli()
