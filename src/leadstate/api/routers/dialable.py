"""The dialable queue (extension, SPEC §6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from leadstate.api.auth import API_PREFIX, ReadKey
from leadstate.api.deps import AccountId, DialingDep
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import INT32_MAX, CampaignLeadSearchResultsView

router = APIRouter(prefix=f"{API_PREFIX}/campaigns", tags=["Campaigns"], responses=API_ERRORS)


@router.get(
    "/{campaignId}/dialable",
    operation_id="getDialableLeads",
    summary="The leads dialable now (extension)",
    response_model=list[CampaignLeadSearchResultsView],
    response_model_exclude_none=True,
)
def get_dialable_leads(
    key: ReadKey,
    account: AccountId,
    dialing: DialingDep,
    campaignId: Annotated[int, Path(ge=1, le=INT32_MAX, description="The campaign's id.")],
    limit: Annotated[int, Query(ge=1, le=INT32_MAX, description="At most this many.")] = 100,
    agentId: Annotated[
        int | None,
        Query(ge=1, le=INT32_MAX, description="Also the leads reserved for this agent."),
    ] = None,
) -> list[dict[str, Any]]:
    """The campaign's leads dialable now: READY, CALLBACK or AGENT-CALLBACK, not
    suppressed, due, phone not on the DNC list, not reserved for another agent; by
    `leadPriority` desc, `nextDialTime`, `leadId`. A preview: it claims nothing. Scope
    `leads:read`."""
    return dialing.dialable(account, campaignId, limit=limit, agent_id=agentId)
