"""One test (or a few) per row of the SPEC §2 action table: effect, and no-op.

A no-op returns False and leaves no pending event; an effect is exactly one event.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadstate.domain import InvalidRequest, LeadAction, LeadState, Skipped
from leadstate.requests.edits import parse_edit
from leadstate.requests.params import parse_params
from tests.unit.support import (
    EVERY_STATE,
    LOADED_AT,
    NOW,
    ONE_LEAD_ACTIONS,
    act,
    later,
    meta,
    new_lead,
    state_of,
)


def event_names(lead: object) -> list[str]:
    """The class names of a lead's pending events."""
    return [type(e).__name__ for e in lead.pending_events]  # type: ignore[attr-defined]


# -- RESET_LEADS -------------------------------------------------------------------------


def test_reset_sets_ready_zero_passes_due_now_and_keeps_reservation() -> None:
    lead = new_lead(LeadState.AGENT_CALLBACK)
    lead.reserve(42, meta(at=LOADED_AT))
    lead.manual_pass(
        parse_params(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "X", "REQUEUE": True}),
        meta(at=LOADED_AT),
    )
    lead.collect_events()
    lead.next_dial_time = later(500)  # due in the future, to see it brought forward

    assert act(lead, LeadAction.RESET_LEADS) is True

    assert lead.lead_state == "READY"
    assert lead.lead_passes == 0
    assert lead.next_dial_time == NOW
    assert lead.pending_agent_id == 42
    assert lead.state_dts == LOADED_AT  # it was READY already: no state change
    assert event_names(lead) == ["Reset"]


@pytest.mark.parametrize("state", [LeadState.CALLBACK, LeadState.AGENT_CALLBACK])
def test_reset_clears_callback_state(state: LeadState) -> None:
    lead = new_lead(state)
    lead.next_dial_time = later(60)

    assert act(lead, LeadAction.RESET_LEADS) is True

    assert lead.lead_state == "READY"
    assert lead.next_dial_time == NOW
    assert lead.state_dts == NOW


@pytest.mark.parametrize(
    ("state", "action", "params"),
    [
        (LeadState.READY, LeadAction.RESET_LEADS, {}),
        (LeadState.COMPLETE, LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "X"}),
        (
            LeadState.READY,
            LeadAction.MANUAL_LEADS,
            {"PASS_DISPOSITION": "X", "REQUEUE": True, "PASS_DELAY": 5},
        ),
        (
            LeadState.AGENT_CALLBACK,
            LeadAction.CALLBACK_LEADS,
            {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 8},
        ),
        (
            LeadState.CALLBACK,
            LeadAction.CALLBACK_LEADS,
            {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-04-01T00:00:00Z"},
        ),
    ],
)
def test_state_dts_is_the_last_state_change_not_the_last_action(
    state: LeadState, action: LeadAction, params: dict[str, object]
) -> None:
    lead = new_lead(state)
    lead.lead_passes = 1

    assert act(lead, action, params) is True

    assert lead.lead_state == state.value
    assert lead.state_dts == LOADED_AT


def test_reset_of_a_fresh_due_ready_lead_is_a_no_op() -> None:
    lead = new_lead(LeadState.READY)

    assert act(lead, LeadAction.RESET_LEADS) is False
    assert lead.pending_events == []


def test_reset_of_a_ready_lead_due_later_brings_it_forward() -> None:
    lead = new_lead(LeadState.READY)
    lead.next_dial_time = later(30)

    assert act(lead, LeadAction.RESET_LEADS) is True
    assert lead.next_dial_time == NOW


# -- READY_LEADS -------------------------------------------------------------------------


def test_ready_sets_ready_and_keeps_passes_next_dial_time_and_reservation() -> None:
    lead = new_lead(LeadState.PAUSED)
    lead.lead_passes = 2
    lead.next_dial_time = later(90)
    lead.pending_agent_id = 42

    assert act(lead, LeadAction.READY_LEADS) is True

    assert lead.lead_state == "READY"
    assert (lead.lead_passes, lead.next_dial_time, lead.pending_agent_id) == (2, later(90), 42)
    assert event_names(lead) == ["Readied"]


def test_ready_of_a_ready_lead_is_a_no_op() -> None:
    lead = new_lead(LeadState.READY)

    assert act(lead, LeadAction.READY_LEADS) is False
    assert lead.pending_events == []


# -- CANCEL_LEADS / PAUSE_LEADS ----------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "target", "event_name"),
    [
        (LeadAction.CANCEL_LEADS, LeadState.CANCELLED, "Cancelled"),
        (LeadAction.PAUSE_LEADS, LeadState.PAUSED, "Paused"),
    ],
)
def test_cancel_and_pause_set_their_state_and_nothing_else(
    action: LeadAction, target: LeadState, event_name: str
) -> None:
    lead = new_lead(LeadState.CALLBACK)
    lead.lead_passes = 1
    lead.pending_agent_id = 9
    lead.next_dial_time = later(10)
    before = state_of(lead)

    assert act(lead, action) is True

    after = state_of(lead)
    assert after.pop("lead_state") == target.value
    assert after.pop("state_dts") == NOW
    for key in ("lead_state", "state_dts", "_version", "_modified_on"):
        before.pop(key)
    after.pop("_version")
    after.pop("_modified_on")
    assert after == before
    assert event_names(lead) == [event_name]


@pytest.mark.parametrize(
    ("action", "state"),
    [(LeadAction.CANCEL_LEADS, LeadState.CANCELLED), (LeadAction.PAUSE_LEADS, LeadState.PAUSED)],
)
def test_cancel_and_pause_of_a_lead_already_there_are_no_ops(
    action: LeadAction, state: LeadState
) -> None:
    lead = new_lead(state)

    assert act(lead, action) is False
    assert lead.pending_events == []


def test_pause_of_a_cancelled_lead_moves_it_to_paused() -> None:
    lead = new_lead(LeadState.CANCELLED)

    assert act(lead, LeadAction.PAUSE_LEADS) is True
    assert lead.lead_state == "PAUSED"


# -- SUPPRESS_LEADS / UNSUPPRESS_LEADS ---------------------------------------------------


def test_suppress_sets_suppressed_and_nothing_else() -> None:
    lead = new_lead(LeadState.AGENT_CALLBACK)
    lead.pending_agent_id = 5
    before = state_of(lead)

    assert act(lead, LeadAction.SUPPRESS_LEADS) is True

    assert lead.suppressed is True
    after = state_of(lead)
    for snapshot in (before, after):
        for key in ("suppressed", "_version", "_modified_on"):
            snapshot.pop(key)
    assert after == before
    assert event_names(lead) == ["Suppressed"]


def test_suppress_of_a_suppressed_lead_is_a_no_op() -> None:
    lead = new_lead()
    act(lead, LeadAction.SUPPRESS_LEADS)
    lead.collect_events()

    assert act(lead, LeadAction.SUPPRESS_LEADS) is False
    assert lead.pending_events == []


def test_unsuppress_shows_whatever_state_the_lead_has() -> None:
    lead = new_lead(LeadState.READY)
    act(lead, LeadAction.SUPPRESS_LEADS)
    act(lead, LeadAction.CANCEL_LEADS)
    lead.collect_events()

    assert act(lead, LeadAction.UNSUPPRESS_LEADS) is True

    assert lead.suppressed is False
    assert lead.lead_state == "CANCELLED"
    assert event_names(lead) == ["Unsuppressed"]


def test_unsuppress_of_an_unsuppressed_lead_is_a_no_op() -> None:
    lead = new_lead()

    assert act(lead, LeadAction.UNSUPPRESS_LEADS) is False
    assert lead.pending_events == []


# -- DELETE_LEADS ------------------------------------------------------------------------


def test_delete_marks_the_lead_deleted_with_one_event() -> None:
    lead = new_lead(LeadState.TRANSITIONED)

    assert act(lead, LeadAction.DELETE_LEADS) is True

    assert lead.deleted is True
    assert event_names(lead) == ["Deleted"]


@pytest.mark.parametrize("name", sorted(ONE_LEAD_ACTIONS))
def test_a_deleted_lead_is_skipped_by_every_action(name: str) -> None:
    lead = new_lead()
    act(lead, LeadAction.DELETE_LEADS)
    lead.collect_events()
    action, params = ONE_LEAD_ACTIONS[name]

    with pytest.raises(Skipped) as raised:
        act(lead, action, params)

    assert raised.value.reason == "deleted"
    assert lead.pending_events == []


def test_edit_of_a_deleted_lead_is_skipped() -> None:
    lead = new_lead()
    act(lead, LeadAction.DELETE_LEADS)

    with pytest.raises(Skipped):
        lead.edit(parse_edit({"firstName": "Eve"}), meta())


# -- MANUAL_LEADS ------------------------------------------------------------------------


def test_manual_pass_records_the_pass_and_completes_by_default() -> None:
    lead = new_lead(LeadState.READY)
    lead.lead_passes = 1

    assert act(lead, LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "SALE"}) is True

    assert lead.lead_passes == 2
    assert lead.last_pass_disposition == "MANUAL_PASS"
    assert lead.agent_disposition == "SALE"
    assert lead.last_pass_dts == NOW
    assert lead.lead_state == "COMPLETE"
    assert event_names(lead) == ["ManualPassRecorded"]


def test_manual_pass_with_requeue_is_ready_after_the_pass_delay() -> None:
    lead = new_lead(LeadState.CALLBACK)

    act(lead, LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "LATER", "REQUEUE": "true"})
    assert (lead.lead_state, lead.next_dial_time) == ("READY", NOW)

    act(
        lead,
        LeadAction.MANUAL_LEADS,
        {"PASS_DISPOSITION": "LATER", "REQUEUE": True, "PASS_DELAY": "60"},
    )
    assert (lead.lead_state, lead.next_dial_time) == ("READY", NOW + timedelta(minutes=60))
    assert lead.lead_passes == 2


def test_manual_pass_with_do_not_call_wins_over_requeue() -> None:
    lead = new_lead(LeadState.READY)

    act(
        lead,
        LeadAction.MANUAL_LEADS,
        {"PASS_DISPOSITION": "STOP", "DO_NOT_CALL": True, "REQUEUE": True},
    )

    assert lead.lead_state == "DO-NOT-CALL"
    assert lead.lead_passes == 1
    assert lead.agent_disposition == "STOP"


def test_manual_pass_is_never_a_no_op() -> None:
    lead = new_lead(LeadState.COMPLETE)

    assert act(lead, LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "SALE"}) is True
    assert act(lead, LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "SALE"}) is True
    assert lead.lead_passes == 2
    assert len(lead.pending_events) == 2


# -- MOVE_TO_CAMPAIGN --------------------------------------------------------------------


def test_move_changes_campaign_and_list_and_keeps_everything_else() -> None:
    lead = new_lead(LeadState.CALLBACK)
    lead.suppressed = True
    before = state_of(lead)

    assert act(lead, LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": "12", "LIST_ID": 9}) is True

    after = state_of(lead)
    assert (after.pop("campaign_id"), after.pop("list_id")) == (12, 9)
    for snapshot in (before, after):
        for key in ("campaign_id", "list_id", "_version", "_modified_on"):
            snapshot.pop(key, None)
    assert after == before
    assert event_names(lead) == ["MovedToCampaign"]


def test_move_to_another_list_of_the_same_campaign_is_a_move() -> None:
    lead = new_lead(campaign_id=11, list_id=3)

    assert lead.move(11, 4, meta()) is True
    assert (lead.campaign_id, lead.list_id) == (11, 4)


def test_move_to_the_same_campaign_and_list_is_a_no_op() -> None:
    lead = new_lead(campaign_id=11, list_id=3)

    assert act(lead, LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": 11, "LIST_ID": 3}) is False
    assert lead.pending_events == []


def test_copy_is_a_ready_unreserved_lead_with_the_originals_data() -> None:
    original = new_lead(LeadState.COMPLETE, lead_priority=8, max_passes=6)
    original.lead_passes = 3
    original.suppressed = True
    original.pending_agent_id = 77
    original.next_dial_time = later(999)

    copy = type(original).copy_of(original, lead_id=50, campaign_id=12, list_id=9, meta=meta())

    assert copy.lead_id == 50 and copy.id != original.id
    assert (copy.campaign_id, copy.list_id) == (12, 9)
    assert copy.extern_id == original.extern_id
    assert copy.contact == original.contact
    assert (copy.lead_priority, copy.max_passes) == (8, 6)
    assert (copy.lead_state, copy.lead_passes, copy.next_dial_time) == ("READY", 0, NOW)
    assert copy.suppressed is False
    assert copy.pending_agent_id is None
    assert copy.original_lead_id == original.lead_id
    assert [type(e).__name__ for e in copy.collect_events()] == ["Copied"]
    assert original.pending_events == []  # the original is untouched by a copy
    assert original.lead_state == "COMPLETE"


def test_transition_makes_the_original_transitioned_once() -> None:
    original = new_lead(LeadState.READY)

    assert original.transition(50, meta()) is True
    assert original.lead_state == "TRANSITIONED"
    assert original.transition(51, meta()) is False
    assert event_names(original) == ["Transitioned"]


# -- CALLBACK_LEADS ----------------------------------------------------------------------


def test_agent_callback_reserves_the_agent_and_schedules_the_date() -> None:
    lead = new_lead(LeadState.READY)
    params = {
        "ACTION_TYPE": "AGENT",
        "RESERVATION_AGENT_ID": "42",
        "CALLBACK_DATE": "2026-03-05T14:00:00+0000",
    }

    assert act(lead, LeadAction.CALLBACK_LEADS, params) is True

    assert lead.lead_state == "AGENT-CALLBACK"
    assert lead.pending_agent_id == 42
    assert lead.next_dial_time is not None
    assert lead.next_dial_time.isoformat() == "2026-03-05T14:00:00+00:00"
    assert event_names(lead) == ["AgentCallbackScheduled"]
    # The same callback again changes nothing.
    lead.collect_events()
    assert act(lead, LeadAction.CALLBACK_LEADS, params) is False
    assert lead.pending_events == []


def test_agent_callback_without_a_date_is_due_now() -> None:
    lead = new_lead(LeadState.COMPLETE)

    act(lead, LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 3})

    assert (lead.lead_state, lead.pending_agent_id, lead.next_dial_time) == (
        "AGENT-CALLBACK",
        3,
        NOW,
    )


def test_set_callback_schedules_a_callback() -> None:
    lead = new_lead(LeadState.READY)
    params = {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-03-05T14:00:00Z"}

    assert act(lead, LeadAction.CALLBACK_LEADS, params) is True

    assert lead.lead_state == "CALLBACK"
    assert lead.next_dial_time is not None
    assert lead.next_dial_time.isoformat() == "2026-03-05T14:00:00+00:00"
    assert event_names(lead) == ["CallbackScheduled"]
    lead.collect_events()
    assert act(lead, LeadAction.CALLBACK_LEADS, params) is False


def test_set_callback_in_the_past_is_due_now() -> None:
    lead = new_lead(LeadState.READY)

    act(lead, LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2020-01-01"})

    assert lead.next_dial_time is not None and lead.next_dial_time <= NOW


@pytest.mark.parametrize("state", [LeadState.CALLBACK, LeadState.AGENT_CALLBACK])
def test_cancel_callback_cancels_it_and_clears_the_reservation(state: LeadState) -> None:
    lead = new_lead(state)
    lead.pending_agent_id = 42

    assert act(lead, LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "CANCEL"}) is True

    assert lead.lead_state == "CALLBACK-CANCELLED"
    assert lead.pending_agent_id is None
    assert event_names(lead) == ["CallbackCancelled"]


NOT_SKIPPED_BY_CALLBACK = [
    s for s in EVERY_STATE if s not in (LeadState.DO_NOT_CALL, LeadState.TRANSITIONED)
]


@pytest.mark.parametrize(
    "state",
    [s for s in NOT_SKIPPED_BY_CALLBACK if s not in (LeadState.CALLBACK, LeadState.AGENT_CALLBACK)],
)
def test_cancel_callback_of_a_lead_without_a_callback_is_a_no_op(state: LeadState) -> None:
    lead = new_lead(state)
    lead.pending_agent_id = 42

    assert act(lead, LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "CANCEL"}) is False
    assert lead.pending_events == []
    assert lead.pending_agent_id == 42


@pytest.mark.parametrize(
    "state", [LeadState.CALLBACK, LeadState.AGENT_CALLBACK, LeadState.CALLBACK_CANCELLED]
)
def test_reset_callback_readies_the_lead_and_clears_the_reservation(state: LeadState) -> None:
    lead = new_lead(state)
    lead.pending_agent_id = 42

    assert act(lead, LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "reset"}) is True

    assert lead.lead_state == "READY"
    assert lead.pending_agent_id is None
    assert event_names(lead) == ["CallbackReset"]


@pytest.mark.parametrize(
    "state",
    [
        s
        for s in NOT_SKIPPED_BY_CALLBACK
        if s not in (LeadState.CALLBACK, LeadState.AGENT_CALLBACK, LeadState.CALLBACK_CANCELLED)
    ],
)
def test_reset_callback_of_a_lead_without_a_callback_is_a_no_op(state: LeadState) -> None:
    lead = new_lead(state)

    assert act(lead, LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "RESET"}) is False
    assert lead.pending_events == []


# -- AGENT_RESERVATION -------------------------------------------------------------------


@pytest.mark.parametrize("state", [LeadState.READY, LeadState.COMPLETE, LeadState.CALLBACK])
def test_reservation_sets_the_agent_and_leaves_the_state(state: LeadState) -> None:
    lead = new_lead(state)

    assert act(lead, LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": 42}) is True

    assert lead.pending_agent_id == 42
    assert lead.lead_state == state.value
    assert event_names(lead) == ["AgentReserved"]


def test_reservation_zero_clears_it() -> None:
    lead = new_lead()
    act(lead, LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": 42})
    lead.collect_events()

    assert act(lead, LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": "0"}) is True
    assert lead.pending_agent_id is None


@pytest.mark.parametrize(("first", "second"), [(42, 42), (None, 0)])
def test_reservation_for_the_same_agent_is_a_no_op(first: int | None, second: int) -> None:
    lead = new_lead()
    lead.pending_agent_id = first

    assert act(lead, LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": second}) is False
    assert lead.pending_events == []


# -- EMAIL_LEADS / DIALER_REFRESH: no lead changes ---------------------------------------


@pytest.mark.parametrize(
    ("action", "params"),
    [
        (LeadAction.EMAIL_LEADS, {"EMAIL_TO": "ops@example.com"}),
        (LeadAction.DIALER_REFRESH, {}),
    ],
)
def test_email_and_dialer_refresh_never_change_a_lead(
    action: LeadAction, params: dict[str, object]
) -> None:
    lead = new_lead()

    with pytest.raises(InvalidRequest, match="one by one"):
        act(lead, action, params)
    assert lead.pending_events == []


# -- edits (not an action, but the other way a lead changes) ----------------------------


def test_edit_changes_contact_and_settings_in_one_event() -> None:
    lead = new_lead()

    changed = lead.edit(
        parse_edit({"firstName": "Grace", "leadPriority": 9, "maxPasses": 2}), meta()
    )

    assert changed is True
    assert lead.contact["firstName"] == "Grace"
    assert (lead.lead_priority, lead.max_passes) == (9, 2)
    assert event_names(lead) == ["Edited"]


def test_edit_with_the_current_values_is_a_no_op() -> None:
    lead = new_lead()

    assert (
        lead.edit(parse_edit({"firstName": "Ada", "leadPriority": 5, "midName": None}), meta())
        is False
    )
    assert lead.pending_events == []


@pytest.mark.parametrize(
    ("field", "instead"),
    [
        ("leadState", "lead action"),
        ("leadPasses", "RESET_LEADS"),
        ("suppressed", "SUPPRESS_LEADS"),
        ("campaignId", "MOVE_TO_CAMPAIGN"),
        ("listId", "MOVE_TO_CAMPAIGN"),
        ("pendingAgentId", "AGENT_RESERVATION"),
        ("externId", "never changes"),
        ("sortCol", "does not keep"),
        ("favouriteColour", "unknown field"),
    ],
)
def test_edit_of_a_field_an_edit_cannot_change_is_refused_naming_what_to_use(
    field: str, instead: str
) -> None:
    lead = new_lead()

    with pytest.raises(InvalidRequest, match=f"cannot edit {field} .*{instead}"):
        lead.edit(parse_edit({field: 1, "firstName": "Ada"}), meta())
    assert lead.pending_events == []


def test_edit_of_the_phone_changes_the_compared_phone() -> None:
    lead = new_lead()

    lead.edit(parse_edit({"leadPhone": "1-555-010-0002"}), meta())

    assert lead.phone == "5550100002"
