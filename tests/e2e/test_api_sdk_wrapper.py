"""RingCentral's SDK wrapper (`engagevoice-sdk-wrapper`, `engagevoice.sdk_wrapper.RestClient`)
against a running `leadstate serve`, unchanged: legacy mode sends `X-Auth-Token`, and
`setAccessToken` first reads `GET /voice/api/v1/admin/accounts` for `[0]["accountId"]`."""

from __future__ import annotations

import httpx
import pytest
from engagevoice.sdk_wrapper import RestClient

from tests.e2e.support import PREFIX, Server, create_key, new_account, row

pytestmark = pytest.mark.slow


def test_the_sdk_wrapper_starts_loads_searches_and_acts(server: Server) -> None:
    account = new_account()
    token = create_key(server.env, str(account), "leads:read", "leads:write", cwd=server.cwd)
    client = RestClient()  # legacy mode: X-Auth-Token on every call
    client.serverUrl = f"{server.base_url}/voice/api/v1/"

    accounts = client.setAccessToken(token)

    assert accounts == [{"accountId": str(account), "accountName": str(account)}]
    assert client.getAccountId() == str(account)
    loaded = client.post(
        "admin/accounts/~/campaigns/8/leadLoader/direct",
        {"uploadLeads": [row(firstName="Wrapped"), row()], "description": "via the wrapper"},
    )
    assert loaded["leadsInserted"] == 2
    found = client.post("admin/accounts/~/campaignLeads/leadSearch", {"campaignIds": [8]})
    assert [lead["leadId"] for lead in found] == loaded["leadIds"]
    result = client.put(
        "admin/accounts/~/campaignLeads/actions?leadAction=CANCEL_LEADS",
        {"campaignLeadSearchCriteria": {"leadIds": loaded["leadIds"][:1]}},
    )
    assert (result["success"], result["leadUpdateCount"]) == (True, 1)
    states = client.get("admin/accounts/~/campaignLeads/leadStates")
    assert "CANCELLED" in states
    cancelled = client.post(
        "admin/accounts/~/campaignLeads/leadSearch", {"leadStates": ["CANCELLED"]}
    )
    assert [lead["leadId"] for lead in cancelled] == loaded["leadIds"][:1]


def test_accounts_lists_what_the_key_may_use(server: Server) -> None:
    account = new_account()
    bound = create_key(server.env, str(account), "leads:read", cwd=server.cwd)
    url = f"{server.base_url}/voice/api/v1/admin/accounts"

    listed = httpx.get(url, headers={"X-Auth-Token": bound})
    assert listed.status_code == 200, listed.text
    assert listed.json() == [{"accountId": str(account), "accountName": str(account)}]
    headers = {"Authorization": f"Bearer {server.tokens['admin']}"}
    httpx.post(
        f"{server.base_url}{PREFIX}/{account + 1}/campaigns/1/leadLoader/direct",
        json={"uploadLeads": [row()]},
        headers=headers,
    ).raise_for_status()
    every = [a["accountId"] for a in httpx.get(url, headers=headers).json()]
    assert {str(account), str(account + 1)} <= set(every)
    assert every == sorted(every, key=int)
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"X-Auth-Token": "lsk_nope"}).status_code == 401


def test_x_auth_token_works_wherever_bearer_does_with_the_same_order_of_checks(
    server: Server,
) -> None:
    account = new_account()
    reader = create_key(server.env, str(account), "leads:read", cwd=server.cwd)
    base = f"{server.base_url}{PREFIX}/{account}"
    search = f"{base}/campaignLeads/leadSearch"

    assert httpx.post(search, json={}, headers={"X-Auth-Token": reader}).status_code == 200
    assert httpx.get(f"{server.base_url}/me", headers={"X-Auth-Token": reader}).status_code == 200
    other = f"{server.base_url}{PREFIX}/{account + 1}/campaignLeads/leadSearch"
    assert httpx.post(other, json={}, headers={"X-Auth-Token": reader}).status_code == 404
    act = httpx.put(
        f"{base}/campaignLeads/actions",
        params={"leadAction": "CANCEL_LEADS"},
        json={"campaignLeadSearchCriteria": {"leadIds": [1]}},
        headers={"X-Auth-Token": reader},
    )
    assert act.status_code == 403
    assert httpx.post(search, json={}, headers={"X-Auth-Token": "lsk_nope"}).status_code == 401
    same = {"X-Auth-Token": reader, "Authorization": f"Bearer {reader}"}
    assert httpx.post(search, json={}, headers=same).status_code == 200
    both = {"X-Auth-Token": reader, "Authorization": f"Bearer {server.tokens['admin']}"}
    conflicting = httpx.post(search, json={}, headers=both)
    assert conflicting.status_code == 401
    assert "different" in conflicting.json()["error"]["message"]
