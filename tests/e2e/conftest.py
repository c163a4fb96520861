"""Fixtures of the HTTP tests: a real `leadstate serve` per backend, and an in-process client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.backends import (  # noqa: F401 - the backend fixtures, for suites that use them
    PG_URL,
    app,
    backend,
    make_app,
    make_settings,
    open_service,
    pg_schema,
    require_postgres,
    settings,
)
from tests.e2e.support import (
    ALL_SCOPES,
    Api,
    Server,
    create_key,
    fresh_database,
    new_account,
    start_server,
)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """`leadstate serve` on a fresh database of each backend, with an all-scope `*` key.

    Shared by every test of the session (each test uses accounts of its own), so the
    schema is made here the way the `pg_schema` fixture makes it (that one lives per
    test)."""
    workdir = tmp_path_factory.mktemp(f"serve-{request.param}")
    with fresh_database(request.param, workdir) as env:
        token = create_key(env, "*", *ALL_SCOPES, cwd=workdir)
        running = start_server(env, workdir)
        running.tokens["admin"] = token
        try:
            yield running
        finally:
            running.stop()


@pytest.fixture
def api(server: Server) -> Iterator[Api]:
    """A client of a fresh account of the running server (all scopes)."""
    client = Api(server.base_url, server.tokens["admin"], new_account())
    yield client
    client.close()
