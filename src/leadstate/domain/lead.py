"""The Lead aggregate: every rule of SPEC §2 for one lead, as events on its own stream.

Public command methods check and decide; private `@event` methods only assign, so a
replay is deterministic and never re-checks. Contact data (personal data) travels in the
`contact` attribute of the events that carry it; the persistence layer encrypts it with
a per-lead key and erases it once that key is destroyed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.domain import Aggregate, event

from leadstate.domain import rules
from leadstate.domain.calls import DIAL_ATTEMPT, MANUAL_PASS, CallRecord, DialAttempt, dial_outcome
from leadstate.domain.edits import LeadEdit
from leadstate.domain.errors import Conflict, InvalidRequest, Skipped
from leadstate.domain.meta import Meta, is_erased
from leadstate.domain.params import ActionParams, LeadAction
from leadstate.domain.rules import Change
from leadstate.domain.values import (
    DIALABLE_STATES,
    LeadState,
    normalize_phone,
)

# The high 64 bits of every lead's stream id; its leadId is the low 64 bits, so the
# streams of consecutive leads are neighbours in every index keyed by stream id.
LEAD_STREAMS = 0x6C65_6164_0000_0002


# The private @event method that records each event a rule can decide.
_RECORDERS = {
    "Reset": "_reset",
    "Readied": "_ready",
    "Cancelled": "_cancel",
    "Paused": "_pause",
    "Suppressed": "_suppress",
    "Unsuppressed": "_unsuppress",
    "Deleted": "_delete",
    "ManualPassRecorded": "_manual_pass",
    "AgentCallbackScheduled": "_agent_callback",
    "CallbackScheduled": "_callback",
    "CallbackCancelled": "_callback_cancel",
    "CallbackReset": "_callback_reset",
    "AgentReserved": "_reserve",
}


class Lead(Aggregate):
    """One lead's dialing state, with its contact data."""

    if TYPE_CHECKING:  # not a runtime annotation: the library would make Lead a dataclass
        calls: tuple[CallRecord, ...]
    # Every pass (dial attempt or manual), oldest first. A snapshot made from a read-model
    # row starts empty: only a lead folded from its events has its whole call history.
    calls = ()

    @staticmethod
    def create_id(lead_id: int) -> UUID:
        """The stream id of lead `lead_id` (leadIds are unique in the service), ordered
        as leadIds are."""
        return UUID(int=(LEAD_STREAMS << 64) | lead_id)

    @event("Loaded")
    def __init__(
        self,
        lead_id: int,
        account_id: int,
        campaign_id: int,
        list_id: int,
        extern_id: str,
        contact: Mapping[str, Any],
        lead_state: str,
        lead_priority: int,
        max_passes: int | None,
        lead_timezone: str | None,
        caller_id: str | None,
        at: datetime,
        actor: str,
        correlation_id: str,
        original_lead_id: int | None = None,
        pending_agent_id: int | None = None,
    ) -> None:
        self.lead_id = lead_id
        self.account_id = account_id
        self.campaign_id = campaign_id
        self.list_id = list_id
        self.extern_id = extern_id
        # Kept as given: persistence may hand over a mapping that decrypts on first use.
        self.contact: Mapping[str, Any] = contact
        self.lead_state = lead_state
        self.lead_passes = 0
        self.max_passes = max_passes
        self.next_dial_time: datetime | None = at
        self.last_pass_dts: datetime | None = None
        self.last_pass_disposition: str | None = None
        self.agent_disposition: str | None = None
        self.last_pass_agent_id: int | None = None
        self.suppressed = False
        self.pending_agent_id = pending_agent_id
        self.lead_priority = lead_priority
        self.lead_timezone = lead_timezone
        self.caller_id = caller_id
        self.loaded_dts = at
        self.state_dts = at
        self.original_lead_id = original_lead_id
        self.deleted = False

    class Copied(Aggregate.Created):
        """A copy of another lead was created by MOVE_TO_CAMPAIGN (copy or transition)."""

        lead_id: int
        account_id: int
        campaign_id: int
        list_id: int
        extern_id: str
        contact: Mapping[str, Any]
        lead_state: str
        lead_priority: int
        max_passes: int | None
        lead_timezone: str | None
        caller_id: str | None
        at: datetime
        actor: str
        correlation_id: str
        original_lead_id: int | None

    @classmethod
    def copy_of(
        cls, original: Lead, *, lead_id: int, campaign_id: int, list_id: int, meta: Meta
    ) -> Lead:
        """A new READY lead in the target campaign with the original's data (SPEC §2 MOVE)."""
        return cls._create(
            cls.Copied,
            id=cls.create_id(lead_id),
            lead_id=lead_id,
            account_id=original.account_id,
            campaign_id=campaign_id,
            list_id=list_id,
            extern_id=original.extern_id,
            contact=dict(original.contact),
            lead_state=LeadState.READY.value,
            lead_priority=original.lead_priority,
            max_passes=original.max_passes,
            lead_timezone=original.lead_timezone,
            caller_id=original.caller_id,
            at=meta.at,
            original_lead_id=original.lead_id,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )

    # -- reading ---------------------------------------------------------------------

    @property
    def state(self) -> LeadState:
        """The lead's state as an enum."""
        return LeadState(self.lead_state)

    @property
    def phone(self) -> str:
        """The lead's phone, digits only."""
        return normalize_phone(self.contact.get("leadPhone"))

    @property
    def personal_data_erased(self) -> bool:
        """True once the lead's contact data was crypto-shredded."""
        return is_erased(self.contact)

    # -- commands (decide with `rules`, then call one private @event method) -------

    def _record(self, change: Change | None, meta: Meta) -> bool:
        """Record what a rule decided; False for a no-op."""
        if change is None:
            return False
        record: Callable[..., None] = getattr(self, _RECORDERS[change.event])
        record(**change.values, at=meta.at, actor=meta.actor, correlation_id=meta.correlation_id)
        return True

    def reset(self, meta: Meta) -> bool:
        """RESET_LEADS: READY, passes 0, due now; reservation kept."""
        return self._record(rules.reset(self, meta.at), meta)

    @event("Reset")
    def _reset(self, at: datetime, actor: str, correlation_id: str) -> None:
        if self.lead_state != LeadState.READY.value:  # stateDts: the last state *change*
            self.state_dts = at
        self.lead_state = LeadState.READY.value
        self.lead_passes = 0
        self.next_dial_time = at

    def ready(self, meta: Meta) -> bool:
        """READY_LEADS: state READY, nothing else."""
        return self._record(rules.ready(self), meta)

    @event("Readied")
    def _ready(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.lead_state = LeadState.READY.value
        self.state_dts = at

    def cancel(self, meta: Meta) -> bool:
        """CANCEL_LEADS: CANCELLED; the prior state is forgotten, not kept."""
        return self._record(rules.cancel(self), meta)

    @event("Cancelled")
    def _cancel(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.lead_state = LeadState.CANCELLED.value
        self.state_dts = at

    def pause(self, meta: Meta) -> bool:
        """PAUSE_LEADS: exactly as cancel, but PAUSED."""
        return self._record(rules.pause(self), meta)

    @event("Paused")
    def _pause(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.lead_state = LeadState.PAUSED.value
        self.state_dts = at

    def suppress(self, meta: Meta) -> bool:
        """SUPPRESS_LEADS: an overlay; the state is untouched."""
        return self._record(rules.suppress(self), meta)

    @event("Suppressed")
    def _suppress(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.suppressed = True

    def unsuppress(self, meta: Meta) -> bool:
        """UNSUPPRESS_LEADS: the lead shows whatever state it has."""
        return self._record(rules.unsuppress(self), meta)

    @event("Unsuppressed")
    def _unsuppress(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.suppressed = False

    def delete(self, meta: Meta) -> bool:
        """DELETE_LEADS: the lead leaves the system (its key is destroyed by persistence)."""
        return self._record(rules.delete(self), meta)

    @event("Deleted")
    def _delete(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.deleted = True

    def manual_pass(self, params: ActionParams, meta: Meta) -> bool:
        """MANUAL_LEADS: one manual pass, then DNC, requeue or complete."""
        return self._record(rules.manual_pass(self, params, meta.at), meta)

    @event("ManualPassRecorded")
    def _manual_pass(
        self,
        disposition: str,
        outcome: str,
        next_dial_time: datetime | None,
        at: datetime,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.lead_passes += 1
        self.last_pass_disposition = "MANUAL_PASS"
        self.agent_disposition = disposition
        self.last_pass_dts = at
        if outcome != self.lead_state:
            self.state_dts = at
        self.lead_state = outcome
        self.next_dial_time = next_dial_time
        self._add_call(MANUAL_PASS, None, None, "MANUAL_PASS", disposition, 0, at, at)

    def _add_call(
        self,
        kind: str,
        uii: str | None,
        agent_id: int | None,
        system_disposition: str,
        agent_disposition: str | None,
        talk_time: int,
        start_time: datetime,
        at: datetime,
    ) -> None:
        """Inside an event method: remember the pass as a call record (no personal data)."""
        record = CallRecord(
            lead_id=self.lead_id,
            account_id=self.account_id,
            campaign_id=self.campaign_id,
            version=self.version + 1,  # the event being applied
            kind=kind,
            uii=uii,
            agent_id=agent_id,
            system_disposition=system_disposition,
            agent_disposition=agent_disposition,
            talk_time=talk_time,
            start_time=start_time,
            recorded_at=at,
            lead_state=self.lead_state,
            lead_passes=self.lead_passes,
        )
        self.calls = (*self.calls, record)

    def call_with_uii(self, uii: str) -> CallRecord | None:
        """The dial attempt already recorded with this UII, if any."""
        return next((c for c in self.calls if c.kind == DIAL_ATTEMPT and c.uii == uii), None)

    def not_dialable_because(
        self, now: datetime, agent_id: int | None, *, phone_on_dnc: bool
    ) -> str | None:
        """Why the lead is not dialable now (for `agent_id`), or None when it is (SPEC §1)."""
        if self.deleted:
            return "it was deleted"
        if self.state not in DIALABLE_STATES:
            return f"its state is {self.lead_state}"
        if self.suppressed:
            return "it is suppressed"
        if self.next_dial_time is None or self.next_dial_time > now:
            due = self.next_dial_time.isoformat() if self.next_dial_time else "never"
            return f"it is not due before {due}"
        if phone_on_dnc:
            return "its phone is on the do-not-call list"
        if self.pending_agent_id is not None and self.pending_agent_id != agent_id:
            return f"it is reserved for agent {self.pending_agent_id}"
        return None

    def record_dial_attempt(
        self,
        attempt: DialAttempt,
        *,
        campaign_max_passes: int,
        pass_delay_min: int,
        phone_on_dnc: bool,
        meta: Meta,
    ) -> tuple[CallRecord, bool]:
        """A dial attempt (SPEC §4): (its call record, True if newly recorded).

        The same UII again answers the first record and records nothing. Only a lead
        dialable for the attempt's agent accepts one (Conflict otherwise). The lead's own
        `maxPasses` wins over the campaign's.
        """
        known = self.call_with_uii(attempt.uii)
        if known is not None:
            return known, False
        reason = self.not_dialable_because(meta.at, attempt.agent_id, phone_on_dnc=phone_on_dnc)
        if reason is not None:
            raise Conflict(f"lead {self.lead_id} is not dialable: {reason}")
        limit = self.max_passes if self.max_passes is not None else campaign_max_passes
        outcome, requeued = dial_outcome(attempt.system_disposition, self.lead_passes + 1, limit)
        self._dial_attempt(
            uii=attempt.uii,
            agent_id=attempt.agent_id,
            system_disposition=attempt.system_disposition,
            agent_disposition=attempt.agent_disposition,
            talk_time=attempt.talk_time,
            start_time=attempt.start_time or meta.at,
            outcome=outcome.value,
            next_dial_time=(
                meta.at + timedelta(minutes=pass_delay_min) if requeued else self.next_dial_time
            ),
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )
        return self.calls[-1], True

    @event("DialAttemptRecorded")
    def _dial_attempt(
        self,
        uii: str,
        agent_id: int,
        system_disposition: str,
        agent_disposition: str | None,
        talk_time: int,
        start_time: datetime,
        outcome: str,
        next_dial_time: datetime | None,
        at: datetime,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.lead_passes += 1
        self.last_pass_dts = start_time
        self.last_pass_disposition = system_disposition
        self.agent_disposition = agent_disposition
        self.last_pass_agent_id = agent_id
        self.pending_agent_id = None
        if outcome != self.lead_state:
            self.state_dts = at
        self.lead_state = outcome
        self.next_dial_time = next_dial_time
        self._add_call(
            DIAL_ATTEMPT,
            uii,
            agent_id,
            system_disposition,
            agent_disposition,
            talk_time,
            start_time,
            at,
        )

    def move(self, campaign_id: int, list_id: int, meta: Meta) -> bool:
        """MOVE_TO_CAMPAIGN without copy: campaign and list change, all else kept."""
        if self.deleted:
            raise Skipped("deleted")
        if self.campaign_id == campaign_id and self.list_id == list_id:
            return False
        self._move(
            campaign_id=campaign_id,
            list_id=list_id,
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )
        return True

    @event("MovedToCampaign")
    def _move(
        self, campaign_id: int, list_id: int, at: datetime, actor: str, correlation_id: str
    ) -> None:
        self.campaign_id = campaign_id
        self.list_id = list_id

    def transition(self, copy_lead_id: int, meta: Meta) -> bool:
        """The original of a TRANSITION copy becomes TRANSITIONED."""
        if self.deleted:
            raise Skipped("deleted")
        if self.state is LeadState.TRANSITIONED:
            return False
        self._transition(
            copy_lead_id=copy_lead_id,
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )
        return True

    @event("Transitioned")
    def _transition(self, copy_lead_id: int, at: datetime, actor: str, correlation_id: str) -> None:
        self.lead_state = LeadState.TRANSITIONED.value
        self.state_dts = at

    def callback(self, params: ActionParams, meta: Meta) -> bool:
        """CALLBACK_LEADS with ACTION_TYPE AGENT, SET, CANCEL or RESET."""
        return self._record(rules.callback(self, params, meta.at), meta)

    @event("AgentCallbackScheduled")
    def _agent_callback(
        self, agent_id: int, callback_date: datetime, at: datetime, actor: str, correlation_id: str
    ) -> None:
        if self.lead_state != LeadState.AGENT_CALLBACK.value:
            self.state_dts = at
        self.lead_state = LeadState.AGENT_CALLBACK.value
        self.pending_agent_id = agent_id
        self.next_dial_time = callback_date

    @event("CallbackScheduled")
    def _callback(
        self, callback_date: datetime, at: datetime, actor: str, correlation_id: str
    ) -> None:
        if self.lead_state != LeadState.CALLBACK.value:
            self.state_dts = at
        self.lead_state = LeadState.CALLBACK.value
        self.next_dial_time = callback_date

    @event("CallbackCancelled")
    def _callback_cancel(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.lead_state = LeadState.CALLBACK_CANCELLED.value
        self.pending_agent_id = None
        self.state_dts = at

    @event("CallbackReset")
    def _callback_reset(self, at: datetime, actor: str, correlation_id: str) -> None:
        self.lead_state = LeadState.READY.value
        self.pending_agent_id = None
        self.state_dts = at

    def reserve(self, agent_id: int, meta: Meta) -> bool:
        """AGENT_RESERVATION: only `agent_id` may get the lead; 0 clears it."""
        return self._record(rules.reserve(self, agent_id), meta)

    @event("AgentReserved")
    def _reserve(self, agent_id: int | None, at: datetime, actor: str, correlation_id: str) -> None:
        self.pending_agent_id = agent_id

    def edit(self, edit: LeadEdit, meta: Meta) -> bool:
        """Edit contact fields, `leadPriority`, `maxPasses`, `leadTimezone`, `callerId`."""
        if self.deleted:
            raise Skipped("deleted")
        contact = {k: v for k, v in edit.contact.items() if self.contact.get(k) != v}
        settings = {k: v for k, v in edit.settings.items() if getattr(self, k) != v}
        if not contact and not settings:
            return False
        self._edit(
            contact=contact,
            settings=settings,
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )
        return True

    @event("Edited")
    def _edit(
        self,
        contact: dict[str, Any],
        settings: dict[str, Any],
        at: datetime,
        actor: str,
        correlation_id: str,
    ) -> None:
        if is_erased(contact):
            self.contact = dict(contact)
        elif not self.personal_data_erased:
            self.contact = {**self.contact, **contact}
        for attr, value in settings.items():
            setattr(self, attr, value)

    def apply(self, action: LeadAction, params: ActionParams, meta: Meta) -> bool:
        """Apply a one-lead action; True if it changed the lead, False if a no-op.

        MOVE_TO_CAMPAIGN copies and MERGE_ORIGINAL involve other leads and are
        orchestrated by the application; everything else is decided by `rules`.
        """
        if action is LeadAction.MOVE_TO_CAMPAIGN:
            return self.move(params.campaign_id, params.list_id, meta)
        if action in (LeadAction.EMAIL_LEADS, LeadAction.DIALER_REFRESH):
            raise InvalidRequest(f"{action.value} does not change leads one by one")
        return self._record(rules.decide(action, params, self, meta.at), meta)
