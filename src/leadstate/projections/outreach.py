"""The calls, dnc and exports read models (SPEC §4), and the rows an Export's events add
to or remove from the export's own infrastructure tables (its file, leadIds, outbox).

All three read models are synchronous: their rows travel with the events into the same
transaction (`SyncProjection.changes_for` calls `OutreachChanges.add`). The row functions
serve the write path, rebuilds and verify alike (see `projections.models`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadstate.domain import Lead
from leadstate.domain.calls import CallRecord
from leadstate.domain.dnc import DncEntry
from leadstate.domain.export import Export, ExportStatus
from leadstate.persistence.base import TableChanges, micros
from leadstate.persistence.tables import EXPORT_FILES, EXPORT_LEADS, OUTBOX

CALL_COLUMNS = (
    "call_key",
    "account_id",
    "campaign_id",
    "lead_id",
    "kind",
    "uii",
    "agent_id",
    "system_disposition",
    "agent_disposition",
    "talk_time",
    "start_time",
    "recorded_at",
    "lead_state",
    "lead_passes",
)
DNC_COLUMNS = ("dnc_key", "account_id", "phone", "source", "added_at")
EXPORT_COLUMNS = (
    "export_id",
    "account_id",
    "status",
    "matched",
    "row_count",
    "file_size",
    "recipients",
    "sent_at",
    "failed",
    "link_ttl",
    "requested_at",
    "ready_at",
    "closed_at",
    "reason",
    "version",
)
OUTBOX_COLUMNS = (
    "outbox_id",
    "export_id",
    "recipient_no",
    "recipient",
    "status",
    "attempts",
    "next_attempt_at",
    "last_error",
    "created_at",
    "sent_at",
)
OUTBOX_STATUS_COLUMNS = ("outbox_id", "status", "sent_at")

CALL_EVENTS = frozenset({"DialAttemptRecorded", "ManualPassRecorded"})
_CLOSING_EVENTS = frozenset({"Withdrawn", "Purged", "Failed"})


def call_row(record: CallRecord) -> tuple[Any, ...]:
    """The row of one call record."""
    return (
        record.key,
        record.account_id,
        record.campaign_id,
        record.lead_id,
        record.kind,
        record.uii,
        record.agent_id,
        record.system_disposition,
        record.agent_disposition,
        record.talk_time,
        micros(record.start_time),
        micros(record.recorded_at),
        record.lead_state,
        record.lead_passes,
    )


def call_rows(lead: Lead, versions: Iterable[int] | None = None) -> list[tuple[Any, ...]]:
    """Rows of the lead's call records (only those made at `versions`, when given)."""
    wanted = None if versions is None else set(versions)
    return [call_row(c) for c in lead.calls if wanted is None or c.version in wanted]


def dnc_row(entry: DncEntry) -> tuple[Any, ...]:
    """The row of a do-not-call entry."""
    return (entry.key, entry.account_id, entry.phone, entry.source, micros(entry.added_at))


def export_row(export: Export) -> tuple[Any, ...]:
    """The row of an export (no addresses, criteria or lead data)."""
    return (
        export.export_id,
        export.account_id,
        export.status,
        export.matched,
        export.row_count,
        export.file_size,
        len(export.recipients),
        json.dumps([micros(s) for s in export.sent_at]),
        json.dumps(export.failed),
        export.link_ttl,
        micros(export.requested_at),
        micros(export.ready_at),
        micros(export.closed_at),
        export.reason,
        export.version,
    )


def outbox_id(export_id: str, recipient_no: int) -> str:
    """The outbox row of one recipient of one export."""
    return f"{export_id}:{recipient_no}"


class OutreachChanges:
    """Row changes of calls, DNC entries and exports for one save."""

    def __init__(self, tables: Mapping[str, str]) -> None:
        self.calls = TableChanges(tables["calls"], "call_key", CALL_COLUMNS)
        self.dnc = TableChanges(tables["dnc"], "dnc_key", DNC_COLUMNS)
        self.exports = TableChanges(tables["exports"], "export_id", EXPORT_COLUMNS)
        self.outbox = TableChanges(
            OUTBOX, "outbox_id", OUTBOX_COLUMNS, update_columns=OUTBOX_STATUS_COLUMNS
        )
        self.outbox_gone = TableChanges(OUTBOX, "export_id", OUTBOX_COLUMNS)
        self.files_gone = TableChanges(EXPORT_FILES, "export_id", ("export_id",))
        self.leads_gone = TableChanges(EXPORT_LEADS, "export_id", ("export_id",))

    @property
    def tables(self) -> list[TableChanges]:
        """Every table this save changes."""
        return [
            self.calls,
            self.dnc,
            self.exports,
            self.files_gone,
            self.leads_gone,
            self.outbox_gone,
            self.outbox,
        ]

    def add(self, aggregate: Any) -> None:
        """The rows of one aggregate with pending events (others are ignored)."""
        pending: Sequence[Any] = aggregate.pending_events
        if not pending:
            return
        if isinstance(aggregate, Lead):
            versions = [e.originator_version for e in pending if type(e).__name__ in CALL_EVENTS]
            if versions:
                self.calls.upserts.extend(call_rows(aggregate, versions))
        elif isinstance(aggregate, DncEntry):
            self.dnc.upserts.append(dnc_row(aggregate))
        elif isinstance(aggregate, Export):
            self._export(aggregate, pending)

    def _export(self, export: Export, pending: Sequence[Any]) -> None:
        self.exports.upserts.append(export_row(export))
        names = {type(e).__name__ for e in pending}
        if "FileStored" in names and export.status == ExportStatus.READY:
            assert export.ready_at is not None
            created = export.ready_at.timestamp()
            for number, address in enumerate(export.recipients):
                self.outbox.upserts.append(
                    (
                        outbox_id(export.export_id, number),
                        export.export_id,
                        number,
                        address,
                        "pending",
                        0,
                        created,
                        None,
                        created,
                        None,
                    )
                )
        for event in pending:
            name = type(event).__name__
            if name == "LinkSent":
                self.outbox.updates.append(
                    (outbox_id(export.export_id, event.recipient_no), "sent", event.at.timestamp())
                )
            elif name == "LinkFailed":
                self.outbox.updates.append(
                    (outbox_id(export.export_id, event.recipient_no), "failed", None)
                )
        if names & _CLOSING_EVENTS:
            self.files_gone.deletes.append(export.export_id)
            self.leads_gone.deletes.append(export.export_id)
            self.outbox_gone.deletes.append(export.export_id)
