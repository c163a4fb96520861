"""PostgreSQL sessions of the service plan with `LEADSTATE_PG_RANDOM_PAGE_COST` (with the
server's default a campaign's page of leads was read by walking every lead in leadId
order: 100 ms at 200,000 leads instead of 0.3 ms through its index)."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.requests.criteria import parse_criteria
from tests.backends import PG_URL, make_settings, open_service
from tests.integration._support import load, row

pytestmark = pytest.mark.postgres


def _session_cost(service: Leadstate) -> str:
    with service.store.read() as cur:
        cur.execute("SHOW random_page_cost")
        return str(cur.fetchone()["random_page_cost"])


def test_service_sessions_use_the_configured_random_page_cost(
    pg_schema: str, tmp_path: Path
) -> None:
    service = open_service(make_settings("postgres", tmp_path, pg_schema))
    try:
        load(service, [row() for _ in range(3)], campaign=1)
        assert _session_cost(service) == "1.1"
        assert len(service.leads.search(1, parse_criteria({"campaignIds": [1]}))) == 3
        assert _session_cost(service) == "1.1", "a search's connection keeps the setting"
    finally:
        service.close()


def test_an_empty_setting_keeps_the_servers_random_page_cost(
    pg_schema: str, tmp_path: Path
) -> None:
    with psycopg.connect(PG_URL) as conn:
        servers = str(conn.execute("SHOW random_page_cost").fetchone()[0])  # type: ignore[index]
    settings = make_settings("postgres", tmp_path, pg_schema, pg_random_page_cost=None)
    service = open_service(settings)
    try:
        assert _session_cost(service) == servers
    finally:
        service.close()
