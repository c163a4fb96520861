"""Campaign leads: search, search by phones, actions, states, dispositions, one lead, edits."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Path, Query, Request
from fastapi.responses import Response

from leadstate.api.auth import API_PREFIX, ActionKey, LeadReaderKey, ReadKey, WriteKey
from leadstate.api.bodies import (
    CampaignLead,
    CampaignLeadSearchCriteria,
    LeadManagerRequest,
    PhoneListSearchRequest,
)
from leadstate.api.deps import AccountId, ActionsDep, LeadsDep, RequestMeta, parse_as_of
from leadstate.api.phonelist import PhoneListQuery, phone_list_body
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import (
    INT32_MAX,
    CampaignLeadSearchResultsView,
    CampaignLeadView,
    DispositionText,
    JobAccepted,
    LeadActionResult,
    LeadCount,
)
from leadstate.application.views import action_result, job_accepted
from leadstate.domain import LeadAction, LeadState
from leadstate.domain.edits import EditOptions
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.edits import parse_edit
from leadstate.requests.params import parse_params

router = APIRouter(prefix=f"{API_PREFIX}/campaignLeads", tags=["Leads"], responses=API_ERRORS)

LeadIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="The lead's id.")]
Page = Annotated[int, Query(ge=0, le=INT32_MAX, description="Page number, from 0.")]
MaxRows = Annotated[
    int, Query(ge=1, le=INT32_MAX, description="Rows per page (default 100, at most 10,000).")
]
CampaignIdQuery = Annotated[
    int | None,
    Query(ge=1, le=INT32_MAX, description="The lead's campaign (checked when given: 404)."),
]
ListIdQuery = Annotated[
    int | None,
    Query(
        ge=1,
        le=INT32_MAX,
        description="The lead's list (checked when given: another list is a 400; an edit "
        "moves no lead, MOVE_TO_CAMPAIGN does).",
    ),
]
TimezoneOptionQuery = Annotated[
    Literal["NPA_NXX", "ZIPCODE", "EXPLICIT", "NOT_APPLICABLE"] | None,
    Query(
        description="EXPLICIT: the time zone is the body's leadTimezone (as without it); "
        "NOT_APPLICABLE: the lead's time zone is cleared. NPA_NXX and ZIPCODE need lookup "
        "data this server does not ship yet (400)."
    ),
]
DuplicateHandlingQuery = Annotated[
    Literal["RETAIN_ALL", "REMOVE_ALL_EXISTING", "REMOVE_FROM_LIST"] | None,
    Query(
        description="With a new leadPhone: REMOVE_ALL_EXISTING refuses (409) a phone another "
        "live lead of the campaign has, REMOVE_FROM_LIST one another lead of its list has; "
        "RETAIN_ALL (default) allows it."
    ),
]


@router.post(
    "/leadSearch",
    operation_id="searchForCampaignLeads",
    summary="Search the account's leads",
    response_model=list[CampaignLeadSearchResultsView] | LeadCount,
    response_model_exclude_none=True,
)
def search_for_campaign_leads(
    key: ReadKey,
    account: AccountId,
    leads: LeadsDep,
    criteria: Annotated[CampaignLeadSearchCriteria | None, Body()] = None,
    page: Page = 0,
    maxRows: MaxRows = 100,
    count: Annotated[bool, Query(description='true: answer {"count": N} only.')] = False,
    sort: Annotated[
        str | None, Query(description="Extension: `field,-field` (default leadId).")
    ] = None,
) -> Any:
    """One page of the leads matching the criteria, ordered by leadId unless `sort` says
    otherwise; with `count=true`, how many match. Scope `leads:read`."""
    parsed = parse_criteria(criteria.sent() if criteria else None)
    if count:
        return LeadCount(count=leads.count(account, parsed))
    return leads.search(account, parsed, page=page, max_rows=maxRows, sort=sort)


@router.post(
    "/leadSearchByPhoneList",
    operation_id="uploadSearchCriteriaForCampaignLeads",
    summary="Search leads by a list of phones",
    response_model=list[CampaignLeadSearchResultsView],
    response_model_exclude_none=True,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": PhoneListSearchRequest.model_json_schema()},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "required": ["file"],
                        "properties": {
                            "file": {
                                "type": "string",
                                "format": "binary",
                                "description": "Text, one phone per line.",
                            },
                            "campaignIds": {
                                "type": "string",
                                "description": "Comma-separated campaign ids (optional).",
                            },
                        },
                    }
                },
            },
        }
    },
)
def upload_search_criteria_for_campaign_leads(
    key: ReadKey,
    account: AccountId,
    leads: LeadsDep,
    query: Annotated[PhoneListQuery, Depends(phone_list_body)],
    page: Page = 0,
    maxRows: MaxRows = 100,
) -> Any:
    """Leads whose phone is in `phoneList` (digits compared), optionally within
    `campaignIds`; or a multipart `file` of one phone per line. Scope `leads:read`."""
    return leads.search(account, query.criteria(), page=page, max_rows=maxRows)


@router.put(
    "/actions",
    operation_id="performLeadAction",
    summary="Apply a lead action to the leads the criteria select",
    response_model=LeadActionResult,
    response_model_exclude_none=True,
    responses={
        202: {
            "model": JobAccepted,
            "description": "More leads than LEADSTATE_BULK_SYNC_LIMIT: a bulk job was "
            "started; `Location` is `.../jobs/{jobId}`.",
        }
    },
)
def perform_lead_action(
    key: ActionKey,
    account: AccountId,
    actions: ActionsDep,
    meta: RequestMeta,
    request: Request,
    leadAction: Annotated[LeadAction, Query(description="The action (SPEC §2).")],
    body: Annotated[LeadManagerRequest | None, Body()] = None,
) -> Response:
    """Apply `leadAction` to every lead `campaignLeadSearchCriteria` selects, with
    `leadActionParams.paramMap`; each changed lead gets its own event. Params are checked
    before anything changes. Scope `leads:write`; DELETE_LEADS needs `leads:delete` and
    EMAIL_LEADS `leads:export`."""
    manager = body or LeadManagerRequest()
    params = parse_params(leadAction, manager.param_map())
    result = actions.perform_action(
        account, leadAction, params, parse_criteria(manager.criteria_body()), meta
    )
    if isinstance(result, dict):
        location = request.url_for("get_job", accountId=str(account), jobId=result["jobId"])
        return JobAccepted.model_validate(job_accepted(result)).response(
            202, {"Location": location.path}
        )
    return LeadActionResult.model_validate(action_result(result)).response()


@router.get(
    "/leadStates",
    operation_id="getLeadStates",
    summary="Every lead state",
    response_model=list[LeadState],
)
def get_lead_states(key: ReadKey, account: AccountId, leads: LeadsDep) -> list[str]:
    """The lead states, hyphen spelling. Scope `leads:read`."""
    return leads.lead_states()


@router.get(
    "/systemDispositions",
    operation_id="getSystemDispositions",
    summary="Every system disposition",
    response_model=list[DispositionText],
)
def get_system_dispositions(key: ReadKey, account: AccountId, leads: LeadsDep) -> list[str]:
    """The system dispositions of a pass. Scope `leads:read`."""
    return leads.system_dispositions()


def edit_options(
    campaignId: CampaignIdQuery = None,
    listId: ListIdQuery = None,
    timezoneOption: TimezoneOptionQuery = None,
    duplicateHandling: DuplicateHandlingQuery = None,
) -> EditOptions:
    """The query parameters of PATCH and PUT, typed once."""
    return EditOptions(campaignId, listId, timezoneOption, duplicateHandling)


@router.get(
    "/{leadId}",
    operation_id="getCampaignLead",
    summary="One lead (extension), now or as it was",
    response_model=CampaignLeadView,
    response_model_exclude_none=True,
)
def get_campaign_lead(
    key: LeadReaderKey,
    account: AccountId,
    leads: LeadsDep,
    leadId: LeadIdPath,
    version: Annotated[
        int | None, Query(ge=1, le=INT32_MAX, description="Rebuild at this event version.")
    ] = None,
    asOf: Annotated[str | None, Query(description="Rebuild as of this ISO-8601 time.")] = None,
) -> dict[str, Any]:
    """The lead's current view; with `version` or `asOf`, rebuilt from its events at that
    point (audit). Scope `leads:read`, plus `audit:read` for `version`/`asOf`."""
    return leads.get_lead(account, leadId, version=version, as_of=parse_as_of(asOf))


@router.patch(
    "/{leadId}",
    operation_id="patchCampaignLead",
    summary="Edit the fields sent",
    response_model=CampaignLeadSearchResultsView,
    response_model_exclude_none=True,
)
def patch_campaign_lead(
    key: WriteKey,
    account: AccountId,
    leads: LeadsDep,
    meta: RequestMeta,
    leadId: LeadIdPath,
    lead: Annotated[CampaignLead, Body()],
    options: Annotated[EditOptions, Depends(edit_options)],
) -> dict[str, Any]:
    """Change the contact fields, `leadPriority`, `maxPasses`, `leadTimezone` or `callerId`
    sent; the others stay. Any other field (state, passes, suppression, ids...) is a 400
    naming it and the action that changes it. Scope `leads:write`."""
    return leads.edit_lead(account, leadId, parse_edit(lead.sent()), meta, options)


@router.put(
    "/{leadId}",
    operation_id="updateCampaignLead",
    summary="Replace the lead's contact data",
    response_model=CampaignLeadSearchResultsView,
    response_model_exclude_none=True,
)
def update_campaign_lead(
    key: WriteKey,
    account: AccountId,
    leads: LeadsDep,
    meta: RequestMeta,
    leadId: LeadIdPath,
    lead: Annotated[CampaignLead, Body()],
    options: Annotated[EditOptions, Depends(edit_options)],
) -> dict[str, Any]:
    """As PATCH, but contact fields not sent are cleared. Scope `leads:write`."""
    return leads.edit_lead(account, leadId, parse_edit(lead.sent()), meta, options, replace=True)
