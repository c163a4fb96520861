"""The shared typer app and helpers every command module uses."""

from __future__ import annotations

import typer

from leadstate.application import LeadstateApp
from leadstate.settings import Settings

cli = typer.Typer(no_args_is_help=True, help="leadstate: event-sourced lead state service.")


def open_app() -> LeadstateApp:
    """The application on the configured database (LEADSTATE_DB)."""
    return LeadstateApp(Settings())
