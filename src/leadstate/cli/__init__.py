"""The `leadstate` command line: one typer app, commands grouped by module."""

from __future__ import annotations

from leadstate.cli.base import cli


def main() -> None:
    """Entry point of the `leadstate` console script."""
    from leadstate.cli import leads  # noqa: F401  (registers commands)

    try:
        from leadstate.cli import server  # noqa: F401
    except ImportError:  # pragma: no cover - until the server commands exist
        pass
    cli()
