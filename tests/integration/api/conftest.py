"""In-process HTTP suites: the API over a TestClient (no server process)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from leadstate.api import create_app
from leadstate.application.bootstrap import Leadstate
from tests.backends import make_settings, open_service


@dataclass
class Local:
    """The API in-process (TestClient) and the application on the same database."""

    client: TestClient
    app: Leadstate


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    """A TestClient over `create_app` on a fresh SQLite file; 500s come back as responses."""
    settings = make_settings("sqlite", tmp_path)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        application = open_service(settings)
        try:
            yield Local(client, application)
        finally:
            application.close()
