"""Schemathesis against the service's own `/openapi.json`, in-process (ASGI), with a
valid all-scope key: valid and invalid requests to every operation; no response may be a
server error (5xx), use an undocumented status or content type, or break its schema.

Bounded and deterministic (a fixed number of examples per operation, derandomized), on a
SQLite file holding a few leads so that lead routes find something.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from leadstate.api import create_app
from tests.backends import make_settings, open_service
from tests.e2e.support import ALL_SCOPES, PREFIX

pytestmark = pytest.mark.slow

EXAMPLES = 12
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
AUTH: dict[str, str] = {}


def row(n: int) -> dict[str, Any]:
    """A lead to load."""
    return {"externId": f"s{n}", "leadPhone": f"212555{n:04d}", "firstName": f"F{n}"}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """The schema of an app on a fresh SQLite file, with leads 1 to 10 in account 1."""
    workdir: Path = tmp_path_factory.mktemp("schemathesis")
    config = make_settings("sqlite", workdir)
    application = open_service(config)
    try:
        _, token = application.api_keys.create("*", ALL_SCOPES)
    finally:
        application.close()
    AUTH["Authorization"] = f"Bearer {token}"
    app = create_app(config)
    with TestClient(app) as client:
        for campaign in (1, 2):
            loaded = client.post(
                f"{PREFIX}/1/campaigns/{campaign}/leadLoader/direct",
                headers=AUTH,
                json={"uploadLeads": [row(n + 5 * campaign) for n in range(5)]},
            )
            assert loaded.status_code == 200, loaded.text
    yield schemathesis.openapi.from_asgi("/openapi.json", app)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_error_and_every_response_matches_the_schema(case: Any) -> None:
    pin_to_data(case)
    case.call_and_validate(headers=AUTH, checks=CHECKS)


def pin_to_data(case: Any) -> None:
    """Point the request at accounts, campaigns and leads that exist (random ids would
    mostly get 404s before reaching any handler); invalid values are left as they are."""
    params = dict(case.path_parameters or {})
    if "accountId" in params:
        params["accountId"] = "1"
    for name, modulo in (("leadId", 10), ("campaignId", 2)):
        value = params.get(name)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            params[name] = value % modulo + 1
    if params:
        case.path_parameters = params
