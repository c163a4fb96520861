"""The two backends of the tests: settings per backend, PostgreSQL schemas, and opening
the service (SQLite always, PostgreSQL when reachable, required with
LEADSTATE_REQUIRE_POSTGRES=1). Imported by the tiers that touch a database."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from leadstate.application.bootstrap import Leadstate, migrate, open_leadstate
from leadstate.domain import ActionParams, LeadAction
from leadstate.domain.criteria import SearchCriteria
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.params import parse_params
from leadstate.settings import Settings
from leadstate.workers.follower import FollowerWorker
from leadstate.workers.start import follower

PG_URL = os.environ.get("LEADSTATE_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REQUIRE_PG = os.environ.get("LEADSTATE_REQUIRE_POSTGRES") == "1"


def postgres_reachable() -> bool:
    """True when the test PostgreSQL answers."""
    try:
        with psycopg.connect(PG_URL, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.Error:
        return False


_PG_OK: bool | None = None


def require_postgres() -> None:
    """Skip (or, with LEADSTATE_REQUIRE_POSTGRES=1, fail) when PostgreSQL is unreachable."""
    global _PG_OK
    if _PG_OK is None:
        _PG_OK = postgres_reachable()
    if not _PG_OK:
        message = f"PostgreSQL unreachable at {PG_URL}"
        if REQUIRE_PG:
            pytest.fail(message + " and LEADSTATE_REQUIRE_POSTGRES=1")
        pytest.skip(message)


@pytest.fixture
def pg_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield schema
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def make_settings(
    backend: str, tmp_path: Path, schema: str | None = None, **extra: object
) -> Settings:
    """Settings for `backend` ('sqlite' or 'postgres') isolated to this test."""
    if backend == "sqlite":
        return Settings(db=str(tmp_path / "leadstate.db"), **extra)  # type: ignore[arg-type]
    assert schema is not None
    return Settings(db=PG_URL, pg_schema=schema, **extra)  # type: ignore[arg-type]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    """Each integration test runs once per backend."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for the parametrised backend."""
    schema = request.getfixturevalue("pg_schema") if backend == "postgres" else None
    return make_settings(backend, tmp_path, schema)


def open_service(settings: Settings) -> Leadstate:
    """The service on `settings`' database, migrated and started, as `serve` opens it."""
    migrate(settings)
    return open_leadstate(settings).start()


_FOLLOWERS: dict[int, FollowerWorker] = {}


def start_following(service: Leadstate) -> FollowerWorker:
    """Follow the asynchronous read models in this process (as `serve` does)."""
    worker = _FOLLOWERS.get(id(service))
    if worker is None or not worker.alive:
        worker = _FOLLOWERS[id(service)] = follower(service).start()
    return worker


def stop_following(service: Leadstate) -> None:
    """Stop following (another service may take over)."""
    worker = _FOLLOWERS.pop(id(service), None)
    if worker is not None:
        worker.stop()


def close_service(service: Leadstate) -> None:
    """Stop what follows for it, then close it."""
    stop_following(service)
    service.close()


@pytest.fixture
def app(settings: Settings) -> Iterator[Leadstate]:
    """A fresh service on the parametrised backend."""
    service = open_service(settings)
    yield service
    close_service(service)


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Leadstate]]:
    """A factory of services on the parametrised backend's database, with `extra`
    settings (e.g. `batch_size=1`); every service it made is closed afterwards."""
    made: list[Leadstate] = []

    def factory(**extra: Any) -> Leadstate:
        service = open_service(settings.model_copy(update=extra))
        made.append(service)
        return service

    yield factory
    for service in made:
        close_service(service)


def wired(
    action: str, params: dict[str, Any] | None, criteria: dict[str, Any] | None
) -> tuple[LeadAction, ActionParams, SearchCriteria]:
    """A lead action's request as the API parses it: (action, params, criteria)."""
    chosen = LeadAction.parse(action)
    return chosen, parse_params(chosen, params), parse_criteria(criteria)
