"""The lead loader (SPEC §6 leadLoader/direct) through the application and the read model."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import InvalidRequest, NotFound
from leadstate.requests.loads import parse_load_request
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    OTHER_ACCOUNT,
    OTHER_CAMPAIGN,
    act,
    at,
    count,
    ids,
    lead,
    load,
    meta,
    row,
    search,
)


def test_good_rows_load_ready_into_a_new_list_named_by_the_description(
    app: Leadstate,
) -> None:
    when = at("2030-05-01T12:00:00.250000+00:00")
    rows = [row(firstName=f"F{n}", lastName="Loaded", city="Austin") for n in range(3)]
    result = load(app, rows, when=when, description="spring list")

    assert (result.leads_supplied, result.leads_accepted, result.leads_inserted) == (3, 3, 3)
    assert result.rejected == []
    assert result.list_id is not None
    views = search(app, {"listIds": [result.list_id]})
    assert [v["leadId"] for v in views] == result.lead_ids
    for raw, view in zip(rows, views, strict=True):
        assert view["externId"] == raw["externId"]
        assert view["leadPhone"] == raw["leadPhone"]
        assert view["firstName"] == raw["firstName"]
        assert view["listDesc"] == "spring list"
        assert (view["accountId"], view["campaignId"]) == (ACCOUNT, CAMPAIGN)
        assert view["leadState"] == "READY"
        assert view["leadPasses"] == 0
        assert view["suppressed"] is False
        assert view["pendingAgentId"] is None
        assert view["nextDialTime"] == view["loadedDts"] == when.isoformat()


def test_every_contact_field_is_loaded_and_returned(app: Leadstate) -> None:
    fields = {
        "title": "Dr",
        "firstName": "Ada",
        "midName": "K",
        "lastName": "Byron",
        "suffix": "III",
        "address1": "1 Analytical Way",
        "address2": "Floor 2",
        "city": "London",
        "state": "LDN",
        "zip": "N1 9GU",
        "email": "ada@example.org",
        "leadPhoneE164": "+15552020202",
        "auxPhone": "5553030303",
        "gateKeeper": "Charles",
        "auxData1": "one",
        "auxData2": "two",
        "auxData3": "three",
        "auxData4": "four",
        "auxData5": "five",
    }
    result = load(
        app,
        [row(phone="555-202-0202", callerId="8005550100", maxPasses=7, **fields)],
    )
    (view,) = search(app, {"leadIds": result.lead_ids})
    for name, value in fields.items():
        assert view[name] == value, name
    assert view["callerId"] == "8005550100"
    assert view["maxPasses"] == 7


def test_rejected_rows_carry_their_data_and_reason_while_good_rows_load(
    app: Leadstate,
) -> None:
    bad = {
        "no extern": ({"leadPhone": "5551110001"}, "externId is required"),
        "no phone": ({"externId": "B2"}, "leadPhone is required"),
        "short phone": ({"externId": "B3", "leadPhone": "12-34"}, "is not a phone number"),
        "bad email": (row(email="not-an-email"), "is not an email address"),
        "bad priority": (row(leadPriority="high"), "leadPriority must be a whole number"),
        "bad max passes": (row(maxPasses=0), "maxPasses must be a whole number of 1 or more"),
        "not an object": ("just text", "row is not a JSON object"),
    }
    good = [row(firstName="Good1"), row(firstName="Good2")]
    rows = [good[0], *(raw for raw, _ in bad.values()), good[1]]

    result = load(app, rows)

    assert result.leads_supplied == len(rows)
    assert result.leads_accepted == result.leads_inserted == 2
    assert len(result.rejected) == len(bad)
    for rejected, (raw, reason) in zip(result.rejected, bad.values(), strict=True):
        assert reason in rejected.message
        if isinstance(raw, dict):
            for key, value in raw.items():
                assert f"{key}={value}" in rejected.row_data
        else:
            assert list(rejected.row_data) == [raw]
    assert sorted(v["firstName"] for v in search(app, {"campaignIds": [CAMPAIGN]})) == [
        "Good1",
        "Good2",
    ]


def test_a_request_of_only_bad_rows_loads_nothing_and_creates_no_list(app: Leadstate) -> None:
    result = load(app, [{"externId": "nophone"}], description="empty")
    assert result.leads_inserted == 0
    assert result.list_id is None
    assert count(app, {"campaignIds": [CAMPAIGN]}) == 0


def test_retain_all_keeps_every_duplicate_phone(app: Leadstate) -> None:
    load(app, [row(phone="5552010001", firstName="Existing")])
    result = load(
        app,
        [
            row(phone="(555) 201-0001", firstName="A"),
            row(phone="1 555 201 0001", firstName="B"),
        ],
        duplicate_handling="RETAIN_ALL",
    )
    assert result.leads_inserted == 2
    assert result.rejected == []
    assert len(search(app, {"leadPhoneNum": "5552010001"})) == 3


def test_remove_from_list_drops_later_duplicates_within_the_request(app: Leadstate) -> None:
    load(app, [row(phone="5552010009", firstName="AlreadyThere")])
    result = load(
        app,
        [
            row(phone="555.201.0001", firstName="First"),
            row(phone="5552010002", firstName="Other"),
            row(phone="+1 (555) 201-0001", firstName="Later"),
            row(phone="5552010009", firstName="ExistsOnlyInCampaign"),
        ],
        duplicate_handling="REMOVE_FROM_LIST",
    )
    assert result.leads_inserted == 3
    (rejected,) = result.rejected
    assert rejected.message == "duplicate phone within this request"
    assert "firstName=Later" in rejected.row_data
    names = {v["firstName"] for v in search(app, {"listIds": [result.list_id]})}
    assert names == {"First", "Other", "ExistsOnlyInCampaign"}


def test_remove_all_existing_drops_leads_whose_phone_is_already_in_the_campaign(
    app: Leadstate,
) -> None:
    load(app, [row(phone="5552010001", firstName="InCampaign")])
    load(app, [row(phone="5552010002")], campaign=OTHER_CAMPAIGN)
    load(app, [row(phone="5552010003")], account=OTHER_ACCOUNT)
    gone = load(app, [row(phone="5552010004")])
    act(app, "DELETE_LEADS", {"leadIds": gone.lead_ids})

    result = load(
        app,
        [
            row(phone="1-555-201-0001", firstName="Dup"),
            row(phone="5552010002", firstName="OtherCampaign"),
            row(phone="5552010003", firstName="OtherAccount"),
            row(phone="5552010004", firstName="DeletedBefore"),
        ],
        duplicate_handling="REMOVE_ALL_EXISTING",
    )

    (rejected,) = result.rejected
    assert rejected.message == "phone already exists in this campaign"
    assert "firstName=Dup" in rejected.row_data
    names = {v["firstName"] for v in search(app, {"listIds": [result.list_id]})}
    assert names == {"OtherCampaign", "OtherAccount", "DeletedBefore"}


def test_list_state_paused_loads_the_leads_paused(app: Leadstate) -> None:
    paused = load(app, [row(), row()], list_state="PAUSED")
    ready = load(app, [row()], list_state="ACTIVE")
    assert {v["leadState"] for v in search(app, {"listIds": [paused.list_id]})} == {"PAUSED"}
    assert {v["leadState"] for v in search(app, {"listIds": [ready.list_id]})} == {"READY"}
    assert ids(app, {"leadStates": ["PAUSED"]}) == paused.lead_ids


def test_dial_priority_immediate_is_100_and_normal_keeps_the_leads_own(app: Leadstate) -> None:
    immediate = load(app, [row(leadPriority=5), row()], dial_priority="IMMEDIATE")
    normal = load(app, [row(leadPriority=5), row()], dial_priority="NORMAL")
    assert [v["leadPriority"] for v in search(app, {"leadIds": immediate.lead_ids})] == [100, 100]
    assert [v["leadPriority"] for v in search(app, {"leadIds": normal.lead_ids})] == [5, 0]


def test_list_id_adds_the_leads_to_an_existing_list(app: Leadstate) -> None:
    first = load(app, [row(), row()], description="kept")
    second = load(app, [row(), row()], list_id=first.list_id, description="ignored")
    assert second.list_id == first.list_id
    views = search(app, {"listIds": [first.list_id]})
    assert [v["leadId"] for v in views] == first.lead_ids + second.lead_ids
    assert {v["listDesc"] for v in views} == {"kept"}
    assert {v["listId"] for v in search(app, {"campaignIds": [CAMPAIGN]})} == {first.list_id}


@pytest.mark.parametrize("where", ["unknown list", "other campaign", "other account"])
def test_list_id_must_name_a_list_of_this_campaign_and_account(app: Leadstate, where: str) -> None:
    if where == "unknown list":
        list_id = 999_999
    elif where == "other campaign":
        list_id = load(app, [row()], campaign=OTHER_CAMPAIGN).list_id or 0
    else:
        list_id = load(app, [row()], account=OTHER_ACCOUNT).list_id or 0
    with pytest.raises(NotFound):
        load(app, [row(firstName="Nowhere")], list_id=list_id)
    assert search(app, {"firstName": "Nowhere"}) == []


@pytest.mark.parametrize("option", ["NPA_NXX", "ZIPCODE", "COUNTRY", "npa_nxx"])
def test_time_zone_options_needing_lookup_data_are_invalid_requests(
    app: Leadstate, option: str
) -> None:
    with pytest.raises(InvalidRequest, match="timeZoneOption"):
        load(app, [row(firstName="NotLoaded")], time_zone_option=option)
    assert search(app, {"firstName": "NotLoaded"}) == []


def test_explicit_time_zone_keeps_the_leads_zone_and_not_applicable_drops_it(
    app: Leadstate,
) -> None:
    explicit = load(app, [row(leadTimezone="America/Chicago")], time_zone_option="EXPLICIT")
    absent = load(app, [row(leadTimezone="America/Chicago")], time_zone_option="NOT_APPLICABLE")
    assert lead_zone(app, explicit.lead_ids[0]) == "America/Chicago"
    assert lead_zone(app, absent.lead_ids[0]) is None


def lead_zone(app: Leadstate, lead_id: int) -> str | None:
    zone = app.leads.get_lead(ACCOUNT, lead_id)["leadTimezone"]
    assert zone is None or isinstance(zone, str)
    return zone


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"duplicate_handling": "KEEP_SOME"}, "duplicateHandling"),
        ({"dial_priority": "URGENT"}, "dialPriority"),
        ({"list_state": "SLEEPING"}, "listState"),
        ({"time_zone_option": "MARS"}, "timeZoneOption"),
        ({"list_id": 0}, "listId"),
    ],
)
def test_bad_request_options_are_invalid_requests(
    app: Leadstate, options: dict[str, Any], message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        load(app, [row()], **options)


def test_a_campaign_id_must_be_positive(app: Leadstate) -> None:
    with pytest.raises(InvalidRequest, match="campaignId"):
        app.loading.load_leads(ACCOUNT, 0, parse_load_request([row()]), meta())


def test_more_leads_than_the_request_limit_is_refused(
    make_app: Callable[..., Leadstate],
) -> None:
    small = make_app(max_load_leads=2)
    with pytest.raises(InvalidRequest, match="at most 2 leads"):
        load(small, [row(), row(), row()])
    assert load(small, [row(), row()]).leads_inserted == 2


def test_reserve_agent_reserves_the_lead_and_a_bad_one_counts_as_a_failed_assignment(
    app: Leadstate,
) -> None:
    result = load(
        app,
        [row(reserveAgent="980"), row(reserveAgent=""), row(reserveAgent="bob"), row()],
    )

    assert (result.leads_inserted, result.failed_agent_assignment) == (4, 1)
    reserved = [lead(app, lead_id).get("pendingAgentId") for lead_id in result.lead_ids]
    assert reserved == [980, None, None, None]
