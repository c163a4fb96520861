"""Dial attempts and call records (SPEC §4): what a call did to a lead, without personal data.

A dial attempt is recorded on the lead's own stream (`Lead.record_dial_attempt`); every
pass, dialled or manual, leaves a `CallRecord` in the lead's state, which the calls read
model keeps even after the lead is deleted (it holds ids, dispositions and times only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from leadstate.domain.errors import InvalidRequest
from leadstate.domain.values import MAX_INT32, SYSTEM_DISPOSITIONS, LeadState, parse_time

DIAL_ATTEMPT = "DIAL_ATTEMPT"
MANUAL_PASS = "MANUAL_PASS"

MAX_UII_LENGTH = 128
MAX_DISPOSITION_LENGTH = 255
MAX_TALK_TIME = 7 * 86_400

# The terminal outcomes by system disposition; any other requeues or reaches the limit.
_OUTCOMES = {
    "ANSWER": LeadState.COMPLETE,
    "APP_DNC": LeadState.DO_NOT_CALL,
    "DISCONNECT": LeadState.DISCONNECTED,
    "INTERCEPT": LeadState.INTERCEPT,
}
# MANUAL_PASS is what MANUAL_LEADS records; a dialer does not send it.
DIAL_DISPOSITIONS = tuple(d for d in SYSTEM_DISPOSITIONS if d != "MANUAL_PASS")


@dataclass(frozen=True)
class DialAttempt:
    """A dial attempt as a dialer reports it (`POST .../campaignLeads/{leadId}/calls`)."""

    uii: str
    agent_id: int
    system_disposition: str
    agent_disposition: str | None
    talk_time: int
    start_time: datetime | None = None

    @classmethod
    def parse(cls, body: Mapping[str, Any]) -> DialAttempt:
        """Check a request body; a 400 naming the field on anything wrong."""
        uii = body.get("uii")
        if not isinstance(uii, str) or not uii.strip():
            raise InvalidRequest("uii is required: the call's unique interaction id (a string)")
        uii = uii.strip()
        if len(uii) > MAX_UII_LENGTH or not uii.isprintable():
            raise InvalidRequest(f"uii must be printable text of at most {MAX_UII_LENGTH} chars")
        agent = body.get("agentId")
        if isinstance(agent, str) and agent.strip().isdigit():
            agent = int(agent.strip())
        if isinstance(agent, bool) or not isinstance(agent, int) or not 1 <= agent <= MAX_INT32:
            raise InvalidRequest("agentId is required: a positive whole number (int32)")
        disposition = body.get("systemDisposition")
        if not isinstance(disposition, str) or disposition.strip().upper() not in DIAL_DISPOSITIONS:
            raise InvalidRequest(f"systemDisposition must be one of {', '.join(DIAL_DISPOSITIONS)}")
        agent_disposition = body.get("agentDisposition")
        if agent_disposition is not None and (
            not isinstance(agent_disposition, str)
            or len(agent_disposition) > MAX_DISPOSITION_LENGTH
        ):
            raise InvalidRequest(
                f"agentDisposition must be text of at most {MAX_DISPOSITION_LENGTH} chars"
            )
        talk = body.get("talkTime", 0)
        if talk is None:
            talk = 0
        if isinstance(talk, str) and talk.strip().isdigit():
            talk = int(talk.strip())
        if isinstance(talk, bool) or not isinstance(talk, int) or not 0 <= talk <= MAX_TALK_TIME:
            raise InvalidRequest(f"talkTime must be whole seconds from 0 to {MAX_TALK_TIME}")
        start = body.get("startTime")
        started: datetime | None = None
        if start is not None:
            try:
                started = parse_time(start)
            except (ValueError, TypeError) as error:
                raise InvalidRequest(f"startTime: {error}") from None
        return cls(
            uii=uii,
            agent_id=agent,
            system_disposition=disposition.strip().upper(),
            agent_disposition=agent_disposition,
            talk_time=talk,
            start_time=started,
        )


@dataclass(frozen=True)
class CallRecord:
    """One pass of a lead as the calls read model keeps it: no personal data."""

    lead_id: int
    account_id: int
    campaign_id: int
    version: int
    kind: str
    uii: str | None
    agent_id: int | None
    system_disposition: str
    agent_disposition: str | None
    talk_time: int
    start_time: datetime
    recorded_at: datetime
    lead_state: str
    lead_passes: int

    @property
    def key(self) -> str:
        """The record's key: the lead and the version of the event that made it."""
        return f"{self.lead_id}:{self.version}"


def dial_outcome(
    system_disposition: str, passes_after: int, max_passes: int
) -> tuple[LeadState, bool]:
    """The lead's state after a dial attempt, and whether it is requeued (SPEC §4)."""
    terminal = _OUTCOMES.get(system_disposition)
    if terminal is not None:
        return terminal, False
    if passes_after >= max_passes:
        return LeadState.MAX_DIAL_LIMIT, False
    return LeadState.READY, True
