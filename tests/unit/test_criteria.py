"""`parse_criteria` (SPEC §3): every field, phones, times, `has_selector`; and its SQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadstate.domain import InvalidRequest
from leadstate.domain.criteria import (
    Comparison,
    Operator,
    SearchCriteria,
    Suppressed,
)
from leadstate.persistence.base import micros
from leadstate.projections import lead_search
from leadstate.requests.criteria import parse_criteria

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def refused(body: Any) -> str:
    """The message of the 400 that `body` gets."""
    with pytest.raises(InvalidRequest) as raised:
        parse_criteria(body)
    return raised.value.message


# -- list fields -------------------------------------------------------------------------


def test_empty_criteria_select_nothing_in_particular() -> None:
    bodies: tuple[dict[str, Any] | None, ...] = (None, {})
    for body in bodies:
        criteria = parse_criteria(body)
        assert criteria == SearchCriteria()
        assert criteria.has_selector() is False


def test_empty_lists_mean_no_filter() -> None:
    criteria = parse_criteria({"leadIds": [], "campaignIds": [], "leadStates": []})

    assert criteria == SearchCriteria()
    assert criteria.has_selector() is False


def test_id_lists_accept_numbers_and_numeric_strings() -> None:
    criteria = parse_criteria({"leadIds": [1, "2"], "campaignIds": [11], "listIds": ["3"]})

    assert criteria.lead_ids == (1, 2)
    assert criteria.campaign_ids == (11,)
    assert criteria.list_ids == (3,)


@pytest.mark.parametrize(
    "body",
    [{"leadIds": 5}, {"leadIds": ["five"]}, {"campaignIds": [True]}, {"listIds": [1.5]}],
)
def test_mistyped_id_lists_are_a_400(body: dict[str, Any]) -> None:
    (field,) = body
    assert field in refused(body)


def test_string_lists_are_kept_as_given() -> None:
    criteria = parse_criteria(
        {
            "externIds": ["E-1", 22],
            "agentDispositions": ["Sale"],
            "systemDispositions": ["MANUAL_PASS"],
            "physicalStates": ["ny"],
        }
    )

    assert criteria.extern_ids == ("E-1", "22")
    assert criteria.agent_dispositions == ("Sale",)
    assert criteria.system_dispositions == ("MANUAL_PASS",)
    assert criteria.physical_states == ("ny",)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("agent_callback", "AGENT-CALLBACK"),
        ("AGENT-CALLBACK", "AGENT-CALLBACK"),
        ("do-not-call", "DO-NOT-CALL"),
        ("Ready", "READY"),
        ("MAX_DIAL_LIMIT", "MAX-DIAL-LIMIT"),
    ],
)
def test_lead_states_accept_either_spelling_in_any_case(raw: str, expected: str) -> None:
    assert parse_criteria({"leadStates": [raw]}).lead_states == (expected,)


def test_unknown_lead_state_is_a_400_listing_the_states() -> None:
    message = refused({"leadStates": ["SLEEPING"]})

    assert "leadStates" in message and "SLEEPING" in message and "READY" in message


def test_lead_timezones_are_matched_by_name() -> None:
    criteria = parse_criteria(
        {"leadTimezones": [{"name": "America/New_York", "offset": -5}, "Europe/Paris"]}
    )

    assert criteria.lead_timezones == ("America/New_York", "Europe/Paris")
    assert "leadTimezones" in refused({"leadTimezones": [{"offset": 1}]})


# -- phones ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+1 (555) 010-0001", "5550100001"),
        ("15550100001", "5550100001"),
        ("555.010.0001", "5550100001"),
        ("1555010000", "1555010000"),  # ten digits: the leading 1 is part of the number
        ("125550100001", "125550100001"),  # twelve digits: kept
        ("25550100001", "25550100001"),  # eleven digits not starting with 1: kept
        (5550100001, "5550100001"),
    ],
)
def test_lead_phone_num_is_compared_on_its_digits(raw: Any, expected: str) -> None:
    assert parse_criteria({"leadPhoneNum": raw}).phone == expected


def test_lead_phone_numbers_are_normalised() -> None:
    criteria = parse_criteria({"leadPhoneNumbers": ["1-555-010-0001", "5550100002"]})

    assert criteria.phones == ("5550100001", "5550100002")


def test_a_phone_without_digits_is_a_400_not_a_dropped_filter() -> None:
    # Dropped, ["---"] alone would be no filter at all: every lead of the account.
    assert "no digits" in refused({"leadPhoneNumbers": ["1-555-010-0001", "---"]})


def test_mistyped_phone_is_a_400() -> None:
    assert "leadPhoneNum" in refused({"leadPhoneNum": ["5550100001"]})


# -- exact, case-insensitive text fields -------------------------------------------------

TEXT_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "zip": "zip",
    "emailAddress": "email",
    "auxData1": "aux_data1",
    "auxData2": "aux_data2",
    "auxData3": "aux_data3",
    "auxData4": "aux_data4",
    "auxData5": "aux_data5",
    "callerId": "caller_id",
}


@pytest.mark.parametrize(("json_name", "column"), sorted(TEXT_FIELDS.items()))
def test_text_field_is_an_exact_case_insensitive_match(json_name: str, column: str) -> None:
    criteria = parse_criteria({json_name: "MiXeD Case"})

    assert criteria.text == ((column, "MiXeD Case"),)
    assert criteria.has_selector() is True
    clause, params = lead_search.where(criteria, 1, "?", "lists")
    assert f"{column}_key = ?" in clause
    assert "mixed case" in params
    assert "lower(" not in clause, "never the engine's lower(): it differs per engine"


def test_empty_text_fields_are_no_filter() -> None:
    assert parse_criteria({"firstName": "", "city": None}).text == ()


def test_mistyped_text_field_is_a_400() -> None:
    assert "firstName" in refused({"firstName": {"eq": "Ada"}})


def test_disposition_and_state_lists_match_case_insensitively() -> None:
    criteria = parse_criteria({"agentDispositions": ["Sale"], "physicalStates": ["NY"]})

    clause, params = lead_search.where(criteria, 1, "?", "lists")

    assert "agent_disposition_key IN (?)" in clause and "sale" in params
    assert "state_key IN (?)" in clause and "ny" in params


def test_text_criteria_compare_unicode_caseless_keys() -> None:
    criteria = parse_criteria({"firstName": "ÉMILE", "physicalStates": ["İSTANBUL"]})

    _clause, params = lead_search.where(criteria, 1, "?", "lists")

    assert "émile" in params
    assert "i\u0307stanbul" in params


# -- suppressed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, Suppressed.ALL),
        ("ALL", Suppressed.ALL),
        ("only_suppressed", Suppressed.ONLY_SUPPRESSED),
        ("ONLY_UNSUPPRESSED", Suppressed.ONLY_UNSUPPRESSED),
    ],
)
def test_suppressed_filter(raw: str | None, expected: Suppressed) -> None:
    criteria = parse_criteria({"suppressed": raw})

    assert criteria.suppressed is expected
    assert criteria.has_selector() is False


def test_unknown_suppressed_value_is_a_400() -> None:
    assert "suppressed" in refused({"suppressed": "SOMETIMES"})


# -- agents ------------------------------------------------------------------------------


def test_agent_and_pending_agent() -> None:
    criteria = parse_criteria({"agentId": "7", "pendingAgentId": 8})

    assert (criteria.agent_id, criteria.pending_agent_id) == (7, 8)
    clause, _ = lead_search.where(criteria, 1, "?", "lists")
    assert "last_pass_agent_id = ?" in clause and "pending_agent_id = ?" in clause


def test_mistyped_agent_is_a_400() -> None:
    assert "agentId" in refused({"agentId": "seven"})


# -- comparisons and times ---------------------------------------------------------------


@pytest.mark.parametrize("operator", ["GREATER_THAN", "LESS_THAN", "EQUALS", "equals"])
def test_lead_passes_criteria(operator: str) -> None:
    criteria = parse_criteria({"leadPassesCriteria": {"operator": operator, "value": "2"}})

    assert criteria.lead_passes == Comparison(Operator(operator.upper()), 2)


@pytest.mark.parametrize(
    "raw", ["2026-03-01T12:00:00Z", "2026-03-01T12:00:00+00:00", "2026-03-01T12:00:00+0000"]
)
@pytest.mark.parametrize("field", ["lastPassTimeCriteria", "nextDialTimeCriteria"])
def test_time_criteria_accept_z_and_both_offset_spellings(field: str, raw: str) -> None:
    criteria = parse_criteria({field: {"operator": "LESS_THAN", "value": raw}})

    if field == "lastPassTimeCriteria":
        comparison = criteria.last_pass_time
    else:
        comparison = criteria.next_dial_time
    assert comparison == Comparison(Operator.LESS_THAN, T0)


def test_times_with_other_offsets_are_the_same_instant() -> None:
    criteria = parse_criteria(
        {"loadedDtsStart": "2026-03-01T13:00:00+0100", "loadedDtsEnd": "2026-03-01T07:00-05:00"}
    )

    assert criteria.loaded_start == T0
    assert criteria.loaded_end == T0


def test_equals_on_a_time_matches_to_the_second() -> None:
    criteria = parse_criteria(
        {"nextDialTimeCriteria": {"operator": "EQUALS", "value": "2026-03-01T12:00:00.750Z"}}
    )

    clause, params = lead_search.where(criteria, 1, "?", "lists")

    start = micros(T0)
    assert start is not None
    assert "next_dial_time >= ? AND next_dial_time < ?" in clause
    assert params[-2:] == [start, start + 1_000_000]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"leadPassesCriteria": {"operator": "ABOUT", "value": 1}}, "leadPassesCriteria"),
        ({"leadPassesCriteria": {"operator": "EQUALS"}}, "leadPassesCriteria"),
        ({"leadPassesCriteria": 3}, "leadPassesCriteria"),
        ({"nextDialTimeCriteria": {"operator": "EQUALS", "value": "soon"}}, "nextDialTime"),
        ({"lastPassTimeCriteria": {"operator": "EQUALS", "value": 1}}, "lastPassTime"),
        ({"loadedDtsStart": "yesterday"}, "loadedDtsStart"),
        ({"loadedDtsEnd": 17}, "loadedDtsEnd"),
    ],
)
def test_bad_comparisons_and_times_are_a_400(body: dict[str, Any], field: str) -> None:
    assert field in refused(body)


# -- orphans, unknown fields, has_selector -----------------------------------------------


def test_orphaned_leads_only() -> None:
    assert parse_criteria({"orphanedLeadsOnly": True}).orphaned_only is True
    assert "orphanedLeadsOnly" in refused({"orphanedLeadsOnly": "yes"})


def test_unknown_fields_are_ignored_like_the_vendor_does() -> None:
    assert parse_criteria({"favouriteColour": "blue"}) == SearchCriteria()


def test_a_body_that_is_not_an_object_is_a_400() -> None:
    assert "object" in refused(["leadIds"])


@pytest.mark.parametrize(
    "body",
    [
        {"leadIds": [1]},
        {"externIds": ["E"]},
        {"campaignIds": [11]},
        {"listIds": [3]},
        {"leadPhoneNumbers": ["5550100001"]},
        {"leadStates": ["READY"]},
        {"agentDispositions": ["SALE"]},
        {"systemDispositions": ["ANSWER"]},
        {"physicalStates": ["NY"]},
        {"leadTimezones": [{"name": "UTC"}]},
        {"firstName": "Ada"},
        {"leadPhoneNum": "5550100001"},
        {"agentId": 1},
        {"pendingAgentId": 1},
        {"leadPassesCriteria": {"operator": "EQUALS", "value": 0}},
        {"lastPassTimeCriteria": {"operator": "LESS_THAN", "value": "2026-03-01T12:00:00Z"}},
        {"nextDialTimeCriteria": {"operator": "LESS_THAN", "value": "2026-03-01T12:00:00Z"}},
        {"loadedDtsStart": "2026-03-01T12:00:00Z"},
        {"loadedDtsEnd": "2026-03-01T12:00:00Z"},
        {"orphanedLeadsOnly": True},
    ],
)
def test_every_field_but_suppressed_is_a_selector(body: dict[str, Any]) -> None:
    assert parse_criteria(body).has_selector() is True
    assert parse_criteria({**body, "suppressed": "ONLY_SUPPRESSED"}).has_selector() is True


def test_suppressed_alone_is_not_a_selector() -> None:
    assert parse_criteria({"suppressed": "ONLY_SUPPRESSED"}).has_selector() is False


def test_where_is_always_scoped_to_the_account() -> None:
    clause, params = lead_search.where(parse_criteria({"campaignIds": [11]}), 42, "?", "lists")

    assert clause.startswith("account_id = ?")
    assert params[0] == 42
