"""Wiring: `migrate` makes the database ready for this code; `open_leadstate` builds the
service and its collaborators on it (connections and objects only: no DDL, no rebuild,
no thread); `Leadstate.start` starts what runs beside requests in this process (the
table-name refresher). Workers (`leadstate.workers`) are started by the faces.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from leadstate.application.audit import Audit
from leadstate.application.bulk import BulkActions
from leadstate.application.dialing import Dialing
from leadstate.application.export_links import ExportLinks
from leadstate.application.exports import Exports
from leadstate.application.leads import Leads
from leadstate.application.loading import Loading
from leadstate.application.read_models import ReadModels
from leadstate.application.secrets import Secrets
from leadstate.application.service import LeadstateApp
from leadstate.persistence.apikeys import ApiKeys
from leadstate.persistence.base import Store
from leadstate.persistence.engine import Engine
from leadstate.persistence.files import ExportFiles
from leadstate.persistence.idempotency import IdempotencyStore
from leadstate.persistence.leases import Leases
from leadstate.persistence.outbox import OutboxRows
from leadstate.persistence.rekey import check_stream_ids
from leadstate.persistence.rekey import rekey as rekey_leads
from leadstate.projections.queries import Queries
from leadstate.projections.routing import LiveTables, TableRouting
from leadstate.projections.setup import create_read_models, route, upgrade_read_models
from leadstate.projections.sync import SyncProjection
from leadstate.settings import Settings


def migrate(settings: Settings, *, upgrade: bool = True, rekey: bool = False) -> None:
    """Create what is missing and bring every read model to this code's version (with
    `upgrade`; maintenance commands that stage a newer version beside a running older
    service do not). Idempotent; safe for several processes at once. A store keyed by
    the previous lead stream ids is refused (`OldStreamIdsError`) unless `rekey`, which
    re-keys it first (offline: no other process may use the store meanwhile)."""
    engine = Engine(settings)
    try:
        engine.create_tables()
        if rekey:
            rekey_leads(engine.store, engine.mapper.transcoder)
        check_stream_ids(engine.store)
        create_read_models(engine.store)
        if upgrade:
            upgrade_read_models(engine, route(engine.store, LiveTables()))
    finally:
        engine.close()


def migrate_keys(settings: Settings) -> None:
    """Only the infrastructure tables (what `leadstate keys` needs)."""
    engine = Engine(settings)
    try:
        engine.create_tables()
    finally:
        engine.close()


@dataclass
class Leadstate:
    """The service of one process: the application and its collaborators."""

    settings: Settings
    engine: Engine
    tables: LiveTables
    routing: TableRouting
    app: LeadstateApp
    queries: Queries
    leases: Leases
    api_keys: ApiKeys
    idempotency: IdempotencyStore
    outbox: OutboxRows
    leads: Leads
    loading: Loading
    actions: BulkActions
    dialing: Dialing
    exports: Exports
    audit: Audit
    read_models: ReadModels
    _stop: threading.Event = field(default_factory=threading.Event)

    @property
    def store(self) -> Store:
        """The database."""
        return self.engine.store

    def start(self) -> Leadstate:
        """Keep this process's read-model table names current (a daemon thread)."""
        self.routing.start_refresher(self._stop)
        return self

    def close(self) -> None:
        """Stop background work, then close every database connection."""
        self._stop.set()
        self.read_models.close()
        self.app.close()  # closes the engine's library factory
        self.engine.store.close()


def open_leadstate(settings: Settings) -> Leadstate:
    """The service on a migrated database."""
    engine = Engine(settings)
    store = engine.store
    tables = LiveTables()
    routing = route(store, tables)
    app = LeadstateApp(engine, SyncProjection(tables))
    writes = app.writes()
    queries = Queries(store, tables)
    leases = Leases(store)
    api_keys = ApiKeys(store, settings.api_key_cache_seconds)
    idempotency = IdempotencyStore(store)
    store.on_shred = idempotency.forget_leads  # stored answers naming shredded leads go too
    secrets = Secrets(store.secret)
    leads = Leads(
        writes,
        queries,
        api_keys,
        max_rows=settings.max_rows,
        max_selection=settings.max_selection,
    )
    exports = Exports(
        writes,
        queries,
        ExportFiles(store),
        leases,
        ExportLinks(secrets, settings.public_url, settings.smtp_from),
        link_ttl=settings.export_ttl,
        write_now_limit=settings.bulk_sync_limit,
    )
    read_models = ReadModels(
        engine, queries, routing, leases, refresh_wait_seconds=settings.dialer_refresh_wait_seconds
    )
    actions = BulkActions(
        writes,
        queries,
        secrets,
        leads,
        exports,
        exports.withdraw_holding,
        read_models.refresh,
        batch_size=settings.batch_size,
        bulk_sync_limit=settings.bulk_sync_limit,
    )
    return Leadstate(
        settings=settings,
        engine=engine,
        tables=tables,
        routing=routing,
        app=app,
        queries=queries,
        leases=leases,
        api_keys=api_keys,
        idempotency=idempotency,
        outbox=OutboxRows(store),
        leads=leads,
        loading=Loading(writes, queries, store, max_load_leads=settings.max_load_leads),
        actions=actions,
        dialing=Dialing(
            writes,
            queries,
            leads.get_campaign_settings,
            leads.views,
            max_rows=settings.max_rows,
        ),
        exports=exports,
        audit=Audit(engine, tables),
        read_models=read_models,
    )
