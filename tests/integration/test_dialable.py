"""The dialable queue on both backends: order, exclusions, agents (SPEC §1, §6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import InvalidRequest, utcnow
from leadstate.requests.calls import parse_dial_attempt
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    OTHER_ACCOUNT,
    OTHER_CAMPAIGN,
    act,
    lead,
    load,
    meta,
    row,
    unique_phone,
)


def queue(app: Leadstate, **kw: object) -> list[int]:
    """leadIds of `GET .../campaigns/{CAMPAIGN}/dialable`."""
    return [v["leadId"] for v in app.dialing.dialable(ACCOUNT, CAMPAIGN, **kw)]  # type: ignore[arg-type]


def test_order_is_priority_desc_then_next_dial_time_then_lead_id(app: Leadstate) -> None:
    now = utcnow()
    low_old = load(app, [row(leadPriority=1)], when=now - timedelta(hours=3)).lead_ids[0]
    high = load(app, [row(leadPriority=9), row(leadPriority=9)], when=now - timedelta(hours=1))
    low_older = load(app, [row(leadPriority=1)], when=now - timedelta(hours=5)).lead_ids[0]
    immediate = load(app, [row()], dial_priority="IMMEDIATE", when=now - timedelta(minutes=1))
    assert queue(app) == [immediate.lead_ids[0], *high.lead_ids, low_older, low_old]
    assert queue(app, limit=2) == [immediate.lead_ids[0], high.lead_ids[0]]


def test_only_due_unsuppressed_leads_in_dialable_states_not_on_dnc(app: Leadstate) -> None:
    (
        ready,
        suppressed,
        cancelled,
        paused,
        complete,
        callback_due,
        callback_later,
        dnc_state,
        requeued_later,
    ) = load(app, [row() for _ in range(9)]).lead_ids
    dnc_phone = unique_phone()
    twin_on_dnc = load(app, [row(phone=dnc_phone)]).lead_ids[0]
    other = load(app, [row(phone=dnc_phone)], campaign=OTHER_CAMPAIGN).lead_ids[0]
    foreign = load(app, [row()], account=OTHER_ACCOUNT).lead_ids

    act(app, "SUPPRESS_LEADS", {"leadIds": [suppressed]})
    act(app, "CANCEL_LEADS", {"leadIds": [cancelled]})
    act(app, "PAUSE_LEADS", {"leadIds": [paused]})
    act(app, "MANUAL_LEADS", {"leadIds": [complete]}, {"PASS_DISPOSITION": "SALE"})
    past = (utcnow() - timedelta(minutes=5)).isoformat()
    future = (utcnow() + timedelta(hours=2)).isoformat()
    act(
        app,
        "CALLBACK_LEADS",
        {"leadIds": [callback_due]},
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": past},
    )
    act(
        app,
        "CALLBACK_LEADS",
        {"leadIds": [callback_later]},
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": future},
    )
    act(
        app,
        "MANUAL_LEADS",
        {"leadIds": [requeued_later]},
        {"PASS_DISPOSITION": "LATER", "REQUEUE": True, "PASS_DELAY": 30},
    )
    # The phone joins the DNC list through another campaign's lead: no campaign dials it.
    act(
        app, "MANUAL_LEADS", {"leadIds": [other]}, {"PASS_DISPOSITION": "STOP", "DO_NOT_CALL": True}
    )
    act(
        app,
        "MANUAL_LEADS",
        {"leadIds": [dnc_state]},
        {"PASS_DISPOSITION": "STOP", "DO_NOT_CALL": True},
    )

    assert lead(app, twin_on_dnc)["leadState"] == "READY"
    assert sorted(queue(app)) == sorted([ready, callback_due])
    assert app.dialing.dialable(ACCOUNT, OTHER_CAMPAIGN) == []
    theirs = [v["leadId"] for v in app.dialing.dialable(OTHER_ACCOUNT, CAMPAIGN)]
    assert theirs == foreign, "campaign ids are per account"
    later = utcnow() + timedelta(hours=3)
    assert sorted(queue(app, now=later)) == sorted(
        [ready, callback_due, callback_later, requeued_later]
    )


def test_reserved_leads_are_dialable_only_for_their_agent(app: Leadstate) -> None:
    free, reserved, agent_callback = load(app, [row(), row(), row()]).lead_ids
    act(app, "AGENT_RESERVATION", {"leadIds": [reserved]}, {"RESERVATION_AGENT_ID": 7})
    act(
        app,
        "CALLBACK_LEADS",
        {"leadIds": [agent_callback]},
        {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 8},
    )
    assert queue(app) == [free]
    assert sorted(queue(app, agent_id=7)) == [free, reserved]
    assert sorted(queue(app, agent_id=8)) == [free, agent_callback]


def test_the_queue_is_a_preview_that_claims_nothing(app: Leadstate) -> None:
    lead_ids = load(app, [row(), row()]).lead_ids
    assert queue(app) == lead_ids
    assert queue(app) == lead_ids, "asking again shows the same leads"
    app.dialing.record_call(
        ACCOUNT,
        lead_ids[0],
        parse_dial_attempt({"uii": "q-1", "agentId": 3, "systemDisposition": "ANSWER"}),
        meta(),
    )
    assert queue(app) == lead_ids[1:], "a completed lead leaves the queue"
    with pytest.raises(InvalidRequest, match="limit"):
        queue(app, limit=0)
