"""`leadstate serve` with LEADSTATE_WORKERS processes (SPEC §8): one migration and one
first-start banner, every worker a whole service, none outliving its supervisor."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.e2e.support import Api, fresh_database, new_account, row, start_server
from tests.e2e.test_jobs_http import wait_for_job

pytestmark = pytest.mark.slow


def _children(pid: int) -> list[int]:
    """The worker processes of `pid` (not multiprocessing's resource tracker)."""
    with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as listing:
        children = [int(p) for p in listing.read().split()]
    return [c for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_two_worker_processes_serve_one_database_and_run_a_job_exactly_once(
    backend: str, tmp_path: Path
) -> None:
    with fresh_database(backend, tmp_path) as env:
        env |= {"LEADSTATE_WORKERS": "2", "LEADSTATE_BULK_SYNC_LIMIT": "10"}
        server = start_server(env, tmp_path)
        try:
            output = server.output()
            assert output.count("First start: an admin API key") == 1, output
            token = next(w for w in output.split() if w.startswith("lsk_"))
            deadline = time.monotonic() + 30
            while len(_children(server.process.pid)) < 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            workers = _children(server.process.pid)
            assert len(workers) == 2, workers
            api = Api(server.base_url, token, new_account())
            ids = api.load(5, [row() for _ in range(120)])["leadIds"]
            response = api.action_response(
                "MANUAL_LEADS", {"campaignIds": [5]}, {"PASS_DISPOSITION": "BULK"}
            )
            assert response.status_code == 202, response.text
            job = wait_for_job(api, response.headers["Location"], done=True)
            assert job["processed"] == 120
            passes = {lead["leadId"]: lead["leadPasses"] for lead in api.search(maxRows=1000)}
            assert set(passes) == set(ids) and set(passes.values()) == {1}
            api.close()
            server.process.kill()  # the supervisor dies without a word to its workers
            server.process.wait(timeout=30)
            deadline = time.monotonic() + 30
            while any(_alive(w) for w in workers) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert not any(_alive(w) for w in workers)
        finally:
            server.stop()
