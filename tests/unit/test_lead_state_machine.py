"""The rules of SPEC §2 that hold for every action, on the Lead aggregate alone."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadstate.domain import Lead, LeadAction, LeadState, Skipped
from leadstate.projections import lead_search
from leadstate.requests.edits import parse_edit
from leadstate.requests.params import parse_params
from tests.unit.support import (
    ENVELOPE,
    EVERY_STATE,
    NOW,
    ONE_LEAD_ACTIONS,
    act,
    fold,
    meta,
    new_lead,
    state_of,
)

# -- forgetting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "event_name"),
    [(LeadAction.CANCEL_LEADS, "Cancelled"), (LeadAction.PAUSE_LEADS, "Paused")],
)
@pytest.mark.parametrize(
    "prior", [LeadState.AGENT_CALLBACK, LeadState.CALLBACK, LeadState.READY, LeadState.COMPLETE]
)
def test_cancel_discards_prior_status(
    action: LeadAction, event_name: str, prior: LeadState
) -> None:
    lead = new_lead(prior)

    act(lead, action)

    (recorded,) = lead.collect_events()
    assert type(recorded).__name__ == event_name
    assert set(recorded.__dict__) == ENVELOPE
    assert prior.value not in {str(v) for v in recorded.__dict__.values()}
    assert prior.value not in {v for v in vars(lead).values() if isinstance(v, str)}


@pytest.mark.parametrize("forgetter", [LeadAction.CANCEL_LEADS, LeadAction.PAUSE_LEADS])
@pytest.mark.parametrize("name", sorted(ONE_LEAD_ACTIONS))
def test_no_action_restores_the_forgotten_state(forgetter: LeadAction, name: str) -> None:
    lead = new_lead(LeadState.CALLBACK)
    lead.next_dial_time = NOW + timedelta(days=2)
    act(lead, forgetter)
    lead.collect_events()
    action, params = ONE_LEAD_ACTIONS[name]

    act(lead, action, params)

    sets_callback = name == "callback-set"
    assert (lead.lead_state == "CALLBACK") is sets_callback


@pytest.mark.parametrize("forgetter", [LeadAction.CANCEL_LEADS, LeadAction.PAUSE_LEADS])
@pytest.mark.parametrize("name", ["unsuppress", "callback-reset", "callback-cancel", "reserve"])
def test_cancelled_or_paused_lead_leaves_only_by_an_action_that_sets_a_state(
    forgetter: LeadAction, name: str
) -> None:
    lead = new_lead(LeadState.AGENT_CALLBACK)
    act(lead, forgetter)
    kept = lead.lead_state
    action, params = ONE_LEAD_ACTIONS[name]

    act(lead, action, params)

    assert lead.lead_state == kept


# -- do-not-call -------------------------------------------------------------------------

DNC_SKIPPERS = ["reset", "ready", "callback-agent", "callback-set", "callback-cancel"]
DNC_SKIPPERS += ["callback-reset"]


@pytest.mark.parametrize("name", DNC_SKIPPERS)
def test_ready_reset_and_callback_skip_a_do_not_call_lead(name: str) -> None:
    lead = new_lead()
    act(lead, LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True})
    lead.collect_events()
    action, params = ONE_LEAD_ACTIONS[name]

    with pytest.raises(Skipped) as raised:
        act(lead, action, params)

    assert raised.value.reason == "do-not-call"
    assert lead.lead_state == "DO-NOT-CALL"
    assert lead.pending_events == []


@pytest.mark.parametrize("name", sorted(set(ONE_LEAD_ACTIONS) - set(DNC_SKIPPERS)))
def test_other_actions_do_not_skip_a_do_not_call_lead(name: str) -> None:
    lead = new_lead(LeadState.DO_NOT_CALL)
    action, params = ONE_LEAD_ACTIONS[name]

    act(lead, action, params)  # no Skipped


# -- transitioned ------------------------------------------------------------------------

TRANSITION_TOUCHERS = {"delete", "suppress", "unsuppress", "move"}


@pytest.mark.parametrize("name", sorted(set(ONE_LEAD_ACTIONS) - TRANSITION_TOUCHERS))
def test_a_transitioned_lead_is_skipped_by_every_other_action(name: str) -> None:
    lead = new_lead()
    lead.transition(99, meta())
    lead.collect_events()
    action, params = ONE_LEAD_ACTIONS[name]

    with pytest.raises(Skipped) as raised:
        act(lead, action, params)

    assert raised.value.reason == "transitioned"
    assert lead.pending_events == []
    assert lead.lead_state == "TRANSITIONED"


@pytest.mark.parametrize("name", sorted(TRANSITION_TOUCHERS))
def test_delete_suppress_unsuppress_and_move_touch_a_transitioned_lead(name: str) -> None:
    lead = new_lead(LeadState.TRANSITIONED)
    lead.suppressed = name == "unsuppress"
    action, params = ONE_LEAD_ACTIONS[name]

    assert act(lead, action, params) is True
    assert lead.deleted or lead.lead_state == "TRANSITIONED"


# -- suppression -------------------------------------------------------------------------


@pytest.mark.parametrize("state", EVERY_STATE)
def test_suppression_never_touches_lead_state(state: LeadState) -> None:
    lead = new_lead(state)
    lead.pending_agent_id = 4

    act(lead, LeadAction.SUPPRESS_LEADS)
    assert (lead.lead_state, lead.suppressed, lead.pending_agent_id) == (state.value, True, 4)
    act(lead, LeadAction.UNSUPPRESS_LEADS)
    assert (lead.lead_state, lead.suppressed, lead.pending_agent_id) == (state.value, False, 4)
    for recorded in lead.collect_events():
        assert set(recorded.__dict__) == ENVELOPE


@pytest.mark.parametrize("name", sorted(set(ONE_LEAD_ACTIONS) - {"unsuppress", "delete"}))
def test_actions_on_a_suppressed_lead_keep_it_suppressed(name: str) -> None:
    lead = new_lead(LeadState.CALLBACK)
    act(lead, LeadAction.SUPPRESS_LEADS)
    action, params = ONE_LEAD_ACTIONS[name]

    act(lead, action, params)

    assert lead.suppressed is True


# -- replay determinism ------------------------------------------------------------------

COMMANDS: list[tuple[LeadAction, dict[str, Any]]] = [*ONE_LEAD_ACTIONS.values()]
COMMANDS += [
    (LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": 11, "LIST_ID": 3}),
    (LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": 7}),
    (LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2020-01-01T00:00Z"}),
]

step = st.one_of(
    st.tuples(st.just("action"), st.sampled_from(range(len(COMMANDS)))),
    st.tuples(st.just("edit"), st.sampled_from(["Ada", "Grace", "Linus"])),
    st.tuples(st.just("transition"), st.just(0)),
)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(EVERY_STATE), st.lists(st.tuples(step, st.integers(0, 600)), max_size=25))
def test_rebuilding_from_the_events_gives_the_same_lead(
    start: LeadState, steps: list[tuple[tuple[str, Any], int]]
) -> None:
    lead = new_lead(start, collect=False)
    for (kind, arg), minutes in steps:
        at = meta(at=NOW + timedelta(minutes=minutes))
        try:
            if kind == "action":
                action, params = COMMANDS[arg]
                lead.apply(action, parse_params(action, params), at)
            elif kind == "edit":
                lead.edit(parse_edit({"firstName": arg, "leadPriority": len(arg)}), at)
            else:
                lead.transition(1000, at)
        except Skipped:
            pass
    events = lead.collect_events()

    rebuilt = fold(events)

    assert state_of(rebuilt) == state_of(lead)
    assert rebuilt.version == len(events)
    # Folding twice gives the same again: events are data, mutate never re-decides.
    assert state_of(fold(events)) == state_of(rebuilt)


LIBRARY_TIMES = ("_created_on", "_modified_on")


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(EVERY_STATE), st.lists(st.tuples(step, st.integers(0, 600)), max_size=15))
def test_the_read_model_row_of_a_lead_is_a_snapshot_of_it(
    start: LeadState, steps: list[tuple[tuple[str, Any], int]]
) -> None:
    lead = new_lead(start)
    for (kind, arg), minutes in steps:
        at = meta(at=NOW + timedelta(minutes=minutes))
        try:
            if kind == "action" and COMMANDS[arg][0] is not LeadAction.DELETE_LEADS:
                action, params = COMMANDS[arg]
                lead.apply(action, parse_params(action, params), at)
            elif kind == "edit":
                lead.edit(parse_edit({"firstName": arg, "maxPasses": len(arg)}), at)
            elif kind == "transition":
                lead.transition(1000, at)
        except Skipped:
            pass

    row = dict(zip(lead_search.COLUMNS, lead_search.row_for(lead), strict=True))
    snapshot = lead_search.lead_from_row(row)

    # The call history is the calls read model's, not the row's: a snapshot starts empty.
    ignored = (*LIBRARY_TIMES, "calls")
    expected = {k: v for k, v in state_of(lead).items() if k not in ignored}
    assert {k: v for k, v in state_of(snapshot).items() if k not in ignored} == expected
    assert lead_search.row_for(snapshot) == lead_search.row_for(lead)


def test_a_no_op_leaves_the_version_unchanged() -> None:
    lead = new_lead(LeadState.CANCELLED)
    version = lead.version

    assert act(lead, LeadAction.CANCEL_LEADS) is False
    assert lead.version == version
    assert isinstance(lead, Lead)
