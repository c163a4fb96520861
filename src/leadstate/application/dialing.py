"""Calls, the do-not-call list and the dialable queue (SPEC §4, §6): `LeadstateApp.dialing`.

- A dial attempt is get-decide-save on the lead: the domain decides with the campaign's
  pass settings and whether the phone is on the DNC list; an APP_DNC outcome saves the
  phone's `DncEntry` in the same transaction as the lead's event.
- Call records, DNC entries and the dialable queue are read from synchronous read
  models (`calls`, `dnc`, `lead_search`), so a read right after a command sees it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from leadstate.domain import Conflict, InvalidRequest, Lead, LeadState, Meta, utcnow
from leadstate.domain.calls import CallRecord, DialAttempt
from leadstate.domain.dnc import SOURCE_APP_DNC, SOURCE_MANUAL_PASS, DncEntry
from leadstate.domain.values import DIALABLE_STATES, normalize_phone
from leadstate.guards import uii_not_elsewhere
from leadstate.persistence.base import GuardFailed
from leadstate.projections import lead_search, queries
from leadstate.projections.outreach import CALL_COLUMNS, call_row

if TYPE_CHECKING:
    from leadstate.application import LeadstateApp


def call_view(row: Mapping[str, Any]) -> dict[str, Any]:
    """A call record as the API shows it (a row of the calls read model, by column)."""
    return {
        "callId": row["call_key"],
        "uii": row["uii"],
        "kind": row["kind"],
        "accountId": row["account_id"],
        "campaignId": row["campaign_id"],
        "leadId": row["lead_id"],
        "agentId": row["agent_id"],
        "systemDisposition": row["system_disposition"],
        "agentDisposition": row["agent_disposition"],
        "talkTime": row["talk_time"],
        "startTime": lead_search.iso(row["start_time"]),
        "recordedAt": lead_search.iso(row["recorded_at"]),
        "leadState": row["lead_state"],
        "leadPasses": row["lead_passes"],
    }


def record_view(record: CallRecord) -> dict[str, Any]:
    """A call record held in memory, as the API shows it."""
    return call_view(dict(zip(CALL_COLUMNS, call_row(record), strict=True)))


def _uii_taken(uii: str, other: int) -> Conflict:
    return Conflict(f"uii {uii!r} was already recorded for lead {other}")


class Dialing:
    """Dial attempts, call records, the DNC list and the dialable queue of every account."""

    def __init__(self, app: LeadstateApp) -> None:
        self.app = app

    def _rows(self, cur: Any) -> list[dict[str, Any]]:
        return [self.app._as_dict(r) for r in cur.fetchall()]

    # -- the do-not-call list --------------------------------------------------------

    def dnc_phones(self, account_id: int, phones: Iterable[str]) -> set[str]:
        """Which of these phones (any spelling) are on the account's DNC list (digits)."""
        wanted = sorted({p for p in (normalize_phone(x) for x in phones) if p})
        if not wanted:
            return set()
        with self.app.store.read() as cur:
            return queries.dnc_listed(self.app.store, cur, self.app.tables, account_id, wanted)

    def dnc_entries_for(self, account_id: int, leads: Iterable[Lead], meta: Meta) -> list[DncEntry]:
        """New DNC entries for the phones of these leads now in DO-NOT-CALL (saved by the
        caller with the leads' events); phones already listed get none."""
        phones = {
            lead.phone
            for lead in leads
            if lead.state is LeadState.DO_NOT_CALL and lead.phone and not lead.deleted
        }
        listed = self.dnc_phones(account_id, phones)
        return [
            DncEntry.add(account_id, phone, SOURCE_MANUAL_PASS, meta.at, meta.actor)
            for phone in sorted(phones - listed)
        ]

    def dnc_list(self, account_id: int) -> list[dict[str, Any]]:
        """The account's DNC list, by phone."""
        store = self.app.store
        with store.read() as cur:
            cur.execute(
                f"SELECT phone, source, added_at FROM {store.qualify(self.app.tables['dnc'])} "
                f"WHERE account_id = {store.ph} ORDER BY phone",
                (account_id,),
            )
            rows = self._rows(cur)
        return [
            {
                "phone": r["phone"],
                "source": r["source"],
                "addedAt": lead_search.iso(r["added_at"]),
            }
            for r in rows
        ]

    # -- dial attempts -----------------------------------------------------------------

    def record_call(
        self, account_id: int, lead_id: int, body: Mapping[str, Any], meta: Meta
    ) -> dict[str, Any]:
        """Record a dial attempt on a lead dialable for its agent (SPEC §4); the same UII
        again answers the first record and appends nothing. 409 when not dialable."""
        attempt = DialAttempt.parse(body)
        self._check_uii_elsewhere(account_id, lead_id, attempt.uii)

        def decide_and_save() -> CallRecord:
            lead = self.app._lead(account_id, lead_id)
            known = lead.call_with_uii(attempt.uii)
            if known is not None:
                return known
            settings = self.app._campaign_settings(account_id, lead.campaign_id)
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
            guard = uii_not_elsewhere(
                self.app.store, self.app.tables, account_id, attempt.uii, lead_id
            )
            try:
                self.app.save(*to_save, guards=[guard])
            except GuardFailed as failed:
                (other,) = failed.found
                raise _uii_taken(attempt.uii, int(other)) from None
            return record

        return record_view(self.app._retrying(decide_and_save))

    def _check_uii_elsewhere(self, account_id: int, lead_id: int, uii: str) -> None:
        with self.app.store.read() as cur:
            other = queries.uii_recorded_elsewhere(
                self.app.store, cur, self.app.tables, account_id, uii, lead_id
            )
        if other is not None:
            raise _uii_taken(uii, other)

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
        if not 1 <= max_rows <= self.app.settings.max_rows:
            raise InvalidRequest(f"maxRows must be between 1 and {self.app.settings.max_rows}")
        if start is not None and end is not None and end < start:
            raise InvalidRequest("'to' must not be before 'from'")
        store = self.app.store
        ph = store.ph
        clauses = [f"account_id = {ph}"]
        params: list[Any] = [account_id]
        for column, value in (
            ("campaign_id", campaign_id),
            ("agent_id", agent_id),
            ("lead_id", lead_id),
        ):
            if value is not None:
                clauses.append(f"{column} = {ph}")
                params.append(value)
        if start is not None:
            clauses.append(f"start_time >= {ph}")
            params.append(lead_search.micros(start))
        if end is not None:
            clauses.append(f"start_time < {ph}")
            params.append(lead_search.micros(end))
        with store.read() as cur:
            cur.execute(
                f"SELECT {', '.join(CALL_COLUMNS)} FROM "
                f"{store.qualify(self.app.tables['calls'])} WHERE {' AND '.join(clauses)} "
                f"ORDER BY start_time, lead_id, call_key LIMIT {ph} OFFSET {ph}",
                (*params, max_rows, page * max_rows),
            )
            return [call_view(r) for r in self._rows(cur)]

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
        if not 1 <= limit <= self.app.settings.max_rows:
            raise InvalidRequest(f"limit must be between 1 and {self.app.settings.max_rows}")
        store = self.app.store
        ph = store.ph
        leads = store.qualify(self.app.tables["lead_search"])
        dnc = store.qualify(self.app.tables["dnc"])
        states = sorted(s.value for s in DIALABLE_STATES)
        reserved = f"l.pending_agent_id IS NULL OR l.pending_agent_id = {ph}"
        params: list[Any] = [account_id, campaign_id, *states, False]
        params.append(lead_search.micros(now or utcnow()))
        params.append(agent_id if agent_id is not None else -1)
        with store.read() as cur:
            cur.execute(
                f"SELECT l.* FROM {leads} l WHERE l.account_id = {ph} AND l.campaign_id = {ph} "
                f"AND l.lead_state IN ({', '.join([ph] * len(states))}) "
                f"AND l.suppressed = {ph} AND l.next_dial_time <= {ph} AND ({reserved}) "
                f"AND NOT EXISTS (SELECT 1 FROM {dnc} d WHERE d.account_id = l.account_id "
                "AND d.phone = l.phone_norm) "
                f"ORDER BY l.lead_priority DESC, l.next_dial_time, l.lead_id LIMIT {ph}",
                (*params, limit),
            )
            rows = self._rows(cur)
            names = self.app._list_names(cur, {r["list_id"] for r in rows})
        return [lead_search.view_of(r, names.get(r["list_id"])) for r in rows]
