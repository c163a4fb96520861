"""Shared fixtures: an application per backend (SQLite always, PostgreSQL when reachable)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

from leadstate.application import LeadstateApp
from leadstate.settings import Settings

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


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    """Each integration test runs once per backend."""
    return str(request.param)


@pytest.fixture
def settings(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    """Settings for the parametrised backend."""
    schema = request.getfixturevalue("pg_schema") if backend == "postgres" else None
    return make_settings(backend, tmp_path, schema)


@pytest.fixture
def app(settings: Settings) -> Iterator[LeadstateApp]:
    """A fresh application on the parametrised backend."""
    application = LeadstateApp(settings)
    yield application
    application.close()


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., LeadstateApp]]:
    """A factory of applications on the parametrised backend's database, with `extra`
    settings (e.g. `batch_size=1`); every application it made is closed afterwards."""
    made: list[LeadstateApp] = []

    def factory(**extra: Any) -> LeadstateApp:
        application = LeadstateApp(settings.model_copy(update=extra))
        made.append(application)
        return application

    yield factory
    for application in made:
        application.close()
