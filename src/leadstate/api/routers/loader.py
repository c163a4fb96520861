"""The direct lead loader."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from leadstate.api.auth import API_PREFIX, WriteKey
from leadstate.api.bodies import LeadListProcessingRequest
from leadstate.api.deps import AccountId, LoadingDep, RequestMeta
from leadstate.api.errors import ApiError
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import INT32_MAX, LeadListProcessingResult
from leadstate.application.views import load_result
from leadstate.requests.loads import parse_load_request

router = APIRouter(prefix=f"{API_PREFIX}/campaigns", tags=["Leads"], responses=API_ERRORS)

CampaignIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="The campaign's id.")]


@router.post(
    "/{campaignId}/leadLoader/direct",
    operation_id="loadDirectLeads",
    summary="Load leads into a new or existing list",
    response_model=LeadListProcessingResult,
    response_model_exclude_none=True,
)
def load_direct_leads(
    key: WriteKey,
    account: AccountId,
    loading: LoadingDep,
    meta: RequestMeta,
    campaignId: CampaignIdPath,
    request: Annotated[LeadListProcessingRequest, Body()],
) -> LeadListProcessingResult:
    """Load `uploadLeads` into a new list named `description` (or into `listId`): good
    rows load READY (PAUSED with `listState` PAUSED), bad rows come back in
    `rejectedRows` with the reason. More leads than the server takes per request (10,000
    by default) is a 413. Scope `leads:write`."""
    limit = loading.max_load_leads
    if len(request.uploadLeads) > limit:
        raise ApiError(413, f"at most {limit} leads per request; got {len(request.uploadLeads)}")
    load = parse_load_request(
        request.uploadLeads,
        description=request.description,
        duplicate_handling=request.duplicateHandling,
        time_zone_option=request.timeZoneOption,
        dial_priority=request.dialPriority,
        list_state=request.listState,
        list_id=request.listId,
    )
    result = loading.load_leads(account, campaignId, load, meta)
    return LeadListProcessingResult.model_validate(load_result(result))
