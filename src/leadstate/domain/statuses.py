"""One action decided for many leads from their statuses alone: no contact data, no
aggregate objects, one event object per distinct change.

The same rules (`rules.decide`) as a `Lead` command, and the same event bodies: each
event is the `Lead` event class the command records, applied to the status with the
event's own `apply` (the `@event` method's body). A batch path that saves these events
and the changed status columns stores exactly what the aggregate's command would.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from leadstate.domain import rules
from leadstate.domain.errors import Skipped
from leadstate.domain.lead import Lead
from leadstate.domain.meta import Meta
from leadstate.domain.params import ActionParams, LeadAction

# Actions whose every effect on a lead is its status (no contact data, no call record,
# no other aggregate): the ones a batch may decide from status rows.
STATUS_ACTIONS = frozenset(
    {
        LeadAction.RESET_LEADS,
        LeadAction.READY_LEADS,
        LeadAction.CANCEL_LEADS,
        LeadAction.PAUSE_LEADS,
        LeadAction.SUPPRESS_LEADS,
        LeadAction.UNSUPPRESS_LEADS,
        LeadAction.CALLBACK_LEADS,
        LeadAction.AGENT_RESERVATION,
    }
)


@dataclass(slots=True)
class LeadStatus:
    """Everything of a lead but its contact data and call history, as of `version`."""

    lead_id: int
    account_id: int
    campaign_id: int
    list_id: int
    extern_id: str
    lead_state: str
    lead_passes: int
    max_passes: int | None
    next_dial_time: datetime | None
    last_pass_dts: datetime | None
    last_pass_disposition: str | None
    agent_disposition: str | None
    last_pass_agent_id: int | None
    suppressed: bool
    pending_agent_id: int | None
    lead_priority: int
    lead_timezone: str | None
    caller_id: str | None
    loaded_dts: datetime
    state_dts: datetime
    original_lead_id: int | None
    version: int
    deleted: bool = False


@dataclass
class StatusDecisions:
    """What one action does to a batch of statuses."""

    # Each changed lead's status (now after its event, `version` its event's) and the
    # event it records: one event object for every lead the same change was decided for
    # (its originator fields are not the lead's; the lead's stream and version are).
    changed: list[tuple[LeadStatus, Any]] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)  # leadId, reason


def event_of(change: rules.Change, meta: Meta) -> Any:
    """The `Lead` event that records `change` (for any lead: its originator fields are
    placeholders, the timestamp is now)."""
    event_class = getattr(Lead, change.event)
    return event_class(
        originator_id=Lead.create_id(0),
        originator_version=0,
        timestamp=event_class.create_timestamp(),
        **change.values,
        at=meta.at,
        actor=meta.actor,
        correlation_id=meta.correlation_id,
    )


def decide_statuses(
    action: LeadAction, params: ActionParams, statuses: list[LeadStatus], meta: Meta
) -> StatusDecisions:
    """Decide `action` for each status (changed in place by its event's body)."""
    if action not in STATUS_ACTIONS:
        raise ValueError(f"{action.value} is not decided from statuses alone")
    decisions = StatusDecisions()
    events: dict[tuple[str, tuple[tuple[str, Any], ...]], Any] = {}
    for status in statuses:
        try:
            change = rules.decide(action, params, status, meta.at)
        except Skipped as skip:
            decisions.skipped.append((status.lead_id, skip.reason))
            continue
        if change is None:
            continue
        shape = (change.event, tuple(sorted(change.values.items())))
        recorded = events.get(shape)
        if recorded is None:
            recorded = events[shape] = event_of(change, meta)
        recorded.apply(status)
        status.version += 1
        decisions.changed.append((status, recorded))
    return decisions
