"""Bulk jobs over HTTP: 202 + Location, progress, and surviving a SIGKILL (SPEC §6, §7)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backends import PG_URL
from tests.e2e.support import (
    ALL_SCOPES,
    Api,
    create_key,
    new_account,
    row,
    server_env,
    start_server,
)

LEADS = 400


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def job_env(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """A server environment whose jobs run in small, slow batches."""
    settings = {
        "LEADSTATE_BULK_SYNC_LIMIT": "10",
        "LEADSTATE_BATCH_SIZE": "20",
        "LEADSTATE_JOB_BATCH_PAUSE_MS": "100",
        "LEADSTATE_JOB_LEASE_SECONDS": "2",
    }
    if request.param == "postgres":
        schema = request.getfixturevalue("pg_schema")
        yield server_env(PG_URL, schema, **settings)
    else:
        yield server_env(str(tmp_path / "leadstate.db"), **settings)


def wait_for_job(api: Api, location: str, done: bool, timeout: float = 120) -> dict[str, object]:
    """Poll the job until it is done (or, with done=False, until it is half-way)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.http.get(location).json()
        if done and job["status"] == "done":
            return dict(job)
        if not done and 0 < job["processed"] < job["total"]:
            return dict(job)
        time.sleep(0.05)
    raise AssertionError(f"job at {location} did not get there: {job}")


def test_large_selection_answers_202_with_location_and_job(
    job_env: dict[str, str], tmp_path: Path
) -> None:
    token = create_key(job_env, "*", *ALL_SCOPES, cwd=tmp_path)
    server = start_server(job_env, tmp_path)
    api = Api(server.base_url, token, new_account())
    try:
        api.load(7, [row() for _ in range(30)])
        response = api.action_response("PAUSE_LEADS", {"campaignIds": [7]})
        assert response.status_code == 202, response.text
        body = response.json()
        assert body["success"] is True and body["leadActionType"] == "PAUSE_LEADS"
        assert body["jobId"] == body["job"]["jobId"] and body["total"] == 30
        location = response.headers["Location"]
        assert location.endswith(f"/accounts/{api.account}/jobs/{body['jobId']}")
        job = wait_for_job(api, location, done=True)
        assert job["processed"] == 30
        assert job["result"] == {
            "success": True,
            "leadUpdateCount": 30,
            "leadDeleteCount": 0,
            "redialDeleteCount": 0,
            "dialerRefreshed": False,
            "leadActionType": "PAUSE_LEADS",
        }
        assert {lead["leadState"] for lead in api.search({"campaignIds": [7]})} == {"PAUSED"}
        small = api.action_response("READY_LEADS", {"leadIds": [api.search()[0]["leadId"]]})
        assert small.status_code == 200
        other = Api(server.base_url, token, new_account())
        assert other.http.get(other.path(f"/jobs/{body['jobId']}")).status_code == 404
        other.close()
    finally:
        api.close()
        server.stop()


def test_sigkilled_server_resumes_job_without_double_or_missed_passes(
    job_env: dict[str, str], tmp_path: Path
) -> None:
    token = create_key(job_env, "*", *ALL_SCOPES, cwd=tmp_path)
    server = start_server(job_env, tmp_path)
    api = Api(server.base_url, token, new_account())
    try:
        ids = api.load(3, [row() for _ in range(LEADS)])["leadIds"]
        response = api.action_response(
            "MANUAL_LEADS", {"campaignIds": [3]}, {"PASS_DISPOSITION": "BULK", "REQUEUE": "true"}
        )
        assert response.status_code == 202, response.text
        location = response.headers["Location"]
        half = wait_for_job(api, location, done=False)
        server.process.kill()
        server.process.wait(timeout=30)
        assert 0 < int(str(half["processed"])) < LEADS

        server = start_server(job_env, tmp_path)
        api.close()
        api = Api(server.base_url, token, api.account)
        job = wait_for_job(api, location, done=True)
        assert job["processed"] == LEADS
        assert job["result"]["leadUpdateCount"] == LEADS  # type: ignore[index]
        passes = {lead["leadId"]: lead["leadPasses"] for lead in api.search(maxRows=1000)}
        assert set(passes) == set(ids)
        assert set(passes.values()) == {1}, {k: v for k, v in passes.items() if v != 1}
    except httpx.HTTPError:
        raise
    finally:
        api.close()
        server.stop()
