"""Dial attempts and call records (SPEC §4): what a call did to a lead, without personal data.

A dial attempt is recorded on the lead's own stream (`Lead.record_dial_attempt`); every
pass, dialled or manual, leaves a `CallRecord` in the lead's state, which the calls read
model keeps even after the lead is deleted (it holds ids, dispositions and times only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from leadstate.domain.values import SYSTEM_DISPOSITIONS, LeadState

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
    """A dial attempt as a dialer reports it (`POST .../campaignLeads/{leadId}/calls`;
    `leadstate.requests.calls` parses the body)."""

    uii: str
    agent_id: int
    system_disposition: str
    agent_disposition: str | None
    talk_time: int
    start_time: datetime | None = None


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
