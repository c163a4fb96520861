"""Every lead action of SPEC §2 through `apply_action`, seen through the read model."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import InvalidRequest, Lead, NotFound
from tests.backends import start_following
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    OTHER_CAMPAIGN,
    act,
    at,
    ids,
    lead,
    load,
    raw_row,
    row,
    search,
    skipped,
)

T0 = at("2030-06-01T09:00:00+00:00")
T1 = at("2030-06-01T10:00:00+00:00")
T2 = at("2030-06-01T11:00:00+00:00")
REQUEUE = {"PASS_DISPOSITION": "NO ANSWER", "REQUEUE": True}


def one(app: Leadstate, **fields: Any) -> int:
    """Load one lead (at T0) and return its leadId."""
    return load(app, [row(**fields)], when=T0).lead_ids[0]


def by_id(lead_id: int) -> dict[str, Any]:
    """Criteria selecting one lead."""
    return {"leadIds": [lead_id]}


def same_except(before: dict[str, Any], after: dict[str, Any], *changed: str) -> None:
    """Every field but `changed` is equal."""
    differing = {k for k in before if before[k] != after.get(k)}
    assert differing <= set(changed), differing - set(changed)


# -- state actions -----------------------------------------------------------------------


def test_reset_makes_a_lead_ready_with_no_passes_due_now_and_keeps_its_reservation(
    app: Leadstate,
) -> None:
    lead_id = one(app)
    act(app, "MANUAL_LEADS", by_id(lead_id), {**REQUEUE, "PASS_DELAY": 60}, when=T1)
    act(app, "MANUAL_LEADS", by_id(lead_id), {"PASS_DISPOSITION": "SALE"}, when=T1)
    act(app, "AGENT_RESERVATION", by_id(lead_id), {"RESERVATION_AGENT_ID": 7})
    before = lead(app, lead_id)
    assert (before["leadState"], before["leadPasses"]) == ("COMPLETE", 2)

    result = act(app, "RESET_LEADS", by_id(lead_id), when=T2)

    assert (result.update_count, result.delete_count, result.errors) == (1, 0, [])
    after = lead(app, lead_id)
    assert after["leadState"] == "READY"
    assert after["leadPasses"] == 0
    assert after["nextDialTime"] == T2.isoformat()
    assert after["pendingAgentId"] == 7
    same_except(before, after, "leadState", "leadPasses", "nextDialTime", "stateDts")
    assert act(app, "RESET_LEADS", by_id(lead_id), when=T2).update_count == 0, "a no-op"


def test_reset_clears_a_callback(app: Leadstate) -> None:
    lead_id = one(app)
    act(
        app,
        "CALLBACK_LEADS",
        by_id(lead_id),
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": T2.isoformat()},
    )
    assert act(app, "RESET_LEADS", by_id(lead_id)).update_count == 1
    assert lead(app, lead_id)["leadState"] == "READY"


def test_ready_changes_only_the_state(app: Leadstate) -> None:
    lead_id = one(app)
    act(app, "MANUAL_LEADS", by_id(lead_id), {**REQUEUE, "PASS_DELAY": 30}, when=T1)
    act(app, "AGENT_RESERVATION", by_id(lead_id), {"RESERVATION_AGENT_ID": 3})
    act(app, "PAUSE_LEADS", by_id(lead_id), when=T1)
    before = lead(app, lead_id)

    result = act(app, "READY_LEADS", by_id(lead_id), when=T2)

    assert result.update_count == 1
    after = lead(app, lead_id)
    assert after["leadState"] == "READY"
    assert (after["leadPasses"], after["pendingAgentId"]) == (1, 3)
    assert after["nextDialTime"] == (T1 + timedelta(minutes=30)).isoformat()
    same_except(before, after, "leadState", "stateDts")
    assert act(app, "READY_LEADS", by_id(lead_id)).update_count == 0, "already READY"


@pytest.mark.parametrize(
    ("action", "state"), [("CANCEL_LEADS", "CANCELLED"), ("PAUSE_LEADS", "PAUSED")]
)
def test_cancel_and_pause_set_their_state_and_count_each_lead_once(
    app: Leadstate, action: str, state: str
) -> None:
    loaded = load(app, [row(), row(), row()]).lead_ids
    result = act(app, action, {"campaignIds": [CAMPAIGN]})
    assert (result.update_count, result.delete_count, result.total) == (3, 0, 3)
    assert {v["leadState"] for v in search(app, {"campaignIds": [CAMPAIGN]})} == {state}
    again = act(app, action, {"leadIds": loaded})
    assert (again.update_count, again.total, again.errors) == (0, 3, [])


def test_suppress_and_unsuppress_only_toggle_the_overlay(app: Leadstate) -> None:
    paused, ready = load(app, [row(), row()]).lead_ids
    act(app, "PAUSE_LEADS", by_id(paused))
    before = {i: lead(app, i) for i in (paused, ready)}

    result = act(app, "SUPPRESS_LEADS", {"leadIds": [paused, ready]})
    assert result.update_count == 2
    for lead_id in (paused, ready):
        after = lead(app, lead_id)
        assert after["suppressed"] is True
        same_except(before[lead_id], after, "suppressed")
    assert act(app, "SUPPRESS_LEADS", {"leadIds": [paused, ready]}).update_count == 0

    result = act(app, "UNSUPPRESS_LEADS", by_id(paused))
    assert result.update_count == 1
    assert lead(app, paused) == before[paused], "shows whatever state it had"
    assert act(app, "UNSUPPRESS_LEADS", by_id(paused)).update_count == 0


def test_delete_removes_the_leads_and_counts_them_as_deletions(app: Leadstate) -> None:
    doomed = load(app, [row(), row()]).lead_ids
    kept = one(app)
    result = act(app, "DELETE_LEADS", {"leadIds": doomed})
    assert (result.update_count, result.delete_count, result.errors) == (0, 2, [])
    assert ids(app, {"campaignIds": [CAMPAIGN]}) == [kept]
    for lead_id in doomed:
        with pytest.raises(NotFound):
            lead(app, lead_id)
        assert raw_row(app, lead_id) is None
    again = act(app, "DELETE_LEADS", {"leadIds": doomed})
    assert (again.total, again.delete_count) == (0, 0), "a deleted lead is never selected"


@pytest.mark.parametrize("action", ["CANCEL_LEADS", "MANUAL_LEADS"])
def test_an_action_on_lead_ids_alone_runs_no_search_and_passes_over_missing_ids(
    app: Leadstate, monkeypatch: pytest.MonkeyPatch, action: str
) -> None:
    present, gone = load(app, [row(), row()]).lead_ids
    act(app, "DELETE_LEADS", {"leadIds": [gone]})

    def no_search(*_: object) -> list[int]:
        raise AssertionError("leadIds alone select themselves: no search")

    monkeypatch.setattr(app.queries, "matching_ids", no_search)
    params = {"PASS_DISPOSITION": "X"} if action == "MANUAL_LEADS" else None
    result = act(app, action, {"leadIds": [present, gone, 999_999, present]}, params)
    assert (result.total, result.processed, result.update_count) == (1, 1, 1)
    assert result.errors == []
    monkeypatch.undo()
    with_state = act(app, "READY_LEADS", {"leadIds": [present], "leadStates": ["READY"]})
    assert with_state.total == 0, "other criteria still search first"


@pytest.mark.parametrize(
    ("params", "state", "next_dial"),
    [
        ({"PASS_DISPOSITION": "SALE"}, "COMPLETE", T0),
        (
            {"PASS_DISPOSITION": "CB", "REQUEUE": "true", "PASS_DELAY": "15"},
            "READY",
            T1 + timedelta(minutes=15),
        ),
        ({"PASS_DISPOSITION": "CB", "REQUEUE": True}, "READY", T1),
        ({"PASS_DISPOSITION": "STOP", "DO_NOT_CALL": True, "REQUEUE": True}, "DO-NOT-CALL", T0),
    ],
)
def test_manual_pass_counts_a_pass_then_completes_requeues_or_marks_do_not_call(
    app: Leadstate, params: dict[str, Any], state: str, next_dial: Any
) -> None:
    lead_id = one(app)
    result = act(app, "MANUAL_LEADS", by_id(lead_id), params, when=T1)
    assert (result.update_count, result.errors) == (1, [])
    view = lead(app, lead_id)
    assert view["leadState"] == state
    assert view["leadPasses"] == 1
    assert view["lastPassDisposition"] == "MANUAL_PASS"
    assert view["agentDisposition"] == view["agentDispostion"] == params["PASS_DISPOSITION"]
    assert view["lastPassDts"] == T1.isoformat()
    assert view["nextDialTime"] == next_dial.isoformat()
    act(app, "MANUAL_LEADS", by_id(lead_id), params, when=T2)
    assert lead(app, lead_id)["leadPasses"] == 2, "every manual pass counts"


# -- skipped leads ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("READY_LEADS", None),
        ("RESET_LEADS", None),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 4}),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2030-07-01T00:00:00Z"}),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "RESET"}),
    ],
)
def test_ready_reset_and_callback_skip_do_not_call_leads_and_do_the_rest(
    app: Leadstate, action: str, params: dict[str, Any] | None
) -> None:
    dnc, other = load(app, [row(), row()]).lead_ids
    act(app, "MANUAL_LEADS", by_id(dnc), {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True})
    act(
        app, "CALLBACK_LEADS", by_id(other), {"ACTION_TYPE": "SET", "CALLBACK_DATE": T2.isoformat()}
    )
    before = lead(app, dnc)

    result = act(app, action, {"leadIds": [dnc, other]}, params)

    assert skipped(result) == {dnc: "do-not-call"}
    assert result.update_count == 1
    assert result.error_message is not None
    assert f"{dnc} (do-not-call)" in result.error_message
    assert lead(app, dnc) == before


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("READY_LEADS", None),
        ("RESET_LEADS", None),
        ("CANCEL_LEADS", None),
        ("PAUSE_LEADS", None),
        ("MANUAL_LEADS", {"PASS_DISPOSITION": "X"}),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 4}),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "CANCEL"}),
        ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": 4}),
    ],
)
def test_transitioned_leads_are_skipped_by_state_actions(
    app: Leadstate, action: str, params: dict[str, Any] | None
) -> None:
    original, other = load(app, [row(), row()]).lead_ids
    act(app, "PAUSE_LEADS", by_id(other))
    transition = {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": 0, "LIST_NAME": "t"}
    act(
        app,
        "MOVE_TO_CAMPAIGN",
        by_id(original),
        {**transition, "CREATE_COPY_SETTING": "TRANSITION"},
    )
    before = lead(app, original)
    assert before["leadState"] == "TRANSITIONED"

    result = act(app, action, {"leadIds": [original, other]}, params)

    assert skipped(result).get(original) == "transitioned"
    assert lead(app, original) == before


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("SUPPRESS_LEADS", None),
        ("DELETE_LEADS", None),
        ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 30, "LIST_ID": 0, "LIST_NAME": "elsewhere"}),
    ],
)
def test_delete_suppress_and_move_still_apply_to_transitioned_leads(
    app: Leadstate, action: str, params: dict[str, Any] | None
) -> None:
    original = one(app)
    transition = {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": 0, "LIST_NAME": "t"}
    act(
        app,
        "MOVE_TO_CAMPAIGN",
        by_id(original),
        {**transition, "CREATE_COPY_SETTING": "TRANSITION"},
    )
    result = act(app, action, by_id(original), params)
    assert result.errors == []
    assert result.update_count + result.delete_count == 1
    if action == "SUPPRESS_LEADS":
        assert act(app, "UNSUPPRESS_LEADS", by_id(original)).update_count == 1
        assert lead(app, original)["leadState"] == "TRANSITIONED"


# -- MOVE_TO_CAMPAIGN ---------------------------------------------------------------------


def test_move_changes_campaign_and_list_and_keeps_everything_else(app: Leadstate) -> None:
    lead_id = one(app, firstName="Mover", leadPriority=4, maxPasses=6)
    act(app, "MANUAL_LEADS", by_id(lead_id), REQUEUE, when=T1)
    act(app, "SUPPRESS_LEADS", by_id(lead_id))
    target = load(app, [row()], campaign=OTHER_CAMPAIGN, description="target").list_id
    before = lead(app, lead_id)

    params = {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": target}
    result = act(app, "MOVE_TO_CAMPAIGN", by_id(lead_id), params)

    assert (result.update_count, result.errors) == (1, [])
    after = lead(app, lead_id)
    assert (after["campaignId"], after["listId"], after["listDesc"]) == (
        OTHER_CAMPAIGN,
        target,
        "target",
    )
    same_except(before, after, "campaignId", "listId", "listDesc")
    assert ids(app, {"campaignIds": [CAMPAIGN]}) == []
    assert act(app, "MOVE_TO_CAMPAIGN", by_id(lead_id), params).update_count == 0, "a no-op"


def test_move_to_a_list_of_another_campaign_is_refused_before_anything_changes(
    app: Leadstate,
) -> None:
    lead_id = one(app)
    list_of_campaign_10 = lead(app, lead_id)["listId"]
    with pytest.raises(InvalidRequest, match="LIST_ID"):
        act(
            app,
            "MOVE_TO_CAMPAIGN",
            by_id(lead_id),
            {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": list_of_campaign_10},
        )
    assert lead(app, lead_id)["campaignId"] == CAMPAIGN


@pytest.mark.parametrize("copy_setting", [True, "true", "TRANSITION"])
def test_copy_creates_a_fresh_ready_lead_in_the_target_with_the_same_data(
    app: Leadstate, copy_setting: Any
) -> None:
    original = one(app, firstName="Orig", email="o@example.com", leadPriority=5, maxPasses=4)
    act(app, "MANUAL_LEADS", by_id(original), REQUEUE, when=T1)
    act(app, "SUPPRESS_LEADS", by_id(original))
    act(app, "AGENT_RESERVATION", by_id(original), {"RESERVATION_AGENT_ID": 9})
    before = lead(app, original)

    params = {
        "CAMPAIGN_ID": OTHER_CAMPAIGN,
        "LIST_ID": 0,
        "LIST_NAME": "copies",
        "CREATE_COPY_SETTING": copy_setting,
    }
    result = act(app, "MOVE_TO_CAMPAIGN", by_id(original), params, when=T2)

    assert result.errors == []
    (copy_id,) = ids(app, {"campaignIds": [OTHER_CAMPAIGN]})
    assert copy_id > original
    copy = lead(app, copy_id)
    for name in ("externId", "firstName", "email", "leadPhone", "leadPriority", "maxPasses"):
        assert copy[name] == before[name], name
    assert copy["originalLeadId"] == original
    assert (copy["campaignId"], copy["listId"], copy["listDesc"]) == (
        OTHER_CAMPAIGN,
        result.new_list_id,
        "copies",
    )
    assert copy["leadState"] == "READY"
    assert copy["leadPasses"] == 0
    assert copy["nextDialTime"] == T2.isoformat()
    assert copy["suppressed"] is False
    assert copy["pendingAgentId"] is None
    after = lead(app, original)
    if copy_setting == "TRANSITION":
        assert after["leadState"] == "TRANSITIONED"
        same_except(before, after, "leadState", "stateDts")
    else:
        assert after == before, "a plain copy leaves the original untouched"


@pytest.mark.parametrize("copy_setting", ["false", "true"])
def test_list_id_0_creates_one_new_list_per_request_across_batches(
    make_app: Callable[..., Leadstate], copy_setting: str
) -> None:
    app = make_app(batch_size=1)
    loaded = load(app, [row(), row(), row()]).lead_ids
    params = {
        "CAMPAIGN_ID": OTHER_CAMPAIGN,
        "LIST_ID": 0,
        "LIST_NAME": "fresh",
        "CREATE_COPY_SETTING": copy_setting,
    }
    first = act(app, "MOVE_TO_CAMPAIGN", {"leadIds": loaded[:2]}, params)
    second = act(app, "MOVE_TO_CAMPAIGN", {"leadIds": loaded[2:]}, params)

    assert first.update_count == 2
    assert first.new_list_id is not None and second.new_list_id is not None
    assert first.new_list_id != second.new_list_id
    moved = search(app, {"campaignIds": [OTHER_CAMPAIGN]})
    assert [v["listId"] for v in moved] == [first.new_list_id] * 2 + [second.new_list_id]
    assert {v["listDesc"] for v in moved} == {"fresh"}


@pytest.mark.parametrize("batch_size", [1, 500])
@pytest.mark.parametrize("copy_setting", ["false", "true"])
def test_duplicate_ignore_skips_a_lead_whose_phone_is_already_in_the_target(
    make_app: Callable[..., Leadstate], batch_size: int, copy_setting: str
) -> None:
    app = make_app(batch_size=batch_size)
    load(app, [row(phone="5553000004")], campaign=OTHER_CAMPAIGN)
    first, second, third, fourth = load(
        app,
        [
            row(phone="555-300-0001"),
            row(phone="1 555 300 0001"),
            row(phone="5553000003"),
            row(phone="5553000004"),
        ],
    ).lead_ids
    params = {
        "CAMPAIGN_ID": OTHER_CAMPAIGN,
        "LIST_ID": 0,
        "LIST_NAME": "dedup",
        "DUPLICATE_ACTION_SETTING": "IGNORE",
        "CREATE_COPY_SETTING": copy_setting,
    }

    result = act(app, "MOVE_TO_CAMPAIGN", {"campaignIds": [CAMPAIGN]}, params)

    assert skipped(result) == {
        second: "duplicate phone in target campaign",
        fourth: "duplicate phone in target campaign",
    }
    assert result.update_count == 2
    in_target = search(app, {"listIds": [result.new_list_id]})
    arrived = [v["originalLeadId"] or v["leadId"] for v in in_target]
    assert arrived == [first, third], "leads go in leadId order; the first of a phone wins"


def test_duplicate_move_moves_regardless_of_phones_in_the_target(app: Leadstate) -> None:
    load(app, [row(phone="5553000001")], campaign=OTHER_CAMPAIGN)
    loaded = load(app, [row(phone="5553000001"), row(phone="5553000001")]).lead_ids
    params = {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": 0, "LIST_NAME": "all"}
    result = act(app, "MOVE_TO_CAMPAIGN", {"leadIds": loaded}, params)
    assert (result.update_count, result.errors) == (2, [])
    assert len(search(app, {"campaignIds": [OTHER_CAMPAIGN], "leadPhoneNum": "5553000001"})) == 3


# -- MERGE_ORIGINAL -----------------------------------------------------------------------


def copy_of(app: Leadstate, original: int) -> int:
    """A copy of `original` in the other campaign; its leadId."""
    params = {
        "CAMPAIGN_ID": OTHER_CAMPAIGN,
        "LIST_ID": 0,
        "LIST_NAME": "copies",
        "CREATE_COPY_SETTING": True,
    }
    result = act(app, "MOVE_TO_CAMPAIGN", by_id(original), params)
    assert result.update_count == 1
    return max(ids(app, {"campaignIds": [OTHER_CAMPAIGN]}))


@pytest.mark.parametrize("batch_size", [1, 500])
def test_merge_original_passes_the_original_once_even_when_it_is_selected_too(
    make_app: Callable[..., Leadstate], batch_size: int
) -> None:
    app = make_app(batch_size=batch_size)
    original = one(app)
    copy = copy_of(app, original)
    params = {"PASS_DISPOSITION": "SALE", "MERGE_ORIGINAL": True}

    result = act(app, "MANUAL_LEADS", {"leadIds": [original, copy]}, params, when=T1)

    assert result.errors == []
    for lead_id in (original, copy):
        view = lead(app, lead_id)
        assert (view["leadPasses"], view["leadState"]) == (1, "COMPLETE"), lead_id
        assert view["agentDisposition"] == "SALE"


def test_merge_original_applies_the_copys_pass_to_its_original(app: Leadstate) -> None:
    original = one(app)
    copy = copy_of(app, original)
    params = {"PASS_DISPOSITION": "CB", "MERGE_ORIGINAL": "true", "REQUEUE": True}
    act(app, "MANUAL_LEADS", by_id(copy), params, when=T1)
    assert lead(app, original)["leadPasses"] == 1
    assert lead(app, original)["lastPassDts"] == T1.isoformat()
    act(app, "MANUAL_LEADS", by_id(copy), {**params, "MERGE_ORIGINAL": False})
    assert lead(app, original)["leadPasses"] == 1, "without MERGE_ORIGINAL only the copy"
    assert lead(app, copy)["leadPasses"] == 2


def test_merge_original_ignores_a_deleted_original(app: Leadstate) -> None:
    original = one(app)
    copy = copy_of(app, original)
    act(app, "DELETE_LEADS", by_id(original))
    params = {"PASS_DISPOSITION": "SALE", "MERGE_ORIGINAL": True}
    result = act(app, "MANUAL_LEADS", by_id(copy), params)
    assert (result.update_count, result.errors) == (1, [])
    assert lead(app, copy)["leadPasses"] == 1


# -- callbacks and reservations -------------------------------------------------------------


def test_agent_callback_reserves_the_agent_and_schedules_the_lead(app: Leadstate) -> None:
    dated, undated = load(app, [row(), row()]).lead_ids
    act(
        app,
        "CALLBACK_LEADS",
        by_id(dated),
        {
            "ACTION_TYPE": "AGENT",
            "RESERVATION_AGENT_ID": 12,
            "CALLBACK_DATE": "2030-07-01T08:30:00+0000",
        },
    )
    act(
        app,
        "CALLBACK_LEADS",
        by_id(undated),
        {"ACTION_TYPE": "agent", "RESERVATION_AGENT_ID": "13"},
        when=T1,
    )
    view = lead(app, dated)
    assert (view["leadState"], view["pendingAgentId"]) == ("AGENT-CALLBACK", 12)
    assert view["nextDialTime"] == at("2030-07-01T08:30:00+00:00").isoformat()
    view = lead(app, undated)
    assert (view["leadState"], view["pendingAgentId"], view["nextDialTime"]) == (
        "AGENT-CALLBACK",
        13,
        T1.isoformat(),
    )


def test_set_callback_schedules_without_reserving(app: Leadstate) -> None:
    lead_id = one(app)
    result = act(
        app,
        "CALLBACK_LEADS",
        by_id(lead_id),
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2030-07-02T00:00:00Z"},
    )
    assert result.update_count == 1
    view = lead(app, lead_id)
    assert (view["leadState"], view["pendingAgentId"]) == ("CALLBACK", None)
    assert view["nextDialTime"] == at("2030-07-02T00:00:00+00:00").isoformat()
    with pytest.raises(InvalidRequest, match="CALLBACK_DATE"):
        act(app, "CALLBACK_LEADS", by_id(lead_id), {"ACTION_TYPE": "SET"})


def test_callback_cancel_and_reset_touch_only_callback_leads(app: Leadstate) -> None:
    agent_cb, set_cb, ready = load(app, [row(), row(), row()]).lead_ids
    act(app, "CALLBACK_LEADS", by_id(agent_cb), {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 5})
    act(
        app,
        "CALLBACK_LEADS",
        by_id(set_cb),
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": T2.isoformat()},
    )
    everyone = {"leadIds": [agent_cb, set_cb, ready]}

    cancelled = act(app, "CALLBACK_LEADS", everyone, {"ACTION_TYPE": "CANCEL"})
    assert (cancelled.update_count, cancelled.errors) == (2, [])
    for lead_id in (agent_cb, set_cb):
        view = lead(app, lead_id)
        assert (view["leadState"], view["pendingAgentId"]) == ("CALLBACK-CANCELLED", None)
    assert lead(app, ready)["leadState"] == "READY"
    assert act(app, "CALLBACK_LEADS", everyone, {"ACTION_TYPE": "CANCEL"}).update_count == 0

    act(app, "CALLBACK_LEADS", by_id(set_cb), {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 6})
    reset = act(app, "CALLBACK_LEADS", everyone, {"ACTION_TYPE": "RESET"})
    assert reset.update_count == 2
    for lead_id in (agent_cb, set_cb):
        view = lead(app, lead_id)
        assert (view["leadState"], view["pendingAgentId"]) == ("READY", None)
    assert act(app, "CALLBACK_LEADS", everyone, {"ACTION_TYPE": "RESET"}).update_count == 0


def test_agent_reservation_sets_and_clears_the_agent_and_leaves_the_state(
    app: Leadstate,
) -> None:
    lead_id = one(app)
    act(app, "PAUSE_LEADS", by_id(lead_id))
    before = lead(app, lead_id)
    assert (
        act(app, "AGENT_RESERVATION", by_id(lead_id), {"RESERVATION_AGENT_ID": 21}).update_count
        == 1
    )
    after = lead(app, lead_id)
    assert (after["pendingAgentId"], after["leadState"]) == (21, "PAUSED")
    same_except(before, after, "pendingAgentId")
    assert (
        act(app, "AGENT_RESERVATION", by_id(lead_id), {"RESERVATION_AGENT_ID": "21"}).update_count
        == 0
    )
    assert (
        act(app, "AGENT_RESERVATION", by_id(lead_id), {"RESERVATION_AGENT_ID": 0}).update_count == 1
    )
    assert lead(app, lead_id) == before


def test_dialer_refresh_needs_no_criteria_and_changes_nothing(app: Leadstate) -> None:
    lead_id = one(app)
    before = lead(app, lead_id)
    start_following(app)
    result = act(app, "DIALER_REFRESH", {}, {"force_dialer_cache_refresh": "true"})
    assert result.dialer_refreshed is True
    assert (result.update_count, result.delete_count) == (0, 0)
    assert lead(app, lead_id) == before


def test_dialer_refresh_waits_for_the_asynchronous_read_models_and_says_when_they_lag(
    make_app: Callable[..., Leadstate],
) -> None:
    app = make_app(dialer_refresh_wait_seconds=0.5)
    one(app)
    assert act(app, "DIALER_REFRESH", {}).dialer_refreshed is False  # nobody follows the log
    start_following(app)
    assert act(app, "DIALER_REFRESH", {}).dialer_refreshed is True
    assert app.read_models.lead_counts(ACCOUNT) != []


# -- forgetting ------------------------------------------------------------------------------

PRIOR_STATES: dict[str, tuple[str, dict[str, Any]]] = {
    "AGENT-CALLBACK": ("CALLBACK_LEADS", {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 8}),
    "CALLBACK": ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2030-08-01T00:00:00Z"}),
    "COMPLETE": ("MANUAL_LEADS", {"PASS_DISPOSITION": "SALE"}),
    "DO-NOT-CALL": ("MANUAL_LEADS", {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True}),
}


@pytest.mark.parametrize("prior", sorted(PRIOR_STATES))
@pytest.mark.parametrize(
    ("action", "state"), [("CANCEL_LEADS", "CANCELLED"), ("PAUSE_LEADS", "PAUSED")]
)
def test_cancelled_and_paused_leads_keep_no_trace_of_their_prior_state(
    app: Leadstate, prior: str, action: str, state: str
) -> None:
    lead_id = one(app)
    setup, params = PRIOR_STATES[prior]
    act(app, setup, by_id(lead_id), params)
    assert lead(app, lead_id)["leadState"] == prior

    act(app, action, by_id(lead_id))

    spellings = {prior, prior.replace("-", "_")}
    found = raw_row(app, lead_id)
    assert found is not None and found["lead_state"] == state
    for column, value in found.items():
        for spelling in spellings:
            assert spelling not in str(value), f"column {column} keeps {spelling}"
    views = [lead(app, lead_id), *search(app, by_id(lead_id))]
    for view in views:
        for name, value in view.items():
            assert not spellings & {str(value)}, f"{name} shows the prior state"
    (stream,) = app.store.select_streams([Lead.create_id(lead_id)]).values()
    last = bytes(stream[-1].state)
    assert not any(s.encode() in last for s in spellings), "the event carries no prior state"

    for undo, undo_params in [
        ("SUPPRESS_LEADS", None),
        ("UNSUPPRESS_LEADS", None),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "CANCEL"}),
        ("CALLBACK_LEADS", {"ACTION_TYPE": "RESET"}),
        ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": 0}),
    ]:
        act(app, undo, by_id(lead_id), undo_params)
        assert lead(app, lead_id)["leadState"] == state, f"{undo} restored a prior state"
    act(app, "READY_LEADS", by_id(lead_id))
    assert lead(app, lead_id)["leadState"] == "READY", "only a new state leaves it"


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "params", "criteria", "message"),
    [
        ("JUMP_LEADS", None, {"campaignIds": [CAMPAIGN]}, "unknown leadAction"),
        ("READY_LEADS", {"FAST": True}, {"campaignIds": [CAMPAIGN]}, "unknown parameter"),
        ("MANUAL_LEADS", {"REQUEUE": True}, {"campaignIds": [CAMPAIGN]}, "PASS_DISPOSITION"),
        (
            "MANUAL_LEADS",
            {"PASS_DISPOSITION": "X", "REQUEUE": "maybe"},
            {"campaignIds": [CAMPAIGN]},
            "REQUEUE",
        ),
        (
            "MANUAL_LEADS",
            {"PASS_DISPOSITION": "X", "PASS_DELAY": -1},
            {"campaignIds": [CAMPAIGN]},
            "PASS_DELAY",
        ),
        ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 20}, {"campaignIds": [CAMPAIGN]}, "LIST_ID"),
        (
            "MOVE_TO_CAMPAIGN",
            {"CAMPAIGN_ID": 20, "LIST_ID": 0},
            {"campaignIds": [CAMPAIGN]},
            "LIST_NAME",
        ),
        (
            "CALLBACK_LEADS",
            {"ACTION_TYPE": "AGENT"},
            {"campaignIds": [CAMPAIGN]},
            "RESERVATION_AGENT_ID",
        ),
        (
            "CALLBACK_LEADS",
            {"ACTION_TYPE": "SET", "CALLBACK_DATE": "soon"},
            {"campaignIds": [CAMPAIGN]},
            "CALLBACK_DATE",
        ),
        (
            "EMAIL_LEADS",
            {"EMAIL_TO": "a@example.com, nope"},
            {"campaignIds": [CAMPAIGN]},
            "EMAIL_TO",
        ),
        ("READY_LEADS", None, {}, "selecting criterion"),
        ("READY_LEADS", None, {"suppressed": "ONLY_SUPPRESSED"}, "selecting criterion"),
        ("READY_LEADS", None, {"campaignIds": "10"}, "campaignIds"),
    ],
)
def test_a_bad_request_is_refused_before_anything_changes(
    app: Leadstate,
    action: str,
    params: dict[str, Any] | None,
    criteria: dict[str, Any],
    message: str,
) -> None:
    lead_id = one(app)
    act(app, "PAUSE_LEADS", by_id(lead_id))
    before = raw_row(app, lead_id)
    with pytest.raises(InvalidRequest, match=message):
        act(app, action, criteria, params)
    assert raw_row(app, lead_id) == before
