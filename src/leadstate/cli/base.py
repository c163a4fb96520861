"""The shared typer app and how commands open the database (only what they need)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import typer

from leadstate.application.bootstrap import Leadstate, migrate, migrate_keys, open_leadstate
from leadstate.persistence.apikeys import ApiKeys
from leadstate.persistence.engine import Engine
from leadstate.settings import Settings

cli = typer.Typer(no_args_is_help=True, help="leadstate: event-sourced lead state service.")


def open_service(*, upgrade: bool = True) -> Leadstate:
    """The service on the configured database (LEADSTATE_DB), migrated first; without
    `upgrade`, read models keep their versions (maintenance beside a running service)."""
    settings = Settings()
    migrate(settings, upgrade=upgrade)
    return open_leadstate(settings)


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
