"""The vendor wire format, built in one place: every view the API answers and the CLI
prints (leads, action results, jobs, loads, calls, exports), from read-model rows and
results. A view holds `None` for a field without a value; the faces leave such fields
out of what they send (SPEC §6 Absent fields, `wire`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from leadstate.domain import LeadAction
from leadstate.domain.calls import CallRecord
from leadstate.domain.job import JobStatus
from leadstate.domain.loading import LoadResult
from leadstate.persistence.apikeys import ApiKey
from leadstate.persistence.base import Row
from leadstate.projections.lead_search import COLUMNS, CONTACT_COLUMNS, iso
from leadstate.projections.outreach import CALL_COLUMNS, call_row

ERASED_VALUE = "[erased]"


@dataclass
class ActionResult:
    """The outcome of a lead action (the vendor's `LeadActionResult`, plus details)."""

    action: LeadAction
    update_count: int = 0
    delete_count: int = 0
    total: int = 0
    processed: int = 0
    dialer_refreshed: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    new_list_id: int | None = None

    @property
    def error_message(self) -> str | None:
        """A one-line summary of skipped leads, as the vendor's `errorMessage`."""
        if not self.errors:
            return None
        shown = ", ".join(f"{e['leadId']} ({e['reason']})" for e in self.errors[:20])
        more = f" and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        return f"{len(self.errors)} lead(s) skipped: {shown}{more}"


@dataclass(frozen=True)
class CampaignSettings:
    """A campaign's pass settings."""

    campaign_id: int
    max_passes: int
    pass_delay_min: int


def wire(value: Any) -> Any:
    """`value` as sent: fields without a value (`None`) left out, at every depth."""
    if isinstance(value, Mapping):
        return {k: wire(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [wire(v) for v in value]
    return value


# -- leads --------------------------------------------------------------------------------


def lead_view(row: Row, list_name: str | None = None) -> dict[str, Any]:
    """A lead-search row as the vendor's `CampaignLeadSearchResultsView`, plus our
    extensions (`accountId`, `pendingAgentId`, `leadPriority`, `originalLeadId`...)."""
    view: dict[str, Any] = {
        "leadId": row["lead_id"],
        "accountId": row["account_id"],
        "campaignId": row["campaign_id"],
        "listId": row["list_id"],
        "listDesc": list_name,
        "externId": row["extern_id"],
    }
    for name, column in CONTACT_COLUMNS.items():
        if name != "extendedLeadData":
            view[name] = row[column]
    view["extraData"] = row["extended_lead_data"]
    view.update(
        {
            "leadState": row["lead_state"],
            "leadPasses": row["lead_passes"],
            "maxPasses": row["max_passes"],
            "nextDialTime": iso(row["next_dial_time"]),
            "lastPassDts": iso(row["last_pass_dts"]),
            "lastPassDate": iso(row["last_pass_dts"]),
            "lastPassDisposition": row["last_pass_disposition"],
            "lastPassDispo": row["last_pass_disposition"],
            "agentDispostion": row["agent_disposition"],
            "agentDisposition": row["agent_disposition"],
            "lastPassAgentId": row["last_pass_agent_id"],
            "suppressed": bool(row["suppressed"]),
            "pendingAgentId": row["pending_agent_id"],
            "leadPriority": row["lead_priority"],
            "leadTimezone": row["lead_timezone"],
            "callerId": row["caller_id"],
            "loadedDts": iso(row["loaded_dts"]),
            "uploadDate": iso(row["loaded_dts"]),
            "stateDts": iso(row["state_dts"]),
            "originalLeadId": row["original_lead_id"],
        }
    )
    return view


# The lead view's fields, in order: the columns of an export's CSV.
LEAD_VIEW_FIELDS: tuple[str, ...] = tuple(lead_view(dict.fromkeys(COLUMNS)))


def erased(view: dict[str, Any]) -> dict[str, Any]:
    """A lead view whose personal data was crypto-shredded: contact fields erased."""
    for name in CONTACT_COLUMNS:
        if name in view:
            view[name] = ERASED_VALUE
    view["extraData"] = ERASED_VALUE
    return view


# -- actions, jobs, loads -----------------------------------------------------------------


def action_result(result: ActionResult) -> dict[str, Any]:
    """The vendor's `LeadActionResult`, plus every skipped lead and a new list's id."""
    return {
        "success": True,
        "leadUpdateCount": result.update_count,
        "leadDeleteCount": result.delete_count,
        "redialDeleteCount": 0,
        "dialerRefreshed": result.dialer_refreshed,
        "leadActionType": result.action.value,
        "errorMessage": result.error_message,
        "errors": [{"leadId": int(e["leadId"]), "reason": str(e["reason"])} for e in result.errors],
        "newListId": result.new_list_id,
    }


def job_view(row: Row) -> dict[str, Any]:
    """A job's status and progress (SPEC §6 job object) from its row."""
    message = None
    if row["error_count"]:
        message = f"{row['error_count']} lead(s) skipped"
    if row["failure"]:
        message = f"job failed: {row['failure']}"
    return {
        "jobId": row["job_id"],
        "leadAction": row["lead_action"],
        "status": row["status"],
        "total": row["total"],
        "processed": row["processed"],
        "result": {
            "success": row["status"] != JobStatus.FAILED,
            "leadUpdateCount": row["update_count"],
            "leadDeleteCount": row["delete_count"],
            "redialDeleteCount": 0,
            "dialerRefreshed": False,
            "leadActionType": row["lead_action"],
            "errorMessage": message,
        },
        "errors": json.loads(row["errors"]),
    }


def job_accepted(job: dict[str, Any]) -> dict[str, Any]:
    """The 202 answer for a bulk job: the `LeadActionResult` fields so far and the job."""
    return {
        **job["result"],
        "errors": job["errors"],
        "newListId": None,
        "jobId": job["jobId"],
        "status": job["status"],
        "total": job["total"],
        "processed": job["processed"],
        "job": job,
    }


def load_result(result: LoadResult) -> dict[str, Any]:
    """The vendor's `LeadListProcessingResult`, plus the list and the new leads' ids."""
    inserted = result.leads_inserted
    where = f" into list {result.list_id}" if result.list_id is not None else ""
    return {
        "leadsSupplied": result.leads_supplied,
        "leadsAccepted": result.leads_accepted,
        "leadsInserted": inserted,
        "dncReturnedCount": result.dnc_returned,
        "internalDncCount": 0,
        "whitelistCount": 0,
        "deletedCount": 0,
        "hasDeletedLeads": False,
        "failedAgentAssignment": result.failed_agent_assignment,
        "listState": result.list_state,
        "timeZoneOption": result.time_zone_option,
        "processingStatus": "DEFAULT_NOT_A_FAILURE" if inserted else "NO_LEADS_PASSED_VALIDATION",
        "message": f"{inserted} of {result.leads_supplied} lead(s) loaded{where}; "
        f"{len(result.rejected)} rejected",
        "rejectedRows": [
            {"rowData": list(r.row_data), "message": r.message} for r in result.rejected
        ],
        "listId": result.list_id,
        "leadIds": list(result.lead_ids),
    }


def campaign_settings(settings: CampaignSettings) -> dict[str, Any]:
    """A campaign's pass settings."""
    return {
        "campaignId": settings.campaign_id,
        "maxPasses": settings.max_passes,
        "passDelayMin": settings.pass_delay_min,
    }


def api_key(key: ApiKey) -> dict[str, Any]:
    """An API key (never its token)."""
    return {
        "keyId": key.key_id,
        "name": key.name,
        "accounts": key.accounts,
        "scopes": list(key.scopes),
        "createdAt": key.created_at.isoformat(),
        "revoked": key.revoked,
    }


# -- calls, exports, counts ---------------------------------------------------------------


def call_view(row: Row) -> dict[str, Any]:
    """A call record (a row of the calls read model)."""
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
        "startTime": iso(row["start_time"]),
        "recordedAt": iso(row["recorded_at"]),
        "leadState": row["lead_state"],
        "leadPasses": row["lead_passes"],
    }


def record_view(record: CallRecord) -> dict[str, Any]:
    """A call record held in memory."""
    return call_view(dict(zip(CALL_COLUMNS, call_row(record), strict=True)))


def dnc_view(row: Row) -> dict[str, Any]:
    """One entry of an account's do-not-call list."""
    return {"phone": row["phone"], "source": row["source"], "addedAt": iso(row["added_at"])}


def export_view(row: Row) -> dict[str, Any]:
    """An export's status (no addresses, no criteria)."""
    return {
        "exportId": row["export_id"],
        "status": row["status"],
        "matched": row["matched"],
        "rowCount": row["row_count"],
        "fileSize": row["file_size"],
        "recipients": row["recipients"],
        "sentAt": [iso(s) for s in json.loads(row["sent_at"])],
        "requestedAt": iso(row["requested_at"]),
        "readyAt": iso(row["ready_at"]),
        "closedAt": iso(row["closed_at"]),
        "reason": row["reason"],
    }


def count_view(row: Row) -> dict[str, Any]:
    """Live leads of one campaign, list, state and suppression."""
    return {
        "campaignId": int(row["campaign_id"]),
        "listId": int(row["list_id"]),
        "leadState": str(row["lead_state"]),
        "suppressed": bool(row["suppressed"]),
        "count": int(row["lead_count"]),
    }
