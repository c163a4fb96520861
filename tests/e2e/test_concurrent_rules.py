"""Check-then-act rules under concurrency, across two `leadstate serve` processes on
each backend (SPEC §6 REMOVE_ALL_EXISTING, §2 DUPLICATE_ACTION_SETTING IGNORE, §4 UII).

Every round fires its requests at once (a barrier), alternating between the two
processes; each round is repeated, so a check that runs outside the saving transaction
shows up as a second lead, a second move or a second attempt.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
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
    new_account,
    row,
    start_server,
    unique_phone,
)

pytestmark = pytest.mark.slow

CONCURRENT = 6
ROUNDS = 4


@dataclass
class Pair:
    """Two servers on one database, and an all-scope token for every account."""

    servers: tuple[Server, Server]
    token: str

    def clients(self) -> list[httpx.Client]:
        """One client per server."""
        return [
            httpx.Client(
                base_url=s.base_url, headers={"Authorization": f"Bearer {self.token}"}, timeout=120
            )
            for s in self.servers
        ]


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def pair(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Pair]:
    """Two `leadstate serve` processes on a fresh database of each backend."""
    workdir = tmp_path_factory.mktemp(f"rules-{request.param}")
    with fresh_database(request.param, workdir) as env:
        token = create_key(env, "*", *ALL_SCOPES, cwd=workdir)
        started = [start_server(env, workdir), start_server(env, workdir)]
        try:
            yield Pair((started[0], started[1]), token)
        finally:
            for server in started:
                server.stop()


def at_once(pair: Pair, calls: list[Callable[[httpx.Client], httpx.Response]]) -> list[Any]:
    """Run `calls` together (released by one barrier), alternating between the servers;
    each answer as (status, JSON body)."""
    clients = pair.clients()
    barrier = threading.Barrier(len(calls))

    def run(index: int) -> Any:
        barrier.wait()
        response = calls[index](clients[index % 2])
        return response.status_code, response.json()

    try:
        with ThreadPoolExecutor(len(calls)) as pool:
            return list(pool.map(run, range(len(calls))))
    finally:
        for client in clients:
            client.close()


def path(account: int, rest: str) -> str:
    """`rest` under the account prefix."""
    return f"{PREFIX}/{account}{rest}"


def search(pair: Pair, account: int, criteria: dict[str, Any]) -> list[dict[str, Any]]:
    """Every matching lead."""
    with pair.clients()[0] as client:
        response = client.post(
            path(account, "/campaignLeads/leadSearch"), json=criteria, params={"maxRows": 1000}
        )
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def test_concurrent_remove_all_existing_loads_of_one_phone_leave_exactly_one_lead(
    pair: Pair,
) -> None:
    for _round in range(ROUNDS):
        account, phone = new_account(), unique_phone()

        def load(
            client: httpx.Client, account: int = account, phone: str = phone
        ) -> httpx.Response:
            return client.post(
                path(account, "/campaigns/5/leadLoader/direct"),
                json={
                    "uploadLeads": [row(leadPhone=phone)],
                    "duplicateHandling": "REMOVE_ALL_EXISTING",
                },
            )

        answers = at_once(pair, [load] * CONCURRENT)

        assert [status for status, _ in answers] == [200] * CONCURRENT
        inserted = [body["leadsInserted"] for _, body in answers]
        assert sorted(inserted) == [0] * (CONCURRENT - 1) + [1]
        refused = [r["message"] for _, body in answers for r in body["rejectedRows"]]
        assert refused == ["phone already exists in this campaign"] * (CONCURRENT - 1)
        assert len(search(pair, account, {"campaignIds": [5], "leadPhoneNum": phone})) == 1


def test_concurrent_ignore_moves_of_same_phone_leads_move_exactly_one(pair: Pair) -> None:
    for _round in range(ROUNDS):
        account, phone = new_account(), unique_phone()
        with pair.clients()[0] as client:
            loaded = client.post(
                path(account, "/campaigns/5/leadLoader/direct"),
                json={"uploadLeads": [row(leadPhone=phone) for _ in range(CONCURRENT)]},
            ).json()
        lead_ids: list[int] = loaded["leadIds"]
        assert len(lead_ids) == CONCURRENT

        def mover(lead_id: int, account: int = account) -> Callable[[httpx.Client], httpx.Response]:
            def move(client: httpx.Client) -> httpx.Response:
                return client.put(
                    path(account, "/campaignLeads/actions"),
                    params={"leadAction": "MOVE_TO_CAMPAIGN"},
                    json={
                        "campaignLeadSearchCriteria": {"leadIds": [lead_id]},
                        "leadActionParams": {
                            "paramMap": {
                                "CAMPAIGN_ID": 6,
                                "LIST_ID": 0,
                                "LIST_NAME": f"moved {lead_id}",
                                "DUPLICATE_ACTION_SETTING": "IGNORE",
                            }
                        },
                    },
                )

            return move

        answers = at_once(pair, [mover(lead_id) for lead_id in lead_ids])

        assert [status for status, _ in answers] == [200] * CONCURRENT
        assert sorted(body["leadUpdateCount"] for _, body in answers) == [0] * (CONCURRENT - 1) + [
            1
        ]
        reasons = [e["reason"] for _, body in answers for e in body["errors"]]
        assert reasons == ["duplicate phone in target campaign"] * (CONCURRENT - 1)
        assert len(search(pair, account, {"campaignIds": [6]})) == 1
        assert len(search(pair, account, {"campaignIds": [5]})) == CONCURRENT - 1


def test_concurrent_copies_with_ignore_make_exactly_one_copy(pair: Pair) -> None:
    account, phone = new_account(), unique_phone()
    with pair.clients()[0] as client:
        lead_ids = client.post(
            path(account, "/campaigns/5/leadLoader/direct"),
            json={"uploadLeads": [row(leadPhone=phone) for _ in range(CONCURRENT)]},
        ).json()["leadIds"]

    def copier(lead_id: int) -> Callable[[httpx.Client], httpx.Response]:
        def copy(client: httpx.Client) -> httpx.Response:
            return client.put(
                path(account, "/campaignLeads/actions"),
                params={"leadAction": "MOVE_TO_CAMPAIGN"},
                json={
                    "campaignLeadSearchCriteria": {"leadIds": [lead_id]},
                    "leadActionParams": {
                        "paramMap": {
                            "CAMPAIGN_ID": 7,
                            "LIST_ID": 0,
                            "LIST_NAME": "copies",
                            "CREATE_COPY_SETTING": "true",
                            "DUPLICATE_ACTION_SETTING": "IGNORE",
                        }
                    },
                },
            )

        return copy

    answers = at_once(pair, [copier(lead_id) for lead_id in lead_ids])

    assert sorted(body["leadUpdateCount"] for _, body in answers) == [0] * (CONCURRENT - 1) + [1]
    assert len(search(pair, account, {"campaignIds": [7]})) == 1


def test_one_uii_sent_for_two_leads_at_once_is_recorded_once(pair: Pair) -> None:
    for _round in range(ROUNDS):
        account = new_account()
        with pair.clients()[0] as client:
            lead_ids = client.post(
                path(account, "/campaigns/5/leadLoader/direct"),
                json={"uploadLeads": [row() for _ in range(CONCURRENT)]},
            ).json()["leadIds"]
        uii = f"uii-{uuid.uuid4().hex}"

        def dialer(
            lead_id: int, account: int = account, uii: str = uii
        ) -> Callable[[httpx.Client], httpx.Response]:
            def dial(client: httpx.Client) -> httpx.Response:
                return client.post(
                    path(account, f"/campaignLeads/{lead_id}/calls"),
                    json={"uii": uii, "agentId": 3, "systemDisposition": "NOANSWER"},
                )

            return dial

        answers = at_once(pair, [dialer(lead_id) for lead_id in lead_ids])

        statuses = sorted(status for status, _ in answers)
        assert statuses == [200] * 1 + [409] * (CONCURRENT - 1), answers
        with pair.clients()[0] as client:
            calls = client.get(path(account, "/calls"), params={"maxRows": 100}).json()
        assert [c["uii"] for c in calls] == [uii]
