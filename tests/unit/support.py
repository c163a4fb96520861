"""Builders shared by the unit tests: leads in any state, metas, folds. No I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from leadstate.domain import Lead, LeadAction, LeadState, Meta
from leadstate.requests.params import parse_params

LOADED_AT = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
NOW = datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=UTC)
PHONE = "+1 (555) 010-0001"

# Fields every event carries whatever it records (the envelope plus the Meta).
ENVELOPE = {"originator_id", "originator_version", "timestamp", "at", "actor", "correlation_id"}


def meta(at: datetime = NOW, actor: str = "key-1", correlation_id: str = "req-1") -> Meta:
    """A Meta at `at` (the domain's notion of now)."""
    return Meta(actor=actor, correlation_id=correlation_id, at=at)


def new_lead(
    state: LeadState = LeadState.READY,
    *,
    lead_id: int = 7,
    campaign_id: int = 11,
    list_id: int = 3,
    phone: str = PHONE,
    lead_priority: int = 5,
    max_passes: int | None = 4,
    original_lead_id: int | None = None,
    contact: dict[str, Any] | None = None,
    collect: bool = True,
) -> Lead:
    """A lead loaded at LOADED_AT in `state`; its Loaded event collected unless told."""
    lead = Lead(
        lead_id=lead_id,
        account_id=1,
        campaign_id=campaign_id,
        list_id=list_id,
        extern_id=f"ext-{lead_id}",
        contact=contact if contact is not None else {"firstName": "Ada", "leadPhone": phone},
        lead_state=state.value,
        lead_priority=lead_priority,
        max_passes=max_passes,
        lead_timezone="America/New_York",
        caller_id="5550009999",
        at=LOADED_AT,
        actor="loader",
        correlation_id="load-1",
        original_lead_id=original_lead_id,
    )
    if collect:
        lead.collect_events()
    return lead


def act(lead: Lead, action: LeadAction, params: dict[str, Any] | None = None, **kw: Any) -> bool:
    """Parse `params` for `action` and apply it to `lead` (a domain-level action)."""
    return lead.apply(action, parse_params(action, params), meta(**kw))


def fold(events: Sequence[Any]) -> Lead:
    """Rebuild a lead from its events, as the repository does."""
    aggregate: Any = None
    for domain_event in events:
        aggregate = domain_event.mutate(aggregate)
    assert isinstance(aggregate, Lead)
    return aggregate


def state_of(lead: Lead) -> dict[str, Any]:
    """Every attribute of a lead but its pending events, for comparing folds."""
    return {k: v for k, v in vars(lead).items() if k != "_pending_events"}


def later(minutes: int) -> datetime:
    """NOW plus some minutes."""
    return NOW + timedelta(minutes=minutes)


# A lead in each of these states is reachable by a plain load, for table-driven tests.
EVERY_STATE: tuple[LeadState, ...] = tuple(LeadState)

# Valid params of each one-lead action, for tests that apply "any action".
ONE_LEAD_ACTIONS: dict[str, tuple[LeadAction, dict[str, Any]]] = {
    "reset": (LeadAction.RESET_LEADS, {}),
    "ready": (LeadAction.READY_LEADS, {}),
    "cancel": (LeadAction.CANCEL_LEADS, {}),
    "pause": (LeadAction.PAUSE_LEADS, {}),
    "suppress": (LeadAction.SUPPRESS_LEADS, {}),
    "unsuppress": (LeadAction.UNSUPPRESS_LEADS, {}),
    "delete": (LeadAction.DELETE_LEADS, {}),
    "manual": (LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "SALE"}),
    "manual-requeue": (
        LeadAction.MANUAL_LEADS,
        {"PASS_DISPOSITION": "LATER", "REQUEUE": True, "PASS_DELAY": 30},
    ),
    "manual-dnc": (LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True}),
    "move": (LeadAction.MOVE_TO_CAMPAIGN, {"CAMPAIGN_ID": 12, "LIST_ID": 9}),
    "callback-agent": (
        LeadAction.CALLBACK_LEADS,
        {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 42},
    ),
    "callback-set": (
        LeadAction.CALLBACK_LEADS,
        {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-03-03T10:00:00Z"},
    ),
    "callback-cancel": (LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "CANCEL"}),
    "callback-reset": (LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "RESET"}),
    "reserve": (LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": 42}),
    "unreserve": (LeadAction.AGENT_RESERVATION, {"RESERVATION_AGENT_ID": 0}),
}
