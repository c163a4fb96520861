"""A lead's history (extension, scope `audit:read`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Security
from pydantic import BaseModel, Field

from leadstate.api.auth import API_PREFIX, authorized
from leadstate.api.deps import AccountId, AuditDep
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import INT32_MAX, JsonValue
from leadstate.persistence.apikeys import ApiKey

router = APIRouter(prefix=f"{API_PREFIX}/campaignLeads", tags=["Audit"], responses=API_ERRORS)

AuditKey = Annotated[ApiKey, Security(authorized, scopes=["audit:read"])]


class HistoryEntry(BaseModel):
    """One event of a lead's stream, as it happened."""

    type: str = Field(description="The event type, e.g. `Cancelled`, `ManualPassRecorded`.")
    version: int = Field(description="The lead's version after this event.")
    time: str = Field(description="When it happened (ISO-8601 with offset).")
    actor: str | None = Field(description="The API key id (or CLI user) that caused it.")
    correlationId: str | None = Field(description="The request or job it belongs to.")
    data: dict[str, JsonValue] = Field(
        description="The event's own fields; personal fields read `[erased]` once deleted."
    )

    @classmethod
    def of(cls, entry: dict[str, Any]) -> HistoryEntry:
        """The API view of an application history entry."""
        return cls.model_validate(entry)


@router.get(
    "/{leadId}/history",
    operation_id="getCampaignLeadHistory",
    summary="Every event of a lead, in order",
    response_model=list[HistoryEntry],
)
def get_campaign_lead_history(
    key: AuditKey,
    account: AccountId,
    audit: AuditDep,
    leadId: Annotated[int, Path(ge=1, le=INT32_MAX, description="The lead's id.")],
) -> list[HistoryEntry]:
    """The lead's events as they happened: type, version, time, actor, correlation id and
    data (a deleted lead keeps its history, its personal data erased). Scope `audit:read`."""
    return [HistoryEntry.of(e) for e in audit.lead_history(account, leadId)]
