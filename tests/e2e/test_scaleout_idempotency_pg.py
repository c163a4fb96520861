"""Two `leadstate serve` processes on one PostgreSQL schema (issue 7: hardening).

- 8 threads x 50 manual passes on ONE lead, spread over both processes: every request
  answers 200 and the lead ends with exactly 400 passes (optimistic concurrency, retried);
- an `Idempotency-Key` retry sent to the other process gets the first answer and applies
  nothing; one sent while the first still runs waits for it; the same key with another
  body is a 409; a 202 is replayed with the same job and `Location`.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.e2e.support import (
    ALL_SCOPES,
    PREFIX,
    Server,
    create_key,
    fresh_database,
    row,
    start_server,
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

THREADS = 8
PASSES_PER_THREAD = 50
MANUAL = {"PASS_DISPOSITION": "CALLBACK", "REQUEUE": True}


@dataclass
class Pair:
    """Two servers on one schema, and an all-scope token for every account."""

    servers: tuple[Server, Server]
    token: str

    def client(self, index: int) -> httpx.Client:
        """A client of server `index` (0 or 1)."""
        return httpx.Client(
            base_url=self.servers[index].base_url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=120,
        )


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    """Two `leadstate serve` on a fresh schema (the default LEADSTATE_BULK_SYNC_LIMIT)."""
    workdir = tmp_path_factory.mktemp("hardening-pg")
    with fresh_database("postgres", workdir) as env:
        token = create_key(env, "*", *ALL_SCOPES, cwd=workdir)
        started = [start_server(env, workdir), start_server(env, workdir)]
        try:
            yield Pair((started[0], started[1]), token)
        finally:
            for server in started:
                server.stop()


def account_path(account: int, rest: str) -> str:
    """`rest` under the account prefix."""
    return f"{PREFIX}/{account}{rest}"


def load(client: httpx.Client, account: int, rows: list[dict[str, Any]], **headers: str) -> Any:
    """Load rows into campaign 1; the response."""
    return client.post(
        account_path(account, "/campaigns/1/leadLoader/direct"),
        json={"uploadLeads": rows},
        headers=headers,
    )


def manual_pass(
    client: httpx.Client, account: int, lead_id: int, params: dict[str, Any], **headers: str
) -> httpx.Response:
    """One MANUAL_LEADS on one lead."""
    return client.put(
        account_path(account, "/campaignLeads/actions"),
        params={"leadAction": "MANUAL_LEADS"},
        json={
            "campaignLeadSearchCriteria": {"leadIds": [lead_id]},
            "leadActionParams": {"paramMap": params},
        },
        headers=headers,
    )


def passes(client: httpx.Client, account: int, lead_id: int) -> int:
    """The lead's `leadPasses`."""
    response = client.get(account_path(account, f"/campaignLeads/{lead_id}"))
    assert response.status_code == 200, response.text
    return int(response.json()["leadPasses"])


def test_concurrent_manual_passes_on_one_lead_across_two_processes_lose_nothing(
    pair: Pair,
) -> None:
    account = 9_000_001
    with pair.client(0) as first:
        loaded = load(first, account, [row()])
        assert loaded.status_code == 200, loaded.text
        lead_id = loaded.json()["leadIds"][0]
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        clients = (pair.client(0), pair.client(1))
        try:
            for n in range(PASSES_PER_THREAD):
                response = manual_pass(clients[(index + n) % 2], account, lead_id, MANUAL)
                with lock:
                    statuses[response.status_code] += 1
                    if response.status_code != 200 or response.json()["leadUpdateCount"] != 1:
                        failures.append(f"{response.status_code} {response.text[:300]}")
        finally:
            for client in clients:
                client.close()

    started = time.monotonic()
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(worker, range(THREADS)))
    took = time.monotonic() - started
    assert failures == [], (statuses, failures[:5])
    assert statuses == {200: THREADS * PASSES_PER_THREAD}
    with pair.client(1) as second:
        assert passes(second, account, lead_id) == THREADS * PASSES_PER_THREAD
    print(f"{THREADS * PASSES_PER_THREAD} contended passes in {took:.1f} s")


def test_a_retry_reaching_the_other_process_gets_the_first_answer_and_applies_nothing(
    pair: Pair,
) -> None:
    account = 9_000_002
    with pair.client(0) as first, pair.client(1) as second:
        lead_id = load(first, account, [row()]).json()["leadIds"][0]
        key = {"Idempotency-Key": f"pass-{uuid.uuid4().hex}"}
        answer = manual_pass(first, account, lead_id, MANUAL, **key)
        assert answer.status_code == 200, answer.text
        retried = manual_pass(second, account, lead_id, MANUAL, **key)
        assert retried.status_code == 200, retried.text
        assert retried.json() == answer.json()
        assert retried.headers["Idempotent-Replayed"] == "true"
        assert passes(second, account, lead_id) == 1

        other_body = manual_pass(second, account, lead_id, {**MANUAL, "REQUEUE": False}, **key)
        assert other_body.status_code == 409, other_body.text
        assert "different request" in other_body.json()["error"]["message"]
        assert passes(first, account, lead_id) == 1


def test_a_retry_while_the_first_still_runs_waits_for_its_answer(pair: Pair) -> None:
    account = 9_000_003
    rows = [row(firstName=f"W{i}") for i in range(3000)]
    key = {"Idempotency-Key": f"load-{uuid.uuid4().hex}"}
    answers: dict[int, httpx.Response] = {}

    def send(index: int) -> None:
        if index == 1:
            time.sleep(0.3)  # the first has claimed the key and is loading
        with pair.client(index) as client:
            answers[index] = load(client, account, rows, **key)

    with ThreadPoolExecutor(2) as pool:
        list(pool.map(send, (0, 1)))
    assert answers[0].status_code == 200, answers[0].text
    assert answers[1].status_code == 200, answers[1].text
    assert answers[1].json() == answers[0].json()
    assert answers[1].headers.get("Idempotent-Replayed") == "true"
    with pair.client(0) as client:
        found = client.post(
            account_path(account, "/campaignLeads/leadSearch"),
            params={"count": "true"},
            json={"campaignIds": [1]},
        )
        assert found.json() == {"count": 3000}

        # Above LEADSTATE_BULK_SYNC_LIMIT: a 202 job, replayed with the same job.
        job_key = {"Idempotency-Key": f"job-{uuid.uuid4().hex}"}
        body = {"campaignLeadSearchCriteria": {"campaignIds": [1]}}
        path = account_path(account, "/campaignLeads/actions")
        accepted = client.put(
            path, params={"leadAction": "SUPPRESS_LEADS"}, json=body, headers=job_key
        )
        assert accepted.status_code == 202, accepted.text
    with pair.client(1) as other:
        again = other.put(path, params={"leadAction": "SUPPRESS_LEADS"}, json=body, headers=job_key)
        assert again.status_code == 202, again.text
        assert again.headers["Location"] == accepted.headers["Location"]
        assert again.json()["jobId"] == accepted.json()["jobId"]
