"""Calls, the do-not-call list and the dialable queue (SPEC §4, §6).

- A dial attempt is get-decide-save on the lead: the domain decides with the campaign's
  pass settings and whether the phone is on the DNC list; an APP_DNC outcome saves the
  phone's `DncEntry` in the same transaction as the lead's event.
- Call records, DNC entries and the dialable queue are read from synchronous read
  models (`calls`, `dnc`, `lead_search`), so a read right after a command sees it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from leadstate.application.guards import lists_on_dnc, uii_not_elsewhere
from leadstate.application.service import Writes
from leadstate.application.views import call_view, dnc_view, record_view
from leadstate.domain import Conflict, InvalidRequest, Lead, LeadState, Meta, NotFound, utcnow
from leadstate.domain.calls import CallRecord, DialAttempt
from leadstate.domain.dnc import SOURCE_APP_DNC, DncEntry
from leadstate.domain.values import normalize_phone
from leadstate.persistence.base import GuardFailed, micros
from leadstate.projections.queries import Queries


def _uii_taken(uii: str, other: int) -> Conflict:
    return Conflict(f"uii {uii!r} was already recorded for lead {other}")


class PassSettings(Protocol):
    """A campaign's pass settings."""

    @property
    def max_passes(self) -> int: ...

    @property
    def pass_delay_min(self) -> int: ...


class Dialing:
    """Dial attempts, call records, the DNC list and the dialable queue of every account."""

    def __init__(
        self,
        writes: Writes,
        queries: Queries,
        campaign_settings: Callable[[int, int], PassSettings],
        lead_views: Callable[[list[Any]], list[dict[str, Any]]],
        *,
        max_rows: int,
    ) -> None:
        self.writes = writes
        self.queries = queries
        self.campaign_settings = campaign_settings
        self.lead_views = lead_views
        self.max_rows = max_rows

    # -- the do-not-call list --------------------------------------------------------

    def dnc_phones(self, account_id: int, phones: Iterable[str]) -> set[str]:
        """Which of these phones (any spelling) are on the account's DNC list (digits)."""
        return self.queries.dnc_listed(account_id, (normalize_phone(x) for x in phones))

    def dnc_list(self, account_id: int) -> list[dict[str, Any]]:
        """The account's DNC list, by phone."""
        return [dnc_view(r) for r in self.queries.dnc_rows(account_id)]

    # -- dial attempts -----------------------------------------------------------------

    def record_call(
        self, account_id: int, lead_id: int, attempt: DialAttempt, meta: Meta
    ) -> dict[str, Any]:
        """Record a dial attempt on a lead dialable for its agent (SPEC §4); the same UII
        again answers the first record and appends nothing. 409 when not dialable."""
        other = self.queries.uii_recorded_elsewhere(account_id, attempt.uii, lead_id)
        if other is not None:
            raise _uii_taken(attempt.uii, other)

        def decide_and_save() -> CallRecord:
            lead = self.writes.load(Lead.create_id(lead_id))
            if not isinstance(lead, Lead) or lead.account_id != account_id or lead.deleted:
                raise NotFound(f"lead {lead_id} not found in account {account_id}")
            known = lead.call_with_uii(attempt.uii)
            if known is not None:
                return known
            settings = self.campaign_settings(account_id, lead.campaign_id)
            on_dnc = bool(lead.phone) and bool(self.dnc_phones(account_id, [lead.phone]))
            record, _new = lead.record_dial_attempt(
                attempt,
                campaign_max_passes=settings.max_passes,
                pass_delay_min=settings.pass_delay_min,
                phone_on_dnc=on_dnc,
                meta=meta,
            )
            to_save: list[Any] = [lead]
            if lead.state is LeadState.DO_NOT_CALL and lead.phone and not on_dnc:
                to_save.append(
                    DncEntry.add(account_id, lead.phone, SOURCE_APP_DNC, meta.at, meta.actor)
                )
            guards = [uii_not_elsewhere(self.queries, account_id, attempt.uii, lead_id)]
            if len(to_save) > 1:
                guards.append(lists_on_dnc(account_id))
            try:
                self.writes.save(*to_save, guards=guards)
            except GuardFailed as failed:
                (taken,) = failed.found
                raise _uii_taken(attempt.uii, int(taken)) from None
            return record

        recorded: CallRecord = self.writes.retrying(decide_and_save)
        return record_view(recorded)

    # -- call records ----------------------------------------------------------------

    def calls(
        self,
        account_id: int,
        *,
        campaign_id: int | None = None,
        agent_id: int | None = None,
        lead_id: int | None = None,
        start: datetime | None = None,
        end: datetime | None = None,
        page: int = 0,
        max_rows: int = 100,
    ) -> list[dict[str, Any]]:
        """Call records by campaign, agent, lead and start time (`from` inclusive, `to`
        exclusive), oldest first; deleted leads' records included."""
        if page < 0:
            raise InvalidRequest("page must be 0 or more")
        if not 1 <= max_rows <= self.max_rows:
            raise InvalidRequest(f"maxRows must be between 1 and {self.max_rows}")
        if start is not None and end is not None and end < start:
            raise InvalidRequest("'to' must not be before 'from'")
        rows = self.queries.calls(
            account_id,
            {"campaign_id": campaign_id, "agent_id": agent_id, "lead_id": lead_id},
            micros(start),
            micros(end),
            max_rows,
            page * max_rows,
        )
        return [call_view(r) for r in rows]

    # -- the dialable queue ------------------------------------------------------------

    def dialable(
        self,
        account_id: int,
        campaign_id: int,
        *,
        limit: int = 100,
        agent_id: int | None = None,
        now: datetime | None = None,
    ) -> list[dict[str, Any]]:
        """The campaign's leads dialable now (SPEC §1), by leadPriority desc, nextDialTime,
        leadId: READY/CALLBACK/AGENT-CALLBACK, not suppressed, due, phone not on the DNC
        list; reserved leads only for their agent. A preview: nothing is claimed."""
        if not 1 <= limit <= self.max_rows:
            raise InvalidRequest(f"limit must be between 1 and {self.max_rows}")
        rows = self.queries.dialable(account_id, campaign_id, limit, agent_id, now or utcnow())
        return self.lead_views(rows)
