"""The synchronous read models: rows computed from the aggregates a save records, written
in the same transaction as their events."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadstate.domain import Campaign, Lead, LeadList
from leadstate.domain.job import BulkJob
from leadstate.persistence.base import Changes, TableChanges
from leadstate.projections import catalog, lead_search, outreach

SYNC_READ_MODELS = ("lead_search", "lead_lists", "campaigns", "jobs", "calls", "dnc", "exports")


class SyncProjection:
    """Turns the aggregates about to be saved into row changes for the same transaction."""

    def __init__(self, tables: dict[str, str]) -> None:
        self.tables = tables

    def changes_for(self, aggregates: Iterable[Any]) -> Changes:
        """Rows for every aggregate that has pending events."""
        leads = TableChanges(
            self.tables["lead_search"],
            lead_search.KEY,
            lead_search.COLUMNS,
            update_columns=lead_search.STATUS_COLUMNS,
        )
        lists = TableChanges(self.tables["lead_lists"], "list_id", catalog.LIST_COLUMNS)
        campaigns = TableChanges(self.tables["campaigns"], "campaign_key", catalog.CAMPAIGN_COLUMNS)
        jobs = TableChanges(self.tables["jobs"], "job_id", catalog.JOB_COLUMNS)
        extra = outreach.OutreachChanges(self.tables)  # calls, DNC entries, exports
        changes = Changes(tables=[leads, lists, campaigns, jobs, *extra.tables])
        for aggregate in aggregates:
            if not aggregate.pending_events:
                continue
            extra.add(aggregate)
            if isinstance(aggregate, Lead):
                if aggregate.deleted:
                    leads.deletes.append(aggregate.lead_id)
                    changes.shred.append(aggregate.id)
                elif any("contact" in e.__dict__ for e in aggregate.pending_events):
                    leads.upserts.append(lead_search.row_for(aggregate))
                else:
                    leads.updates.append(lead_search.status_row_for(aggregate))
            elif isinstance(aggregate, LeadList):
                lists.upserts.append(catalog.list_row(aggregate))
            elif isinstance(aggregate, BulkJob):
                jobs.upserts.append(catalog.job_row(aggregate))
            elif isinstance(aggregate, Campaign):
                campaigns.upserts.append(catalog.campaign_row(aggregate))
        changes.tables = [t for t in changes.tables if t.upserts or t.deletes or t.updates]
        changes.positions = list(SYNC_READ_MODELS)
        return changes
