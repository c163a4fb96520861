"""No 500 for bad input: random JSON in every field of every route's body, and random query
values, get a 2xx or a 4xx error body, never a server fault (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadstate.api import create_app
from leadstate.settings import Settings
from tests.backends import open_service
from tests.e2e.support import ALL_SCOPES, PREFIX

P = f"{PREFIX}/1"

ODD_TEXT = st.sampled_from(["", " ", "\x00", "\ud800", "a\u0000b", "9" * 40, "-1", "1e9", "null"])
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**64), 10**30])
    | st.floats(allow_nan=False)
    | st.text(max_size=12)
    | ODD_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)

LEAD_FIELDS = [
    "externId", "leadPhone", "firstName", "zip", "email", "extendedLeadData", "leadPriority",
    "maxPasses", "leadTimezone", "callerId", "leadState", "suppressed", "leadId",
]  # fmt: skip
CRITERIA_FIELDS = [
    "leadIds", "externIds", "campaignIds", "listIds", "leadPhoneNumbers", "leadStates",
    "agentDispositions", "systemDispositions", "physicalStates", "leadTimezones", "firstName",
    "emailAddress", "leadPhoneNum", "suppressed", "agentId", "pendingAgentId",
    "leadPassesCriteria", "lastPassTimeCriteria", "nextDialTimeCriteria", "loadedDtsStart",
    "loadedDtsEnd", "orphanedLeadsOnly",
]  # fmt: skip
PARAMS = [
    "PASS_DISPOSITION", "REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL", "PASS_DELAY", "CAMPAIGN_ID",
    "LIST_ID", "LIST_NAME", "CREATE_COPY_SETTING", "DUPLICATE_ACTION_SETTING", "ACTION_TYPE",
    "RESERVATION_AGENT_ID", "CALLBACK_DATE", "EMAIL_TO", "force_dialer_cache_refresh",
]  # fmt: skip
ACTIONS = [
    "RESET_LEADS", "READY_LEADS", "CANCEL_LEADS", "PAUSE_LEADS", "SUPPRESS_LEADS",
    "UNSUPPRESS_LEADS", "MANUAL_LEADS", "MOVE_TO_CAMPAIGN", "CALLBACK_LEADS",
    "AGENT_RESERVATION", "EMAIL_LEADS", "DIALER_REFRESH", "delete_leads",
]  # fmt: skip
LOAD_FIELDS = [
    "description",
    "duplicateHandling",
    "timeZoneOption",
    "dialPriority",
    "listState",
    "listId",
]


@pytest.fixture
def client(settings: Settings) -> Iterator[tuple[TestClient, dict[str, str], int]]:
    """The API on the parametrised backend, an all-scope key for account 1, and a lead."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
        application = open_service(settings)
        try:
            _, token = application.api_keys.create(1, ALL_SCOPES)
        finally:
            application.close()
        headers = {"Authorization": f"Bearer {token}"}
        loaded = test_client.post(
            f"{P}/campaigns/5/leadLoader/direct",
            headers=headers,
            json={"uploadLeads": [{"externId": "r", "leadPhone": "2125550123"}]},
        )
        assert loaded.status_code == 200, loaded.text
        yield test_client, headers, int(loaded.json()["leadIds"][0])


def request_for(draw: st.DrawFn, lead_id: int) -> tuple[str, str, dict[str, Any], Any]:
    """A request to a random route with one random value in a random field."""
    value = draw(JSON)
    route = draw(st.sampled_from(["load", "search", "phones", "action", "edit", "settings", "get"]))
    if route == "load":
        row: dict[str, Any] = {"externId": "x", "leadPhone": "2125550124"}
        body: dict[str, Any] = {"uploadLeads": [row]}
        if draw(st.booleans()):
            row[draw(st.sampled_from(LEAD_FIELDS))] = value
        else:
            body[draw(st.sampled_from([*LOAD_FIELDS, "uploadLeads"]))] = value
        return "POST", f"{P}/campaigns/5/leadLoader/direct", {}, body
    if route == "search":
        query = {
            draw(st.sampled_from(["page", "maxRows", "sort", "count"])): draw(st.text(max_size=8))
        }
        return (
            "POST",
            f"{P}/campaignLeads/leadSearch",
            query,
            {draw(st.sampled_from(CRITERIA_FIELDS)): value},
        )
    if route == "phones":
        key = draw(st.sampled_from(["phoneList", "campaignIds"]))
        return (
            "POST",
            f"{P}/campaignLeads/leadSearchByPhoneList",
            {},
            {"phoneList": ["2125550123"], key: value},
        )
    if route == "action":
        criteria = {"leadIds": [lead_id], draw(st.sampled_from(CRITERIA_FIELDS)): value}
        params = {draw(st.sampled_from(PARAMS)): draw(JSON)}
        query = {"leadAction": draw(st.sampled_from(ACTIONS))}
        body = {"campaignLeadSearchCriteria": criteria, "leadActionParams": {"paramMap": params}}
        return "PUT", f"{P}/campaignLeads/actions", query, body
    if route == "edit":
        method = draw(st.sampled_from(["PATCH", "PUT"]))
        return (
            method,
            f"{P}/campaignLeads/{lead_id}",
            {},
            {draw(st.sampled_from(LEAD_FIELDS)): value},
        )
    if route == "settings":
        return (
            "PUT",
            f"{P}/campaigns/5/settings",
            {},
            {"maxPasses": value, "passDelayMin": draw(JSON)},
        )
    query = {draw(st.sampled_from(["version", "asOf"])): draw(st.text(max_size=12))}
    return "GET", f"{P}/campaignLeads/{lead_id}", query, None


@settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_values_in_any_field_never_cause_a_500(
    client: tuple[TestClient, dict[str, str], int], data: st.DataObject
) -> None:
    test_client, headers, lead_id = client
    method, path, query, body = request_for(data.draw, lead_id)
    response = test_client.request(
        method,
        path,
        params=query,
        content=None if body is None else json.dumps(body),
        headers={**headers, "Content-Type": "application/json"},
    )
    assert response.status_code < 500, (method, path, query, body, response.text)
    if response.status_code >= 400:
        error = response.json()["error"]
        assert set(error) == {"code", "message"}
        assert "expired" not in error["message"].lower()
