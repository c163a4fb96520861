"""Bringing the read models to this code's definitions (part of the migrate step), and
the table routing every process installs on its store."""

from __future__ import annotations

import logging

from leadstate.persistence.base import Store
from leadstate.persistence.engine import Engine
from leadstate.projections import registry
from leadstate.projections.definitions import load
from leadstate.projections.models import ASYNC_READ_MODELS, render
from leadstate.projections.rebuild import Rebuild
from leadstate.projections.routing import LiveTables, StaleReadModelError, TableRouting
from leadstate.projections.sync import SYNC_READ_MODELS

log = logging.getLogger("leadstate.projections")

READ_MODELS = (*SYNC_READ_MODELS, *ASYNC_READ_MODELS)


def versions() -> dict[str, int]:
    """The version this code defines for each read model."""
    return {name: load(name).version for name in READ_MODELS}


def create_read_models(store: Store) -> None:
    """The first table of every read model not registered yet (idempotent)."""
    registered = registry.registrations(store)
    for name in READ_MODELS:
        if name in registered:
            continue
        definition = load(name)
        creates, indexes = render(definition, store, definition.table)
        store.script(";\n".join([*creates, *indexes]))
        registry.register(store, name, definition.version, definition.table, 0)


def route(store: Store, tables: LiveTables) -> TableRouting:
    """Install the table routing on `store` (writes re-targeted at the live tables) and
    fill `tables` with the live names; nothing is created."""
    routing = TableRouting(store, tables, versions())
    routing.load()
    store.route_changes = routing.route
    return routing


def upgrade_read_models(engine: Engine, routing: TableRouting) -> None:
    """Bring every read model to this code's version before serving: swap in a table a
    `leadstate projections rebuild` already staged, or build it now."""
    for name, version in versions().items():
        live = routing.live[name]
        if live.version == version:
            continue
        if live.version > version:
            raise StaleReadModelError(
                f"read model {name} is at version {live.version} in the database; this "
                f"code defines version {version}: run the newer code"
            )
        log.info("upgrading %s from version %d to %d", name, live.version, version)
        Rebuild(engine, name, swap=True, wait_for_lease=True, upgrade=True).run()
        routing.load()
    registry.drop_retired(engine.store)
    routing.load()
