"""One database, opened: the library's recorder, our store beside it, the mapper.

Opening connects and builds objects; it creates nothing. `create_tables` (the migrate
step) makes the library's log table and the infrastructure tables.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse
from uuid import UUID

from eventsourcing.persistence import (
    DatetimeAsISO,
    DecimalAsStr,
    InfrastructureFactory,
    JSONTranscoder,
    UUIDAsHex,
)
from eventsourcing.utils import Environment

from leadstate.persistence.base import Store
from leadstate.persistence.crypto import Keyring
from leadstate.persistence.mapper import ShreddingMapper
from leadstate.persistence.schema import infrastructure_sql
from leadstate.persistence.transcodings import LeadIdsAsCompressed
from leadstate.settings import Settings

# The library names the PostgreSQL log `<name>_events` after this.
LOG_NAME = "leadstate"


def library_env(settings: Settings, pool_size: int = 10) -> dict[str, str]:
    """The library's settings for `settings.db` (PostgreSQL: `pool_size` connections and
    as many more at peak); it never creates tables on its own."""
    env = {"CREATE_TABLE": "no"}
    if settings.is_postgres:
        url = urlparse(settings.db)
        env.update(
            {
                "POSTGRES_DBNAME": (url.path or "/").lstrip("/") or "postgres",
                "POSTGRES_HOST": url.hostname or "127.0.0.1",
                "POSTGRES_PORT": str(url.port or 5432),
                "POSTGRES_USER": unquote(url.username or "postgres"),
                "POSTGRES_PASSWORD": unquote(url.password or ""),
                "POSTGRES_SCHEMA": settings.pg_schema,
                "POSTGRES_POOL_SIZE": str(pool_size),
                "POSTGRES_MAX_OVERFLOW": str(pool_size),
                "POSTGRES_LOCK_TIMEOUT": "30",
            }
        )
    else:
        env["SQLITE_DBNAME"] = str(settings.sqlite_path())
        env["SQLITE_LOCK_TIMEOUT"] = "30"
    return env


def transcoder() -> JSONTranscoder:
    """The library's transcodings plus a compact one for job targets."""
    coder = JSONTranscoder()
    for transcoding in (UUIDAsHex(), DecimalAsStr(), DatetimeAsISO(), LeadIdsAsCompressed()):
        coder.register(transcoding)
    return coder


class Engine:
    """The storage of one database for one process."""

    def __init__(self, settings: Settings, *, pool_size: int = 10) -> None:
        self.settings = settings
        environment = Environment(LOG_NAME, library_env(settings, pool_size))
        self.factory: InfrastructureFactory[Any]
        if settings.is_postgres:
            from leadstate.persistence.postgres import (
                LeadstatePostgresFactory,
                LeadstatePostgresRecorder,
                PostgresStore,
            )

            self.factory = LeadstatePostgresFactory(environment)
            recorder = self.factory.application_recorder()
            assert isinstance(recorder, LeadstatePostgresRecorder)
            self.store: Store = PostgresStore(
                recorder.datastore,
                recorder.events_table_name,
                recorder.channel_name,
                random_page_cost=settings.pg_random_page_cost,
            )
            recorder.store = self.store
        else:
            from leadstate.persistence.sqlite import (
                LeadstateSQLiteFactory,
                LeadstateSQLiteRecorder,
                SQLiteStore,
            )

            sqlite = LeadstateSQLiteFactory(environment, synchronous=settings.sqlite_synchronous)
            self.factory = sqlite
            recorder = sqlite.application_recorder()
            assert isinstance(recorder, LeadstateSQLiteRecorder)
            self.store = SQLiteStore(recorder.datastore)
            recorder.store = self.store
        self.recorder = recorder
        self.keyring = Keyring(self.store.load_keys, self.store.store_keys)
        self.mapper = ShreddingMapper(transcoder=transcoder())
        self.mapper.keyring = self.keyring

    def create_tables(self) -> None:
        """The library's log table and our infrastructure tables (idempotent)."""
        self.recorder.create_table()
        self.store.script(infrastructure_sql(self.store))

    def history(self, stream_id: UUID, after: int = 0) -> list[Any]:
        """A stream's events after version `after`, decoded (a lead's contact data opens
        with its key on first use, and reads as erased once the key is gone)."""
        events = self.store.select_streams([stream_id])[stream_id]
        return [self.mapper.to_domain_event(e) for e in events if e.originator_version > after]

    def load(self, stream_id: UUID) -> Any:
        """One aggregate folded from its events (None when it has none)."""
        aggregate: Any = None
        for event in self.history(stream_id):
            aggregate = event.mutate(aggregate)
        return aggregate

    def close(self) -> None:
        """Close every connection."""
        self.store.close()
        self.factory.close()
