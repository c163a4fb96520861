"""Every lead action of SPEC §2 through `PUT .../campaignLeads/actions` of a running
`leadstate serve`, its effect seen by the next `leadSearch` (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.e2e.support import Api, row

pytestmark = pytest.mark.slow

CAMPAIGN = 11
TARGET = 22


def when(text: str | None) -> datetime:
    """A response time as an aware datetime."""
    assert text is not None
    return datetime.fromisoformat(text)


def loaded(api: Api, count: int = 2, campaign: int = CAMPAIGN, **fields: Any) -> list[int]:
    """Load `count` leads; their ids."""
    result = api.load(campaign, [row(**fields) for _ in range(count)], description="e2e")
    assert result["leadsInserted"] == count
    ids: list[int] = result["leadIds"]
    return ids


def by_id(api: Api, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The leads `ids` as the next search shows them."""
    return {lead["leadId"]: lead for lead in api.search({"leadIds": ids})}


def test_cancel_via_api_is_seen_by_next_search(api: Api) -> None:
    ids = loaded(api)
    result = api.act("CANCEL_LEADS", {"leadIds": ids[:1]})
    assert result["leadUpdateCount"] == 1
    leads = by_id(api, ids)
    assert leads[ids[0]]["leadState"] == "CANCELLED"
    assert leads[ids[1]]["leadState"] == "READY"


def test_pause_via_api_is_seen_by_next_search(api: Api) -> None:
    ids = loaded(api)
    assert api.act("PAUSE_LEADS", {"campaignIds": [CAMPAIGN]})["leadUpdateCount"] == 2
    assert {lead["leadState"] for lead in api.search({"campaignIds": [CAMPAIGN]})} == {"PAUSED"}
    again = api.act("PAUSE_LEADS", {"leadIds": ids})
    assert again["leadUpdateCount"] == 0, "pausing a paused lead is a no-op"


def test_ready_via_api_readies_cancelled_leads_keeping_their_passes(api: Api) -> None:
    ids = loaded(api, 1)
    api.act("MANUAL_LEADS", {"leadIds": ids}, {"PASS_DISPOSITION": "SALE"})
    api.act("CANCEL_LEADS", {"leadIds": ids})
    assert api.act("READY_LEADS", {"leadIds": ids})["leadUpdateCount"] == 1
    lead = api.search({"leadIds": ids})[0]
    assert lead["leadState"] == "READY"
    assert lead["leadPasses"] == 1


def test_reset_via_api_makes_leads_ready_with_no_passes_and_due_now(api: Api) -> None:
    ids = loaded(api, 1)
    api.act("MANUAL_LEADS", {"leadIds": ids}, {"PASS_DISPOSITION": "NO SALE"})
    before = datetime.now(UTC)
    assert api.act("RESET_LEADS", {"leadIds": ids})["leadUpdateCount"] == 1
    lead = api.search({"leadIds": ids})[0]
    assert (lead["leadState"], lead["leadPasses"]) == ("READY", 0)
    assert when(lead["nextDialTime"]) >= before - timedelta(seconds=1)


def test_suppress_and_unsuppress_via_api_change_only_the_flag(api: Api) -> None:
    ids = loaded(api)
    api.act("PAUSE_LEADS", {"leadIds": ids[:1]})
    assert api.act("SUPPRESS_LEADS", {"leadIds": ids})["leadUpdateCount"] == 2
    suppressed = api.search({"campaignIds": [CAMPAIGN], "suppressed": "ONLY_SUPPRESSED"})
    assert sorted(lead["leadId"] for lead in suppressed) == ids
    assert {lead["leadId"]: lead["leadState"] for lead in suppressed} == {
        ids[0]: "PAUSED",
        ids[1]: "READY",
    }
    assert api.act("UNSUPPRESS_LEADS", {"leadIds": ids[1:]})["leadUpdateCount"] == 1
    leads = by_id(api, ids)
    assert (leads[ids[0]]["suppressed"], leads[ids[1]]["suppressed"]) == (True, False)
    assert leads[ids[1]]["leadState"] == "READY"


def test_delete_via_api_removes_leads_from_search_and_counts_them(api: Api) -> None:
    ids = loaded(api, 3)
    result = api.act("DELETE_LEADS", {"leadIds": ids[:2]})
    assert (result["leadDeleteCount"], result["leadUpdateCount"]) == (2, 0)
    assert [lead["leadId"] for lead in api.search({"campaignIds": [CAMPAIGN]})] == ids[2:]
    assert api.http.get(api.path(f"/campaignLeads/{ids[0]}")).status_code == 404


def test_manual_pass_via_api_requeues_completes_or_marks_do_not_call(api: Api) -> None:
    requeued, completed, dnc = loaded(api, 3)
    before = datetime.now(UTC)
    api.act(
        "MANUAL_LEADS",
        {"leadIds": [requeued]},
        {"PASS_DISPOSITION": "CALL BACK", "REQUEUE": "true", "PASS_DELAY": "30"},
    )
    api.act("MANUAL_LEADS", {"leadIds": [completed]}, {"PASS_DISPOSITION": "SALE"})
    api.act("MANUAL_LEADS", {"leadIds": [dnc]}, {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True})
    leads = by_id(api, [requeued, completed, dnc])
    first = leads[requeued]
    assert (first["leadState"], first["leadPasses"]) == ("READY", 1)
    assert first["lastPassDisposition"] == "MANUAL_PASS"
    assert first["agentDisposition"] == first["agentDispostion"] == "CALL BACK"
    assert when(first["nextDialTime"]) >= before + timedelta(minutes=29)
    assert when(first["lastPassDts"]) >= before - timedelta(seconds=1)
    assert leads[completed]["leadState"] == "COMPLETE"
    assert leads[dnc]["leadState"] == "DO-NOT-CALL"


def test_do_not_call_leads_are_skipped_by_ready_and_reported(api: Api) -> None:
    ids = loaded(api)
    api.act("MANUAL_LEADS", {"leadIds": ids[:1]}, {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True})
    api.act("CANCEL_LEADS", {"leadIds": ids[1:]})
    result = api.act("READY_LEADS", {"leadIds": ids})
    assert result["leadUpdateCount"] == 1
    assert result["errors"] == [{"leadId": ids[0], "reason": "do-not-call"}]
    assert str(ids[0]) in result["errorMessage"]
    assert by_id(api, ids)[ids[0]]["leadState"] == "DO-NOT-CALL"


def test_move_to_campaign_via_api_moves_leads_into_a_new_list(api: Api) -> None:
    ids = loaded(api)
    result = api.act(
        "MOVE_TO_CAMPAIGN",
        {"leadIds": ids},
        {"CAMPAIGN_ID": TARGET, "LIST_ID": 0, "LIST_NAME": "moved here"},
    )
    assert result["leadUpdateCount"] == 2
    assert result["newListId"]
    moved = api.search({"campaignIds": [TARGET]})
    assert [lead["leadId"] for lead in moved] == ids
    assert {(lead["listId"], lead["listDesc"]) for lead in moved} == {
        (result["newListId"], "moved here")
    }
    assert api.search({"campaignIds": [CAMPAIGN]}) == []


def test_move_to_campaign_copy_via_api_creates_ready_copies_and_keeps_originals(
    api: Api,
) -> None:
    ids = loaded(api, 1, leadPriority=7)
    api.act("CANCEL_LEADS", {"leadIds": ids})
    target_list = api.load(TARGET, [row()], description="target")["listId"]
    result = api.act(
        "MOVE_TO_CAMPAIGN",
        {"leadIds": ids},
        {"CAMPAIGN_ID": str(TARGET), "LIST_ID": target_list, "CREATE_COPY_SETTING": True},
    )
    assert result["leadUpdateCount"] == 1
    original = api.search({"leadIds": ids})[0]
    assert (original["campaignId"], original["leadState"]) == (CAMPAIGN, "CANCELLED")
    copies = api.search({"campaignIds": [TARGET], "externIds": [original["externId"]]})
    assert len(copies) == 1
    copy = copies[0]
    assert copy["leadId"] != ids[0]
    assert copy["originalLeadId"] == ids[0]
    assert (copy["leadState"], copy["leadPasses"], copy["listId"]) == ("READY", 0, target_list)
    assert (copy["leadPhone"], copy["leadPriority"]) == (original["leadPhone"], 7)


def test_move_to_campaign_transition_via_api_marks_originals_transitioned(api: Api) -> None:
    ids = loaded(api, 1)
    api.act(
        "MOVE_TO_CAMPAIGN",
        {"leadIds": ids},
        {
            "CAMPAIGN_ID": TARGET,
            "LIST_ID": 0,
            "LIST_NAME": "transitioned",
            "CREATE_COPY_SETTING": "TRANSITION",
        },
    )
    assert api.search({"leadIds": ids})[0]["leadState"] == "TRANSITIONED"
    copy = api.search({"campaignIds": [TARGET]})[0]
    assert (copy["originalLeadId"], copy["leadState"]) == (ids[0], "READY")
    skipped = api.act("CANCEL_LEADS", {"leadIds": ids})
    assert skipped["errors"] == [{"leadId": ids[0], "reason": "transitioned"}]


def test_move_to_campaign_ignore_skips_phones_already_in_the_target(api: Api) -> None:
    phone = "2125550143"
    ids = loaded(api, 1, leadPhone=phone)
    target_list = api.load(TARGET, [row(leadPhone=phone)], description="has it")["listId"]
    result = api.act(
        "MOVE_TO_CAMPAIGN",
        {"leadIds": ids},
        {"CAMPAIGN_ID": TARGET, "LIST_ID": target_list, "DUPLICATE_ACTION_SETTING": "IGNORE"},
    )
    assert result["leadUpdateCount"] == 0
    assert result["errors"][0]["leadId"] == ids[0]
    assert api.search({"leadIds": ids})[0]["campaignId"] == CAMPAIGN


def test_callback_agent_via_api_reserves_the_agent_and_schedules(api: Api) -> None:
    ids = loaded(api, 1)
    at = "2030-01-02T03:04:05Z"
    api.act(
        "CALLBACK_LEADS",
        {"leadIds": ids},
        {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 77, "CALLBACK_DATE": at},
    )
    lead = api.search({"pendingAgentId": 77, "campaignIds": [CAMPAIGN]})[0]
    assert (lead["leadId"], lead["leadState"], lead["pendingAgentId"]) == (
        ids[0],
        "AGENT-CALLBACK",
        77,
    )
    assert when(lead["nextDialTime"]) == when("2030-01-02T03:04:05+00:00")


def test_callback_set_cancel_and_reset_via_api(api: Api) -> None:
    ids = loaded(api, 2)
    api.act(
        "CALLBACK_LEADS",
        {"leadIds": ids},
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2031-05-06T07:08:09+0000"},
    )
    leads = by_id(api, ids)
    assert {lead["leadState"] for lead in leads.values()} == {"CALLBACK"}
    assert when(leads[ids[0]]["nextDialTime"]) == datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)

    assert (
        api.act("CALLBACK_LEADS", {"leadIds": ids[:1]}, {"ACTION_TYPE": "CANCEL"})[
            "leadUpdateCount"
        ]
        == 1
    )
    assert by_id(api, ids)[ids[0]]["leadState"] == "CALLBACK-CANCELLED"

    result = api.act("CALLBACK_LEADS", {"leadIds": ids}, {"ACTION_TYPE": "RESET"})
    assert result["leadUpdateCount"] == 2
    assert {lead["leadState"] for lead in by_id(api, ids).values()} == {"READY"}
    noop = api.act("CALLBACK_LEADS", {"leadIds": ids}, {"ACTION_TYPE": "CANCEL"})
    assert noop["leadUpdateCount"] == 0, "CANCEL of a lead not in a callback state is a no-op"


def test_agent_reservation_via_api_sets_and_clears_the_reserved_agent(api: Api) -> None:
    ids = loaded(api, 1)
    api.act("AGENT_RESERVATION", {"leadIds": ids}, {"RESERVATION_AGENT_ID": "42"})
    lead = api.search({"leadIds": ids})[0]
    assert (lead["pendingAgentId"], lead["leadState"]) == (42, "READY")
    api.act("AGENT_RESERVATION", {"leadIds": ids}, {"RESERVATION_AGENT_ID": 0})
    assert "pendingAgentId" not in api.search({"leadIds": ids})[0], "absent, never null"


def test_dialer_refresh_via_api_needs_no_criteria_and_answers_refreshed(api: Api) -> None:
    loaded(api, 1)
    result = api.act("DIALER_REFRESH")
    assert result["dialerRefreshed"] is True
    assert (result["leadUpdateCount"], result["redialDeleteCount"]) == (0, 0)
    forced = api.act("DIALER_REFRESH", params={"force_dialer_cache_refresh": "true"})
    assert forced["dialerRefreshed"] is True


def test_an_action_selects_only_leads_of_the_callers_account(api: Api, server: Any) -> None:
    other = Api(server.base_url, server.tokens["admin"], api.account + 1)
    try:
        mine = loaded(api, 1)
        theirs = loaded(other, 1)
        result = api.act("CANCEL_LEADS", {"leadIds": [*mine, *theirs]})
        assert result["leadUpdateCount"] == 1
        assert other.search({"leadIds": theirs})[0]["leadState"] == "READY"
    finally:
        other.close()


BAD_ACTIONS: list[tuple[str, Any, Any, str]] = [
    ("NAP_LEADS", {"campaignIds": [CAMPAIGN]}, None, "leadAction"),
    ("CANCEL_LEADS", None, None, "selecting criterion"),
    ("CANCEL_LEADS", {"suppressed": "ALL"}, None, "selecting criterion"),
    ("CANCEL_LEADS", {"leadIds": ["one"]}, None, "leadIds"),
    ("CANCEL_LEADS", {"leadStates": ["ASLEEP"]}, None, "ASLEEP"),
    ("CANCEL_LEADS", {"campaignIds": [CAMPAIGN]}, {"FORCE": True}, "FORCE"),
    ("MANUAL_LEADS", {"campaignIds": [CAMPAIGN]}, {"REQUEUE": True}, "PASS_DISPOSITION"),
    (
        "MANUAL_LEADS",
        {"campaignIds": [CAMPAIGN]},
        {"PASS_DISPOSITION": "X", "REQUEUE": "y"},
        "REQUEUE",
    ),
    (
        "MANUAL_LEADS",
        {"campaignIds": [CAMPAIGN]},
        {"PASS_DISPOSITION": "X", "PASS_DELAY": -1},
        "PASS_DELAY",
    ),
    ("MOVE_TO_CAMPAIGN", {"campaignIds": [CAMPAIGN]}, {"CAMPAIGN_ID": TARGET}, "LIST_ID"),
    (
        "MOVE_TO_CAMPAIGN",
        {"campaignIds": [CAMPAIGN]},
        {"CAMPAIGN_ID": TARGET, "LIST_ID": 0},
        "LIST_NAME",
    ),
    (
        "MOVE_TO_CAMPAIGN",
        {"campaignIds": [CAMPAIGN]},
        {"CAMPAIGN_ID": TARGET, "LIST_ID": 999_999_999},
        "LIST_ID",
    ),
    ("CALLBACK_LEADS", {"campaignIds": [CAMPAIGN]}, {"ACTION_TYPE": "LATER"}, "ACTION_TYPE"),
    (
        "CALLBACK_LEADS",
        {"campaignIds": [CAMPAIGN]},
        {"ACTION_TYPE": "AGENT"},
        "RESERVATION_AGENT_ID",
    ),
    (
        "CALLBACK_LEADS",
        {"campaignIds": [CAMPAIGN]},
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": "soon"},
        "CALLBACK_DATE",
    ),
    (
        "CALLBACK_LEADS",
        {"campaignIds": [CAMPAIGN]},
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": "9999-12-31T23:59:59-05:00"},
        "CALLBACK_DATE",
    ),
    (
        "AGENT_RESERVATION",
        {"campaignIds": [CAMPAIGN]},
        {"RESERVATION_AGENT_ID": -5},
        "RESERVATION_AGENT_ID",
    ),
    (
        "AGENT_RESERVATION",
        {"campaignIds": [CAMPAIGN]},
        {"RESERVATION_AGENT_ID": [1]},
        "RESERVATION_AGENT_ID",
    ),
    (
        "CANCEL_LEADS",
        {"nextDialTimeCriteria": {"operator": "BEFORE", "value": "2030-01-01T00:00:00Z"}},
        None,
        "operator",
    ),
    (
        "CANCEL_LEADS",
        {"leadPassesCriteria": {"operator": "EQUALS", "value": 99999999999}},
        None,
        "leadPassesCriteria",
    ),
]


def test_bad_action_requests_are_400_and_change_nothing(api: Api) -> None:
    loaded(api, 3)
    before = api.search({"campaignIds": [CAMPAIGN]})
    for action, criteria, params, named in BAD_ACTIONS:
        response = api.action_response(action, criteria, params)
        assert response.status_code == 400, (action, criteria, params, response.text)
        error = response.json()["error"]
        assert error["code"] == "invalid_request"
        assert named in error["message"], (named, error["message"])
    assert api.search({"campaignIds": [CAMPAIGN]}) == before
