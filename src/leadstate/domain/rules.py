"""The rules of SPEC §2 for one lead, as pure functions of its status: each action either
changes the lead (a `Change`: which event, with which values), changes nothing (None:
a no-op), or may not touch it (`Skipped` with the reason).

The `Lead` aggregate's commands decide with these and then record the event; a bulk
path that decides from read-model rows uses the very same functions: one copy of the
rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from leadstate.domain.errors import Skipped
from leadstate.domain.params import ActionParams, CallbackType, LeadAction
from leadstate.domain.values import CALLBACK_STATES, LeadState


class Status(Protocol):
    """What the rules read of a lead."""

    @property
    def lead_state(self) -> str: ...

    @property
    def lead_passes(self) -> int: ...

    @property
    def next_dial_time(self) -> datetime | None: ...

    @property
    def pending_agent_id(self) -> int | None: ...

    @property
    def suppressed(self) -> bool: ...

    @property
    def deleted(self) -> bool: ...


@dataclass(frozen=True)
class Change:
    """The event an action records on a lead (named as the lead's events are), and the
    values it carries besides its meta."""

    event: str
    values: dict[str, Any] = field(default_factory=dict)


def check_touchable(status: Status, *, dnc_skips: bool) -> None:
    """Skipped when the lead is gone, transitioned or (for actions that make it dialable)
    on the do-not-call list."""
    if status.deleted:
        raise Skipped("deleted")
    if status.lead_state == LeadState.TRANSITIONED.value:
        raise Skipped("transitioned")
    if dnc_skips and status.lead_state == LeadState.DO_NOT_CALL.value:
        raise Skipped("do-not-call")


def _present(status: Status) -> None:
    if status.deleted:
        raise Skipped("deleted")


def reset(status: Status, at: datetime) -> Change | None:
    """RESET_LEADS: READY, passes 0, due now; reservation kept."""
    check_touchable(status, dnc_skips=True)
    if (
        status.lead_state == LeadState.READY.value
        and status.lead_passes == 0
        and status.next_dial_time is not None
        and status.next_dial_time <= at
    ):
        return None
    return Change("Reset")


def ready(status: Status) -> Change | None:
    """READY_LEADS: state READY, nothing else."""
    check_touchable(status, dnc_skips=True)
    return None if status.lead_state == LeadState.READY.value else Change("Readied")


def cancel(status: Status) -> Change | None:
    """CANCEL_LEADS: CANCELLED; the prior state is forgotten, not kept."""
    check_touchable(status, dnc_skips=False)
    return None if status.lead_state == LeadState.CANCELLED.value else Change("Cancelled")


def pause(status: Status) -> Change | None:
    """PAUSE_LEADS: exactly as cancel, but PAUSED."""
    check_touchable(status, dnc_skips=False)
    return None if status.lead_state == LeadState.PAUSED.value else Change("Paused")


def suppress(status: Status) -> Change | None:
    """SUPPRESS_LEADS: an overlay; the state is untouched."""
    _present(status)
    return None if status.suppressed else Change("Suppressed")


def unsuppress(status: Status) -> Change | None:
    """UNSUPPRESS_LEADS: the lead shows whatever state it has."""
    _present(status)
    return Change("Unsuppressed") if status.suppressed else None


def delete(status: Status) -> Change | None:
    """DELETE_LEADS: the lead leaves the system."""
    _present(status)
    return Change("Deleted")


def manual_pass(status: Status, params: ActionParams, at: datetime) -> Change:
    """MANUAL_LEADS: one manual pass, then DNC, requeue or complete."""
    check_touchable(status, dnc_skips=False)
    if params.do_not_call:
        outcome = LeadState.DO_NOT_CALL
    elif params.requeue:
        outcome = LeadState.READY
    else:
        outcome = LeadState.COMPLETE
    next_dial = (
        at + timedelta(minutes=params.pass_delay_min)
        if outcome is LeadState.READY
        else status.next_dial_time
    )
    return Change(
        "ManualPassRecorded",
        {
            "disposition": params.pass_disposition,
            "outcome": outcome.value,
            "next_dial_time": next_dial,
        },
    )


def callback(status: Status, params: ActionParams, at: datetime) -> Change | None:
    """CALLBACK_LEADS with ACTION_TYPE AGENT, SET, CANCEL or RESET."""
    check_touchable(status, dnc_skips=True)
    state = status.lead_state
    kind = params.callback_type
    if kind is CallbackType.AGENT:
        when = params.callback_date or at
        if (
            state == LeadState.AGENT_CALLBACK.value
            and status.pending_agent_id == params.agent_id
            and status.next_dial_time == when
        ):
            return None
        return Change(
            "AgentCallbackScheduled", {"agent_id": params.agent_id, "callback_date": when}
        )
    if kind is CallbackType.SET:
        when = params.callback_date or at
        if state == LeadState.CALLBACK.value and status.next_dial_time == when:
            return None
        return Change("CallbackScheduled", {"callback_date": when})
    callbacks = {s.value for s in CALLBACK_STATES}
    if kind is CallbackType.CANCEL:
        return Change("CallbackCancelled") if state in callbacks else None
    resettable = {*callbacks, LeadState.CALLBACK_CANCELLED.value}
    return Change("CallbackReset") if state in resettable else None


def reserve(status: Status, agent_id: int) -> Change | None:
    """AGENT_RESERVATION: only `agent_id` may get the lead; 0 clears it."""
    check_touchable(status, dnc_skips=False)
    wanted = agent_id or None
    return (
        None if status.pending_agent_id == wanted else Change("AgentReserved", {"agent_id": wanted})
    )


def decide(action: LeadAction, params: ActionParams, status: Status, at: datetime) -> Change | None:
    """What `action` does to a lead in `status` at `at` (every one-lead action but MOVE,
    whose copies involve other leads). Skipped when the lead may not be touched."""
    if action is LeadAction.RESET_LEADS:
        return reset(status, at)
    if action is LeadAction.READY_LEADS:
        return ready(status)
    if action is LeadAction.CANCEL_LEADS:
        return cancel(status)
    if action is LeadAction.PAUSE_LEADS:
        return pause(status)
    if action is LeadAction.SUPPRESS_LEADS:
        return suppress(status)
    if action is LeadAction.UNSUPPRESS_LEADS:
        return unsuppress(status)
    if action is LeadAction.DELETE_LEADS:
        return delete(status)
    if action is LeadAction.MANUAL_LEADS:
        return manual_pass(status, params, at)
    if action is LeadAction.CALLBACK_LEADS:
        return callback(status, params, at)
    if action is LeadAction.AGENT_RESERVATION:
        return reserve(status, params.agent_id)
    raise ValueError(f"{action.value} is not decided lead by lead")
