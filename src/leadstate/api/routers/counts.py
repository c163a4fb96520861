"""Lead counts for dashboards (extension): an asynchronous read model."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from leadstate.api.auth import API_PREFIX, ReadKey
from leadstate.api.deps import AccountId, ReadModelsDep
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import INT32_MAX

router = APIRouter(prefix=API_PREFIX, tags=["Leads"], responses=API_ERRORS)


class LeadCount(BaseModel):
    """How many live leads share a campaign, list, state and suppression."""

    campaignId: int = Field(description="The campaign.")
    listId: int = Field(description="The list within it.")
    leadState: str = Field(description="The lead state, e.g. `READY`.")
    suppressed: bool = Field(description="Whether these leads are suppressed.")
    count: int = Field(description="How many leads.")


@router.get(
    "/counts",
    operation_id="getLeadCounts",
    summary="Lead counts per campaign, list, state and suppression",
    response_model=list[LeadCount],
)
def get_lead_counts(
    key: ReadKey,
    account: AccountId,
    read_models: ReadModelsDep,
    campaignId: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="Only this campaign.")
    ] = None,
) -> list[LeadCount]:
    """Live leads of the account counted per campaign, list, state and suppression (groups
    with no leads are left out). Follows the log asynchronously: usually current within
    moments of a change; `GET /admin/projections` shows its lag. Scope `leads:read`."""
    return [LeadCount.model_validate(c) for c in read_models.lead_counts(account, campaignId)]
