"""`parse_params` and `LeadAction.parse`: the SPEC §2 param table, checked up front (400s)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from leadstate.domain import (
    ActionParams,
    CallbackType,
    CopySetting,
    InvalidRequest,
    LeadAction,
)
from leadstate.requests.params import params_record, parse_params

NO_PARAM_ACTIONS = [
    LeadAction.RESET_LEADS,
    LeadAction.READY_LEADS,
    LeadAction.CANCEL_LEADS,
    LeadAction.PAUSE_LEADS,
    LeadAction.SUPPRESS_LEADS,
    LeadAction.UNSUPPRESS_LEADS,
    LeadAction.DELETE_LEADS,
]


def refused(action: LeadAction, params: dict[str, Any] | None) -> str:
    """The message of the 400 that `params` gets."""
    with pytest.raises(InvalidRequest) as raised:
        parse_params(action, params)
    return raised.value.message


# -- actions -----------------------------------------------------------------------------


def test_every_action_of_the_spec_is_known() -> None:
    assert {a.value for a in LeadAction} == {
        *(a.value for a in NO_PARAM_ACTIONS),
        "MANUAL_LEADS",
        "MOVE_TO_CAMPAIGN",
        "CALLBACK_LEADS",
        "AGENT_RESERVATION",
        "EMAIL_LEADS",
        "DIALER_REFRESH",
    }


def test_unknown_action_is_a_400_listing_the_allowed_ones() -> None:
    with pytest.raises(InvalidRequest) as raised:
        LeadAction.parse("NUKE_LEADS")

    assert "NUKE_LEADS" in raised.value.message
    assert "RESET_LEADS" in raised.value.message and "DIALER_REFRESH" in raised.value.message


def test_action_names_are_case_sensitive() -> None:
    with pytest.raises(InvalidRequest):
        LeadAction.parse("reset_leads")


# -- unknown keys ------------------------------------------------------------------------


@pytest.mark.parametrize("action", NO_PARAM_ACTIONS)
def test_actions_without_params_take_none_and_refuse_any(action: LeadAction) -> None:
    assert parse_params(action, None) == ActionParams()
    assert parse_params(action, {}) == ActionParams()
    message = refused(action, {"FORCE": True})
    assert "FORCE" in message and "allowed: none" in message


@pytest.mark.parametrize(
    ("action", "allowed"),
    [
        (
            LeadAction.MANUAL_LEADS,
            ["PASS_DISPOSITION", "REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL", "PASS_DELAY"],
        ),
        (
            LeadAction.MOVE_TO_CAMPAIGN,
            [
                "CAMPAIGN_ID",
                "LIST_ID",
                "LIST_NAME",
                "CREATE_COPY_SETTING",
                "DUPLICATE_ACTION_SETTING",
            ],
        ),
        (LeadAction.CALLBACK_LEADS, ["ACTION_TYPE", "RESERVATION_AGENT_ID", "CALLBACK_DATE"]),
        (LeadAction.AGENT_RESERVATION, ["RESERVATION_AGENT_ID"]),
        (LeadAction.EMAIL_LEADS, ["EMAIL_TO"]),
        (LeadAction.DIALER_REFRESH, ["force_dialer_cache_refresh"]),
    ],
)
def test_unknown_key_is_a_400_naming_the_allowed_ones(
    action: LeadAction, allowed: list[str]
) -> None:
    message = refused(action, {"BOGUS": 1})

    assert "BOGUS" in message and action.value in message
    for key in allowed:
        assert key in message


def test_keys_are_case_sensitive() -> None:
    message = refused(LeadAction.MANUAL_LEADS, {"pass_disposition": "SALE"})

    assert "pass_disposition" in message and "PASS_DISPOSITION" in message


def test_dialer_refresh_key_is_lower_case() -> None:
    assert parse_params(LeadAction.DIALER_REFRESH, {"force_dialer_cache_refresh": "true"}) == (
        ActionParams(force_dialer_cache_refresh=True)
    )
    assert "FORCE_DIALER_CACHE_REFRESH" in refused(
        LeadAction.DIALER_REFRESH, {"FORCE_DIALER_CACHE_REFRESH": True}
    )


# -- MANUAL_LEADS ------------------------------------------------------------------------


def test_manual_defaults() -> None:
    params = parse_params(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": " SALE "})

    assert params == ActionParams(pass_disposition="SALE")
    assert (params.requeue, params.do_not_call, params.merge_original) == (False, False, False)
    assert params.pass_delay_min == 0


@pytest.mark.parametrize("missing", [{}, {"PASS_DISPOSITION": ""}, {"PASS_DISPOSITION": None}])
def test_manual_requires_a_pass_disposition(missing: dict[str, Any]) -> None:
    assert "PASS_DISPOSITION" in refused(LeadAction.MANUAL_LEADS, missing)


def test_manual_refuses_a_blank_pass_disposition() -> None:
    assert "PASS_DISPOSITION" in refused(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "  "})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [(True, True), (False, False), ("true", True), ("false", False), ("TRUE", True)],
)
def test_manual_booleans_accept_json_and_string_forms(raw: Any, expected: bool) -> None:
    params = parse_params(
        LeadAction.MANUAL_LEADS,
        {"PASS_DISPOSITION": "X", "REQUEUE": raw, "DO_NOT_CALL": raw, "MERGE_ORIGINAL": raw},
    )

    assert (params.requeue, params.do_not_call, params.merge_original) == (expected,) * 3


@pytest.mark.parametrize("key", ["REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL"])
@pytest.mark.parametrize("raw", ["yes", 1, "1", [True]])
def test_manual_booleans_refuse_other_values(key: str, raw: Any) -> None:
    message = refused(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "X", key: raw})

    assert key in message and "true or false" in message


@pytest.mark.parametrize(("raw", "expected"), [(60, 60), ("60", 60), (" 5 ", 5), (0, 0)])
def test_pass_delay_accepts_whole_minutes_as_numbers_or_strings(raw: Any, expected: int) -> None:
    params = parse_params(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "X", "PASS_DELAY": raw})

    assert params.pass_delay_min == expected


@pytest.mark.parametrize("raw", [-1, "-5", "6.5", 6.5, "sixty", True, ""])
def test_pass_delay_refuses_negative_or_non_whole_values(raw: Any) -> None:
    message = refused(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "X", "PASS_DELAY": raw})

    assert "PASS_DELAY" in message


# -- MOVE_TO_CAMPAIGN --------------------------------------------------------------------


def test_move_defaults_to_a_plain_move_that_moves_duplicates() -> None:
    params = parse_params(LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": "12", "LIST_ID": "9"})

    assert (params.campaign_id, params.list_id) == (12, 9)
    assert params.copy_setting is CopySetting.MOVE
    assert params.ignore_duplicates is False


@pytest.mark.parametrize(
    ("params", "key"),
    [({"LIST_ID": 9}, "CAMPAIGN_ID"), ({"CAMPAIGN_ID": 12}, "LIST_ID")],
)
def test_move_requires_campaign_and_list(params: dict[str, Any], key: str) -> None:
    assert key in refused(LeadAction.MOVE_TO_CAMPAIGN, params)


def test_move_to_list_zero_requires_a_list_name() -> None:
    message = refused(LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": 12, "LIST_ID": 0})
    assert "LIST_NAME" in message

    params = parse_params(
        LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": 12, "LIST_ID": "0", "LIST_NAME": "Spring"}
    )
    assert (params.list_id, params.list_name) == (0, "Spring")


@pytest.mark.parametrize(
    ("params", "key"),
    [
        ({"CAMPAIGN_ID": "twelve", "LIST_ID": 9}, "CAMPAIGN_ID"),
        ({"CAMPAIGN_ID": 0, "LIST_ID": 9}, "CAMPAIGN_ID"),
        ({"CAMPAIGN_ID": 12, "LIST_ID": -1}, "LIST_ID"),
        ({"CAMPAIGN_ID": 12, "LIST_ID": 2**31}, "LIST_ID"),
        ({"CAMPAIGN_ID": 12, "LIST_ID": 9, "CREATE_COPY_SETTING": "maybe"}, "CREATE_COPY"),
        ({"CAMPAIGN_ID": 12, "LIST_ID": 9, "DUPLICATE_ACTION_SETTING": "DROP"}, "DUPLICATE"),
    ],
)
def test_move_refuses_mistyped_params(params: dict[str, Any], key: str) -> None:
    assert key in refused(LeadAction.MOVE_TO_CAMPAIGN, params)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (False, CopySetting.MOVE),
        ("false", CopySetting.MOVE),
        (True, CopySetting.COPY),
        ("true", CopySetting.COPY),
        ("TRANSITION", CopySetting.TRANSITION),
        ("transition", CopySetting.TRANSITION),
    ],
)
def test_create_copy_setting_is_false_true_or_transition(raw: Any, expected: CopySetting) -> None:
    params = parse_params(
        LeadAction.MOVE_TO_CAMPAIGN,
        {"CAMPAIGN_ID": 12, "LIST_ID": 9, "CREATE_COPY_SETTING": raw},
    )

    assert params.copy_setting is expected


@pytest.mark.parametrize(("raw", "ignore"), [("MOVE", False), ("IGNORE", True), ("ignore", True)])
def test_duplicate_action_setting_is_move_or_ignore(raw: str, ignore: bool) -> None:
    params = parse_params(
        LeadAction.MOVE_TO_CAMPAIGN,
        {"CAMPAIGN_ID": 12, "LIST_ID": 9, "DUPLICATE_ACTION_SETTING": raw},
    )

    assert params.ignore_duplicates is ignore


# -- CALLBACK_LEADS ----------------------------------------------------------------------


def test_callback_requires_an_action_type() -> None:
    assert "ACTION_TYPE" in refused(LeadAction.CALLBACK_LEADS, {})
    assert "ACTION_TYPE" in refused(LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "LATER"})


def test_agent_callback_requires_a_positive_agent() -> None:
    assert "RESERVATION_AGENT_ID" in refused(LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "AGENT"})
    assert "RESERVATION_AGENT_ID" in refused(
        LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 0}
    )
    params = parse_params(
        LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "agent", "RESERVATION_AGENT_ID": "42"}
    )
    assert (params.callback_type, params.agent_id, params.callback_date) == (
        CallbackType.AGENT,
        42,
        None,
    )


def test_set_callback_requires_a_date() -> None:
    assert "CALLBACK_DATE" in refused(LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "SET"})


@pytest.mark.parametrize(
    "raw",
    ["2026-03-05T14:00:00Z", "2026-03-05T14:00:00+00:00", "2026-03-05T14:00:00+0000"],
)
def test_callback_date_accepts_z_and_both_offset_spellings(raw: str) -> None:
    params = parse_params(LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "SET", "CALLBACK_DATE": raw})

    assert params.callback_date == datetime(2026, 3, 5, 14, tzinfo=UTC)


def test_callback_date_with_another_offset_is_kept_as_the_same_instant() -> None:
    params = parse_params(
        LeadAction.CALLBACK_LEADS,
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-03-05T09:00:00-0500"},
    )

    assert params.callback_date == datetime(2026, 3, 5, 14, tzinfo=UTC)


@pytest.mark.parametrize("raw", ["tomorrow", "2026-13-01T00:00:00Z", "2026-03-05T25:00:00Z"])
def test_bad_callback_date_is_a_400(raw: str) -> None:
    message = refused(LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "SET", "CALLBACK_DATE": raw})

    assert "CALLBACK_DATE" in message


@pytest.mark.parametrize("kind", ["CANCEL", "RESET"])
def test_cancel_and_reset_callbacks_need_nothing_else(kind: str) -> None:
    params = parse_params(LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": kind})

    assert params.callback_type is CallbackType(kind)


# -- AGENT_RESERVATION -------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [(0, 0), ("0", 0), (42, 42), ("42", 42)])
def test_reservation_agent_is_zero_or_more(raw: Any, expected: int) -> None:
    params = parse_params(LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": raw})

    assert params.agent_id == expected


@pytest.mark.parametrize(
    "params", [{}, {"RESERVATION_AGENT_ID": -1}, {"RESERVATION_AGENT_ID": "x"}]
)
def test_reservation_needs_a_valid_agent(params: dict[str, Any]) -> None:
    assert "RESERVATION_AGENT_ID" in refused(LeadAction.AGENT_RESERVATION, params)


# -- EMAIL_LEADS -------------------------------------------------------------------------


def test_email_to_is_a_comma_separated_list_of_valid_addresses() -> None:
    params = parse_params(LeadAction.EMAIL_LEADS, {"EMAIL_TO": "a@example.com, b@example.org"})

    assert params.email_to == ("a@example.com", "b@example.org")


@pytest.mark.parametrize("raw", ["", " , ", None])
def test_email_to_is_required(raw: Any) -> None:
    assert "EMAIL_TO" in refused(LeadAction.EMAIL_LEADS, {"EMAIL_TO": raw})


def test_an_invalid_address_is_a_400_naming_it() -> None:
    message = refused(LeadAction.EMAIL_LEADS, {"EMAIL_TO": "a@example.com,not-an-address"})

    assert "not-an-address" in message


# -- the record kept with a job ---------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "raw"),
    [
        (LeadAction.RESET_LEADS, {}),
        (LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "SALE"}),
        (
            LeadAction.MANUAL_LEADS,
            {
                "PASS_DISPOSITION": "LATER",
                "REQUEUE": "true",
                "DO_NOT_CALL": False,
                "MERGE_ORIGINAL": True,
                "PASS_DELAY": "15",
            },
        ),
        (LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": 12, "LIST_ID": 0, "LIST_NAME": "New"}),
        (
            LeadAction.MOVE_TO_CAMPAIGN,
            {
                "CAMPAIGN_ID": "12",
                "LIST_ID": 9,
                "CREATE_COPY_SETTING": "TRANSITION",
                "DUPLICATE_ACTION_SETTING": "IGNORE",
            },
        ),
        (
            LeadAction.MOVE_TO_CAMPAIGN,
            {"CAMPAIGN_ID": 12, "LIST_ID": 9, "CREATE_COPY_SETTING": True},
        ),
        (LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-03-05T14:00Z"}),
        (LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": "4"}),
        (LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "CANCEL"}),
        (LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": 0}),
        (LeadAction.EMAIL_LEADS, {"EMAIL_TO": "a@example.com,b@example.com"}),
        (LeadAction.DIALER_REFRESH, {"force_dialer_cache_refresh": "true"}),
    ],
)
def test_params_record_parses_back_to_the_same_params(
    action: LeadAction, raw: dict[str, Any]
) -> None:
    params = parse_params(action, raw)

    record = params_record(action, params)

    assert set(record) <= set(raw)
    assert parse_params(action, record) == params
