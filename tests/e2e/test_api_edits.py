"""Edits say what they cannot do (SPEC §6): every field an edit cannot change and every
vendor query parameter of PATCH/PUT either has its documented effect or is a 400 naming
what to use instead, never accepted and ignored. Also the bounds of a lead's past
(`version`, `asOf`) and EMAIL_TO's items. Both backends, through `leadstate serve`."""

from __future__ import annotations

from typing import Any

import pytest

from leadstate.domain.edits import NOT_EDITABLE
from tests.e2e.support import Api, row, unique_phone

pytestmark = pytest.mark.slow

CAMPAIGN = 41

# One plausible value per not-editable field, as a client would send it.
SAMPLE: dict[str, Any] = {
    "leadState": "READY",
    "leadPasses": 0,
    "suppressed": False,
    "campaignId": 99,
    "listId": 99,
    "nextDialTime": "2030-01-01T00:00:00Z",
    "pendingAgentId": 7,
    "lastPassDts": "2030-01-01T00:00:00Z",
    "lastPassDisposition": "ANSWER",
    "leadId": 5,
    "externId": "X-other",
    "loadedDts": "2030-01-01T00:00:00Z",
    "extraData": "{}",
}


def sample(field: str) -> Any:
    return SAMPLE.get(field, "x")


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
@pytest.mark.parametrize("field", [*sorted(NOT_EDITABLE), "noSuchField"])
def test_edit_of_each_not_editable_field_is_a_400_naming_it_and_changes_nothing(
    api: Api, method: str, field: str
) -> None:
    lead_id = api.load(CAMPAIGN, [row(firstName="Keep", city="Oslo")])["leadIds"][0]
    before = api.lead(lead_id)

    response = api.http.request(
        method,
        api.path(f"/campaignLeads/{lead_id}"),
        json={"firstName": "Changed", field: sample(field)},
    )

    assert response.status_code == 400, response.text
    message = response.json()["error"]["message"]
    assert f"cannot edit {field} (" in message
    if field in ("campaignId", "listId"):
        assert "MOVE_TO_CAMPAIGN" in message
    assert api.lead(lead_id) == before


def test_a_query_parameter_out_of_its_vendor_enum_is_a_400_naming_the_allowed_values(
    api: Api,
) -> None:
    lead_id = api.load(CAMPAIGN, [row()])["leadIds"][0]
    before = api.lead(lead_id)
    url = api.path(f"/campaignLeads/{lead_id}")
    for name, allowed in (
        ("timezoneOption", "NOT_APPLICABLE"),
        ("duplicateHandling", "REMOVE_ALL_EXISTING"),
    ):
        response = api.http.patch(url, params={name: "BOGUS"}, json={"firstName": "X"})
        assert response.status_code == 400, response.text
        assert name in response.json()["error"]["message"]
        assert allowed in response.json()["error"]["message"]
    action = api.http.put(api.path("/campaignLeads/actions"), params={"leadAction": "BOGUS"})
    assert action.status_code == 400 and "CANCEL_LEADS" in action.json()["error"]["message"]
    assert api.lead(lead_id) == before


def test_timezone_option_on_an_edit_has_its_documented_effect(api: Api) -> None:
    lead_id = api.load(CAMPAIGN, [row(leadTimezone="America/Chicago")])["leadIds"][0]
    url = api.path(f"/campaignLeads/{lead_id}")

    explicit = api.http.patch(
        url, params={"timezoneOption": "EXPLICIT"}, json={"leadTimezone": "America/Denver"}
    )
    assert explicit.status_code == 200, explicit.text
    assert api.lead(lead_id)["leadTimezone"] == "America/Denver"

    both = api.http.patch(
        url, params={"timezoneOption": "NOT_APPLICABLE"}, json={"leadTimezone": "Europe/Oslo"}
    )
    assert both.status_code == 400 and "NOT_APPLICABLE" in both.json()["error"]["message"]

    cleared = api.http.patch(url, params={"timezoneOption": "NOT_APPLICABLE"}, json={})
    assert cleared.status_code == 200, cleared.text
    assert "leadTimezone" not in api.lead(lead_id)

    lookup = api.http.patch(url, params={"timezoneOption": "NPA_NXX"}, json={})
    assert lookup.status_code == 400 and "NPA_NXX" in lookup.json()["error"]["message"]


def test_list_id_on_an_edit_must_be_the_leads_own_list(api: Api) -> None:
    loaded = api.load(CAMPAIGN, [row()])
    lead_id, list_id = loaded["leadIds"][0], loaded["listId"]
    url = api.path(f"/campaignLeads/{lead_id}")

    same = api.http.patch(url, params={"listId": list_id}, json={"firstName": "Same"})
    assert same.status_code == 200, same.text
    other = api.http.patch(url, params={"listId": list_id + 1000}, json={"firstName": "Other"})
    assert other.status_code == 400, other.text
    assert "MOVE_TO_CAMPAIGN" in other.json()["error"]["message"]
    assert api.lead(lead_id)["firstName"] == "Same"


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
def test_duplicate_handling_on_an_edit_refuses_a_phone_the_campaign_has(
    api: Api, method: str
) -> None:
    taken = unique_phone()
    first = api.load(CAMPAIGN, [row(leadPhone=taken)])
    other_list = api.load(CAMPAIGN, [row()])
    lead_id = other_list["leadIds"][0]
    url = api.path(f"/campaignLeads/{lead_id}")
    before = api.lead(lead_id)

    refused = api.http.request(
        method, url, params={"duplicateHandling": "REMOVE_ALL_EXISTING"}, json={"leadPhone": taken}
    )
    assert refused.status_code == 409, refused.text
    assert api.lead(lead_id) == before

    in_list = api.http.request(
        method, url, params={"duplicateHandling": "REMOVE_FROM_LIST"}, json={"leadPhone": taken}
    )
    assert in_list.status_code == 200, "the phone is in another list of the campaign"
    assert api.lead(lead_id)["leadPhone"] == taken
    assert first["listId"] != other_list["listId"]

    retained = api.http.request(
        method, url, params={"duplicateHandling": "RETAIN_ALL"}, json={"leadPhone": taken}
    )
    assert retained.status_code == 200, retained.text


def test_a_version_past_the_last_is_a_404_naming_the_last(api: Api) -> None:
    lead_id = api.load(CAMPAIGN, [row()])["leadIds"][0]
    api.act("SUPPRESS_LEADS", {"leadIds": [lead_id]})
    url = api.path(f"/campaignLeads/{lead_id}")

    assert api.http.get(url, params={"version": 2}).json()["suppressed"] is True
    past = api.http.get(url, params={"version": 3})
    assert past.status_code == 404, past.text
    assert "last version is 2" in past.json()["error"]["message"]


def test_as_of_before_the_lead_existed_is_a_404(api: Api) -> None:
    lead_id = api.load(CAMPAIGN, [row()])["leadIds"][0]

    before = api.http.get(
        api.path(f"/campaignLeads/{lead_id}"), params={"asOf": "2001-01-01T00:00:00Z"}
    )

    assert before.status_code == 404, before.text
    assert "did not exist yet" in before.json()["error"]["message"]


@pytest.mark.parametrize(
    "email_to", ["a@example.com,", ",a@example.com", "a@example.com,,b@example.com", " , "]
)
def test_email_to_with_an_empty_item_is_a_400(api: Api, email_to: str) -> None:
    lead_id = api.load(CAMPAIGN, [row()])["leadIds"][0]

    response = api.action_response("EMAIL_LEADS", {"leadIds": [lead_id]}, {"EMAIL_TO": email_to})

    assert response.status_code == 400, response.text
    assert "empty address" in response.json()["error"]["message"]
