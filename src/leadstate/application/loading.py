"""The lead loader (SPEC §6 `leadLoader/direct`): good rows become leads, a chunk per
transaction, each re-checked by its guards (DNC, REMOVE_ALL_EXISTING) where it is saved."""

from __future__ import annotations

from collections.abc import Callable

from leadstate.application.guards import DO_NOT_CALL, phones_not_in_campaign, phones_not_on_dnc
from leadstate.application.service import Writes
from leadstate.domain import InvalidRequest, Lead, LeadList, LeadState, Meta, NotFound
from leadstate.domain.loading import LoadRequest, LoadResult, LoadRow, decide_rows, reject_rows
from leadstate.persistence.base import GuardFailed, Store
from leadstate.projections.queries import Queries

LOAD_CHUNK = 1000  # leads per transaction of a load


class Loading:
    """Loads leads into lists; keeps the lead-search table's planner statistics fresh."""

    def __init__(
        self, writes: Writes, queries: Queries, store: Store, *, max_load_leads: int
    ) -> None:
        self.writes = writes
        self.queries = queries
        self.store = store
        self.max_load_leads = max_load_leads
        self._rows_at_analyze = 0
        self._added_since_analyze = 0

    def load_leads(
        self,
        account_id: int,
        campaign_id: int,
        request: LoadRequest,
        meta: Meta,
        progress: Callable[[int], None] | None = None,
    ) -> LoadResult:
        """Load leads into a new list (or `listId`); bad rows are reported, good rows load."""
        if campaign_id <= 0:
            raise InvalidRequest("campaignId must be a positive number")
        if len(request.rows) > self.max_load_leads:
            raise InvalidRequest(
                f"at most {self.max_load_leads} leads per request; got {len(request.rows)}"
            )
        if request.list_id is not None:
            existing = self.queries.list_row(request.list_id)
            if (
                existing is None
                or existing["account_id"] != account_id
                or existing["campaign_id"] != campaign_id
            ):
                raise NotFound(f"list {request.list_id} not found in campaign {campaign_id}")
        phones = sorted({r.phone for r in request.good_rows})
        existing_phones = (
            self.queries.phones_in_campaign(account_id, campaign_id, phones)
            if request.duplicate_handling == "REMOVE_ALL_EXISTING"
            else set()
        )
        result, good = decide_rows(
            request, existing_phones, self.queries.dnc_listed(account_id, phones)
        )
        if not good:
            return result
        list_id = request.list_id
        new_list_name: str | None = None
        if list_id is None:  # created with the first leads saved, or not at all
            new_list_name = request.description or f"API load {meta.at.isoformat()}"
            list_id = self.writes.allocate("list_id", 1)
        first_id = self.writes.allocate("lead_id", len(good))
        lead_ids = {row.index: first_id + n for n, row in enumerate(good)}
        state = LeadState.PAUSED if request.list_state == "PAUSED" else LeadState.READY
        saved: list[int] = []
        for start in range(0, len(good), LOAD_CHUNK):
            chunk = good[start : start + LOAD_CHUNK]
            while chunk:
                leads = [
                    new_lead(
                        row,
                        lead_ids[row.index],
                        account_id,
                        campaign_id,
                        list_id,
                        state,
                        request,
                        meta,
                    )
                    for row in chunk
                ]
                lead_list = None
                if new_list_name is not None and not saved:
                    lead_list = LeadList(
                        list_id=list_id,
                        account_id=account_id,
                        campaign_id=campaign_id,
                        name=new_list_name,
                        at=meta.at,
                        actor=meta.actor,
                        correlation_id=meta.correlation_id,
                    )
                chunk_phones = [r.phone for r in chunk]
                guards = [phones_not_on_dnc(self.queries, account_id, chunk_phones)]
                if request.duplicate_handling == "REMOVE_ALL_EXISTING":
                    guards.append(
                        phones_not_in_campaign(
                            self.queries, account_id, campaign_id, chunk_phones, lead_ids.values()
                        )
                    )
                try:
                    self.writes.save(lead_list, *leads, guards=guards)
                except GuardFailed as failed:
                    chunk = reject_rows(
                        result, chunk, failed.found, dnc=failed.reason == DO_NOT_CALL
                    )
                    continue
                saved.extend(lead.lead_id for lead in leads)
                if progress:
                    progress(len(saved))
                break
        if saved:
            result.list_id = list_id
        result.leads_inserted = len(saved)
        result.lead_ids = saved
        self.analyze_if_grown(len(saved))
        return result

    def analyze_if_grown(self, added: int) -> None:
        """Refresh the query planner's statistics of the lead-search table each time it
        has about doubled: without them SQLite walks the whole account in leadId order
        for a phone or externId search instead of using their indexes."""
        self._added_since_analyze += added
        if self._added_since_analyze <= max(1_000, self._rows_at_analyze):
            return
        self._rows_at_analyze = self.store.analyze(self.queries.tables["lead_search"])
        self._added_since_analyze = 0


def new_lead(
    row: LoadRow,
    lead_id: int,
    account_id: int,
    campaign_id: int,
    list_id: int,
    state: LeadState,
    request: LoadRequest,
    meta: Meta,
) -> Lead:
    """The lead a good row makes."""
    priority = 100 if request.dial_priority == "IMMEDIATE" else row.lead_priority
    return Lead(
        lead_id=lead_id,
        account_id=account_id,
        campaign_id=campaign_id,
        list_id=list_id,
        extern_id=row.extern_id,
        contact=row.contact,
        lead_state=state.value,
        lead_priority=priority,
        max_passes=row.max_passes,
        lead_timezone=row.lead_timezone if request.time_zone_option == "EXPLICIT" else None,
        caller_id=row.caller_id,
        pending_agent_id=row.reserve_agent,
        at=meta.at,
        actor=meta.actor,
        correlation_id=meta.correlation_id,
    )
