"""The vendor's own Python SDK against a running `leadstate serve`: it loads, searches and
acts unchanged (paths without `/voice`, which the SDK prepends)."""

from __future__ import annotations

import pytest
from ringcentral_engage_voice import RingCentralEngageVoice

from tests.e2e.support import Server, new_account, row

pytestmark = pytest.mark.slow


@pytest.fixture
def sdk(server: Server) -> RingCentralEngageVoice:
    """The SDK pointed at the server, holding the admin key as its access token."""
    client = RingCentralEngageVoice(server=server.base_url)
    client.token = {"accessToken": server.tokens["admin"]}
    return client


def test_vendor_sdk_loads_searches_and_cancels_leads(sdk: RingCentralEngageVoice) -> None:
    base = f"/api/v1/admin/accounts/{new_account()}"
    loaded = sdk.post(
        f"{base}/campaigns/9/leadLoader/direct",
        json={
            "uploadLeads": [row(firstName="Sdk"), row(), {"externId": "no phone"}],
            "description": "via sdk",
            "duplicateHandling": "RETAIN_ALL",
            "timeZoneOption": "NOT_APPLICABLE",
            "dialPriority": "NORMAL",
        },
    ).json()
    assert (loaded["leadsInserted"], len(loaded["rejectedRows"])) == (2, 1)

    found = sdk.post(
        f"{base}/campaignLeads/leadSearch",
        json={"campaignIds": [9]},
        params={"page": 0, "maxRows": 50},
    ).json()
    assert [lead["leadId"] for lead in found] == loaded["leadIds"]

    result = sdk.put(
        f"{base}/campaignLeads/actions",
        json={
            "campaignLeadSearchCriteria": {"leadIds": loaded["leadIds"][:1]},
            "leadActionParams": {"paramMap": {}},
        },
        params={"leadAction": "CANCEL_LEADS"},
    ).json()
    assert (result["success"], result["leadUpdateCount"]) == (True, 1)

    cancelled = sdk.post(
        f"{base}/campaignLeads/leadSearch",
        json={"campaignIds": [9], "leadStates": ["CANCELLED"]},
        params={"page": 0, "maxRows": 50},
    ).json()
    assert [lead["leadId"] for lead in cancelled] == loaded["leadIds"][:1]

    counted = sdk.post(
        f"{base}/campaignLeads/leadSearch", json={"campaignIds": [9]}, params={"count": "true"}
    ).json()
    assert counted == {"count": 2}


def test_vendor_sdk_reads_states_dispositions_and_searches_by_phone_file(
    sdk: RingCentralEngageVoice,
) -> None:
    base = f"/api/v1/admin/accounts/{new_account()}"
    lead = row()
    sdk.post(f"{base}/campaigns/9/leadLoader/direct", json={"uploadLeads": [lead]})
    assert "READY" in sdk.get(f"{base}/campaignLeads/leadStates").json()
    assert "ANSWER" in sdk.get(f"{base}/campaignLeads/systemDispositions").json()
    by_file = sdk.post(
        f"{base}/campaignLeads/leadSearchByPhoneList",
        files={"file": ("phones.txt", f"{lead['leadPhone']}\n".encode())},
    ).json()
    assert [found["externId"] for found in by_file] == [lead["externId"]]


def test_vendor_sdk_sees_a_400_without_a_token_refresh(sdk: RingCentralEngageVoice) -> None:
    base = f"/api/v1/admin/accounts/{new_account()}"
    with pytest.raises(Exception, match="HTTP status code: 400") as raised:
        sdk.put(
            f"{base}/campaignLeads/actions",
            json={"campaignLeadSearchCriteria": {"campaignIds": [9]}},
            params={"leadAction": "MANUAL_LEADS"},
        )
    assert "PASS_DISPOSITION" in str(raised.value)


def test_vendor_sdk_with_a_bad_token_gets_401_and_no_refresh(server: Server) -> None:
    client = RingCentralEngageVoice(server=server.base_url)
    client.token = {"accessToken": "lsk_0000000000000000_" + "x" * 43}
    with pytest.raises(Exception, match="HTTP status code: 401") as raised:
        client.get("/api/v1/admin/accounts/1/campaignLeads/leadStates")
    assert "expired" not in str(raised.value)
