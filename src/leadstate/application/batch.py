"""A lead action over many leads: one batch at a time, decided in memory.

`ActionRun.decide` reads a batch of leads in one query, applies the domain's command
methods and returns everything to save; the caller saves it in one transaction
(together with a job's progress, for bulk jobs) and then `commit`s the outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate

from leadstate.application.guards import DUPLICATE_PHONE, lists_on_dnc, phones_not_in_campaign
from leadstate.application.views import ActionResult
from leadstate.domain import (
    ActionParams,
    CopySetting,
    Lead,
    LeadAction,
    LeadList,
    LeadState,
    Meta,
    Skipped,
)
from leadstate.domain.dnc import SOURCE_MANUAL_PASS, DncEntry
from leadstate.domain.statuses import STATUS_ACTIONS, decide_statuses
from leadstate.persistence.base import Guard, GuardFailed, TableChanges
from leadstate.projections.lead_search import (
    lead_from_row,
    status_before,
    status_updates,
)
from leadstate.projections.queries import Queries

# The exports holding these (deleted) leads, withdrawn: saved with the deletion.
Withdraw = Callable[[list[int], Meta], list[Aggregate]]


@dataclass
class BatchOutcome:
    """What one batch decided: aggregates to save (or events decided from statuses, with
    their rows), counts and skipped leads."""

    to_save: list[Aggregate] = field(default_factory=list)
    guards: list[Guard] = field(default_factory=list)
    shared: list[tuple[UUID, int, Any]] = field(default_factory=list)  # stream, version, event
    rows: list[TableChanges] = field(default_factory=list)
    updated: int = 0
    deleted: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    merged: list[int] = field(default_factory=list)
    new_list_id: int | None = None
    absent: int = 0  # given ids without a live lead of the account (never selected)


class ActionRun:
    """One action over many leads, and the state that spans its batches."""

    def __init__(
        self,
        queries: Queries,
        allocate: Callable[[str, int], int],
        withdraw: Withdraw,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        meta: Meta,
        *,
        merged: set[int] | None = None,
        list_id: int | None = None,
        unselected: bool = False,
    ) -> None:
        self.queries = queries
        self.allocate = allocate
        self.withdraw = withdraw
        self.account_id = account_id
        self.action = action
        self.params = params
        self.meta = meta
        self.merged: set[int] = set(merged or ())
        self.list_id = list_id or params.list_id
        # Ids taken as given, not matched by a search first: one without a live lead of
        # this account is passed over, as the search would have (not reported deleted).
        self.unselected = unselected
        # Phones a save's guard found in the target campaign meanwhile (DUPLICATE IGNORE).
        self.known_duplicates: set[str] = set()

    def learn(self, failed: GuardFailed) -> None:
        """Take in what a guard found before this batch is decided again."""
        if failed.reason != DUPLICATE_PHONE:
            raise failed
        self.known_duplicates.update(failed.found)

    def commit(self, outcome: BatchOutcome, result: ActionResult | None = None) -> None:
        """Remember what a saved batch did (and add it to `result`)."""
        self.merged.update(outcome.merged)
        if outcome.new_list_id is not None:
            self.list_id = outcome.new_list_id
        if result is not None:
            result.total -= outcome.absent
            result.update_count += outcome.updated
            result.delete_count += outcome.deleted
            result.errors.extend(outcome.errors)
            if outcome.new_list_id is not None:
                result.new_list_id = outcome.new_list_id

    def _target_list(self, outcome: BatchOutcome) -> int:
        """MOVE's list; LIST_ID 0 creates one, saved with the batch that first needs it."""
        if self.list_id:
            return self.list_id
        if outcome.new_list_id is None:
            lead_list = LeadList(
                list_id=self.allocate("list_id", 1),
                account_id=self.account_id,
                campaign_id=self.params.campaign_id,
                name=self.params.list_name,
                at=self.meta.at,
                actor=self.meta.actor,
                correlation_id=self.meta.correlation_id,
            )
            outcome.to_save.append(lead_list)
            outcome.new_list_id = lead_list.list_id
        return outcome.new_list_id

    def decide(self, lead_ids: list[int]) -> BatchOutcome:
        """Apply the action to these leads in memory; nothing is saved here."""
        if self.action in STATUS_ACTIONS:
            return self._decide_statuses(lead_ids)
        outcome = BatchOutcome()
        leads = self.current(lead_ids)
        originals: dict[int, Lead] = {}
        if self.action is LeadAction.MANUAL_LEADS and self.params.merge_original:
            wanted = {
                lead.original_lead_id
                for lead in leads.values()
                if lead.original_lead_id and lead.original_lead_id not in leads
            }
            originals = self.current(w for w in wanted if w is not None)
        pool = {**originals, **leads}
        changed: dict[int, Aggregate] = {}
        merged = set(self.merged)
        moved_phones: set[str] = set()
        existing_phones: set[str] = set()
        in_target: dict[str, set[int]] = {}
        if self.action is LeadAction.MOVE_TO_CAMPAIGN and self.params.ignore_duplicates:
            phones = sorted({lead.phone for lead in leads.values() if lead.phone})
            existing_phones = self.known_duplicates | self.queries.phones_in_campaign(
                self.account_id, self.params.campaign_id, phones, exclude=lead_ids
            )
            # This batch's leads already in the target campaign are there too (SPEC §2:
            # the phone "already exists in the target campaign when it is processed"),
            # for every lead but themselves.
            for present in leads.values():
                if present.campaign_id == self.params.campaign_id and present.phone:
                    in_target.setdefault(present.phone, set()).add(present.lead_id)
        copies: list[Lead] = []
        for lead_id in lead_ids:
            lead = leads.get(lead_id)
            if lead is None or lead.account_id != self.account_id or lead.deleted:
                if self.unselected:
                    outcome.absent += 1
                else:
                    outcome.errors.append({"leadId": lead_id, "reason": "deleted"})
                continue
            try:
                if self.action is LeadAction.MOVE_TO_CAMPAIGN:
                    if (
                        self.params.ignore_duplicates
                        and lead.phone
                        and (
                            lead.phone in existing_phones
                            or lead.phone in moved_phones
                            or in_target.get(lead.phone, set()) - {lead_id}
                        )
                    ):
                        raise Skipped("duplicate phone in target campaign")
                    did = self._move(lead, copies, outcome)
                    if did:
                        moved_phones.add(lead.phone)
                elif self.action is LeadAction.MANUAL_LEADS:
                    did = self._manual(lead, pool, merged, changed, outcome)
                else:
                    did = lead.apply(self.action, self.params, self.meta)
            except Skipped as skip:
                outcome.errors.append({"leadId": lead_id, "reason": skip.reason})
                continue
            if did:
                changed[lead_id] = lead
                if self.action is LeadAction.DELETE_LEADS:
                    outcome.deleted += 1
                else:
                    outcome.updated += 1
        fresh: list[Lead] = []
        if copies:
            first = self.allocate("lead_id", len(copies))
            list_id = self._target_list(outcome)
            for n, original in enumerate(copies):
                copy = Lead.copy_of(
                    original,
                    lead_id=first + n,
                    campaign_id=self.params.campaign_id,
                    list_id=list_id,
                    meta=self.meta,
                )
                fresh.append(copy)
                if self.params.copy_setting is CopySetting.TRANSITION:
                    original.transition(copy.lead_id, self.meta)
                    changed[original.lead_id] = original
        outcome.to_save.extend([*changed.values(), *fresh])
        if self.action is LeadAction.MOVE_TO_CAMPAIGN and self.params.ignore_duplicates:
            # Re-checked where it is atomic: inside the save, under the campaign's lock.
            arriving = [lead for lead in (*changed.values(), *fresh) if isinstance(lead, Lead)]
            outcome.guards.append(
                phones_not_in_campaign(
                    self.queries,
                    self.account_id,
                    self.params.campaign_id,
                    [
                        lead.phone
                        for lead in arriving
                        if lead.campaign_id == self.params.campaign_id
                    ],
                    [*lead_ids, *(lead.lead_id for lead in fresh)],
                )
            )
        if self.action is LeadAction.MANUAL_LEADS and self.params.do_not_call:
            # Their phones join the DNC list in the same transaction (SPEC §2, §4).
            leads_now = [a for a in changed.values() if isinstance(a, Lead)]
            entries = self.dnc_entries(leads_now)
            if entries:
                outcome.to_save.extend(entries)
                outcome.guards.append(lists_on_dnc(self.account_id))
        elif self.action is LeadAction.DELETE_LEADS and changed:
            # Every export holding a deleted lead is withdrawn and purged with it (SPEC §5).
            outcome.to_save.extend(self.withdraw(list(changed), self.meta))
        outcome.merged = sorted(merged - self.merged)
        return outcome

    def _decide_statuses(self, lead_ids: list[int]) -> BatchOutcome:
        """Decide from the leads' status rows alone (`domain.statuses`): one event object
        per distinct change, UPDATEs of only the columns that change."""
        outcome = BatchOutcome()
        found = self.queries.statuses(lead_ids)
        statuses = [
            status
            for lead_id in lead_ids
            if (status := found.get(lead_id)) is not None and status.account_id == self.account_id
        ]
        before = {status.lead_id: status_before(status) for status in statuses}
        decided = decide_statuses(self.action, self.params, statuses, self.meta)
        reasons = dict(decided.skipped)
        for lead_id in lead_ids:
            if lead_id not in before:
                if self.unselected:
                    outcome.absent += 1
                else:
                    outcome.errors.append({"leadId": lead_id, "reason": "deleted"})
            elif lead_id in reasons:
                outcome.errors.append({"leadId": lead_id, "reason": reasons[lead_id]})
        outcome.shared = [
            (Lead.create_id(status.lead_id), status.version, event)
            for status, event in decided.changed
        ]
        outcome.rows = status_updates(
            self.queries.tables["lead_search"],
            [(before[status.lead_id], status) for status, _ in decided.changed],
        )
        outcome.updated = len(decided.changed)
        return outcome

    def current(self, lead_ids: Iterable[int]) -> dict[int, Lead]:
        """Live leads as of their read-model rows: snapshots at the rows' versions (the
        event store's version check still guards what is saved on top of them)."""
        rows = self.queries.lead_rows(lead_ids)
        return {lead_id: lead_from_row(row) for lead_id, row in rows.items()}

    def dnc_entries(self, leads: Iterable[Lead]) -> list[DncEntry]:
        """New DNC entries for the phones of these leads now in DO-NOT-CALL (saved with
        the leads' events); phones already listed get none."""
        phones = {
            lead.phone
            for lead in leads
            if lead.state is LeadState.DO_NOT_CALL and lead.phone and not lead.deleted
        }
        listed = self.queries.dnc_listed(self.account_id, phones)
        return [
            DncEntry.add(self.account_id, phone, SOURCE_MANUAL_PASS, self.meta.at, self.meta.actor)
            for phone in sorted(phones - listed)
        ]

    def _move(self, lead: Lead, copies: list[Lead], outcome: BatchOutcome) -> bool:
        if self.params.copy_setting is CopySetting.MOVE:
            if lead.campaign_id == self.params.campaign_id and lead.list_id == self.list_id:
                return False
            return lead.move(self.params.campaign_id, self._target_list(outcome), self.meta)
        copies.append(lead)
        return True

    def _manual(
        self,
        lead: Lead,
        pool: dict[int, Lead],
        merged: set[int],
        changed: dict[int, Aggregate],
        outcome: BatchOutcome,
    ) -> bool:
        if lead.lead_id in merged:
            return False
        # Marked first: a lead skipped here is reported once, not again by a copy's merge.
        merged.add(lead.lead_id)
        did = lead.manual_pass(self.params, self.meta)
        original_id = lead.original_lead_id
        if self.params.merge_original and original_id and original_id not in merged:
            original = pool.get(original_id)
            if (
                original is not None
                and not original.deleted
                and original.account_id == self.account_id
            ):
                try:
                    original.manual_pass(self.params, self.meta)
                except Skipped as skip:
                    merged.add(original_id)
                    outcome.errors.append({"leadId": original_id, "reason": skip.reason})
                else:
                    merged.add(original_id)
                    changed[original_id] = original
        return did
