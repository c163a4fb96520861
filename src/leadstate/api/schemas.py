"""Request and response bodies of the HTTP API, with the vendor's JSON names.

Request models check shapes and types (a wrong type is a 400 naming the field) and
ignore unknown fields, as the vendor does; the domain checks meaning (allowed values,
required action params) so the CLI and the API share one set of rules. Response models
declare every field they return.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Union

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    WithJsonSchema,
)
from starlette.responses import Response
from typing_extensions import TypeAliasType

from leadstate.domain import SYSTEM_DISPOSITIONS, LeadAction, LeadState

INT32_MAX = 2_147_483_647

Int32 = Annotated[int, Field(ge=-INT32_MAX - 1, le=INT32_MAX)]
Id32 = Annotated[int, Field(ge=0, le=INT32_MAX)]
DateTimeText = Annotated[
    str,
    WithJsonSchema(
        {"type": "string", "format": "date-time", "description": "ISO-8601 time with offset"}
    ),
]


def _enum(values: list[str], description: str) -> WithJsonSchema:
    """A string documented with the vendor's enum (the domain checks the value)."""
    return WithJsonSchema({"type": "string", "enum": values, "description": description})


LEAD_STATE_NAMES = [s.value for s in LeadState]
LeadStateText = Annotated[str, _enum(LEAD_STATE_NAMES, "A lead state (`_` accepted for `-`).")]
DispositionText = Annotated[str, _enum(list(SYSTEM_DISPOSITIONS), "A system disposition.")]
OperatorText = Annotated[str, _enum(["GREATER_THAN", "LESS_THAN", "EQUALS"], "How to compare.")]
SuppressedText = Annotated[
    str,
    _enum(
        ["ONLY_SUPPRESSED", "ONLY_UNSUPPRESSED", "ALL"], "Which leads by suppression (default ALL)."
    ),
]
DuplicateHandlingText = Annotated[
    str,
    _enum(
        ["RETAIN_ALL", "REMOVE_ALL_EXISTING", "REMOVE_FROM_LIST"],
        "Duplicates by phone: keep all, drop phones already in the campaign, or drop later "
        "duplicates within the request.",
    ),
]
TimeZoneOptionText = Annotated[
    str,
    _enum(
        ["NPA_NXX", "ZIPCODE", "EXPLICIT", "COUNTRY", "NOT_APPLICABLE"],
        "EXPLICIT (each lead's leadTimezone) or NOT_APPLICABLE; the others are a 400 for now.",
    ),
]
DialPriorityText = Annotated[
    str,
    _enum(
        ["IMMEDIATE", "NORMAL"], "IMMEDIATE loads with leadPriority 100; NORMAL keeps the lead's."
    ),
]
ListStateText = Annotated[
    str,
    _enum(["ACTIVE", "PAUSED", "READY"], "PAUSED loads the leads PAUSED; ACTIVE/READY: READY."),
]
ListStateName = Literal[
    "ACTIVE",
    "PAUSED",
    "PENDING_DNC",
    "LOADING",
    "DELETED",
    "READY",
    "CALLBACKS",
    "CALLBACKS_AGENT",
    "DUPLICATES_NOT_MERGED",
    "DUPLICATES_NOT_MOVED",
]
ScopeName = Literal[
    "leads:read", "leads:write", "leads:delete", "leads:export", "audit:read", "admin"
]


def _absent_never_null(schema: dict[str, Any]) -> None:
    """The schema of a response sent with its `None` fields left out: each such field may
    be absent (it is not required) but is never `null` (SPEC §6 Absent fields)."""
    for prop in schema.get("properties", {}).values():
        options = prop.get("anyOf")
        if not options or {"type": "null"} not in options:
            continue
        rest = [o for o in options if o != {"type": "null"}]
        del prop["anyOf"]
        if len(rest) == 1:
            prop.update(rest[0])
        else:
            prop["anyOf"] = rest
        if prop.get("default", 0) is None:
            del prop["default"]


class OmitsNone(BaseModel):
    """A response model sent without its `None` fields (routes set
    `response_model_exclude_none`; `wire` does the same for hand-built responses)."""

    model_config = ConfigDict(json_schema_extra=_absent_never_null)

    def wire(self) -> dict[str, Any]:
        """The JSON body: no `null` anywhere."""
        return self.model_dump(mode="json", exclude_none=True)

    def response(self, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
        """The same body as a response, serialized once by pydantic (a route returning
        it skips FastAPI's second validation of its response model)."""
        return Response(
            self.model_dump_json(exclude_none=True),
            status_code=status_code,
            headers=headers,
            media_type="application/json",
        )


# -- errors -----------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """What went wrong, for the person who sent the request."""

    code: str = Field(description="A stable machine-readable code, e.g. `invalid_request`.")
    message: str = Field(description="A readable explanation naming the offending field.")


class ErrorResponse(BaseModel):
    """Every error response: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


JsonValue = TypeAliasType(  # type: ignore[misc]
    "JsonValue",
    Annotated[
        Union[str, int, float, bool, list["JsonValue"], dict[str, "JsonValue"], None],  # type: ignore[misc]  # noqa: UP007
        Field(description="Any JSON value: a string, number, boolean, null, list or object."),
    ],
)
"""Any JSON value (the recursive type keeps every object's schema declared)."""


class SkippedLead(BaseModel):
    """A lead an action left alone, and why (e.g. `do-not-call`, `transitioned`)."""

    leadId: int
    reason: str


class LeadActionResult(OmitsNone):
    """The vendor's `LeadActionResult`, plus the skipped leads and a new list's id."""

    success: bool
    leadUpdateCount: int = Field(description="Leads the action changed (no-ops not counted).")
    leadDeleteCount: int = Field(description="Leads DELETE_LEADS removed.")
    redialDeleteCount: int = Field(description="Always 0.")
    dialerRefreshed: bool = Field(
        description="True when DIALER_REFRESH saw every read model current."
    )
    leadActionType: LeadAction
    errorMessage: str | None = Field(None, description="A summary of the skipped leads, if any.")
    errors: list[SkippedLead] = Field(description="Extension: every skipped lead and why.")
    newListId: int | None = Field(None, description="Extension: the list MOVE_TO_CAMPAIGN created.")


class JobResult(OmitsNone):
    """A job's `LeadActionResult` so far."""

    success: bool = Field(description="False once the job failed.")
    leadUpdateCount: int
    leadDeleteCount: int
    redialDeleteCount: int
    dialerRefreshed: bool
    leadActionType: LeadAction
    errorMessage: str | None = None


class Job(OmitsNone):
    """A bulk action running as a job (SPEC §6 `GET .../jobs/{jobId}`)."""

    jobId: str
    leadAction: LeadAction
    status: Literal["queued", "running", "done", "failed"]
    total: int = Field(description="Leads the job targets (fixed at submission).")
    processed: int = Field(description="Leads processed so far.")
    result: JobResult
    errors: list[SkippedLead] = Field(description="Skipped leads and why (the first 1,000).")


class JobAccepted(LeadActionResult):
    """A selection too large to act on at once: 202 with the `LeadActionResult` fields
    (counts so far) and the job, whose `Location` is `.../jobs/{jobId}`."""

    jobId: str
    status: Literal["queued", "running", "done", "failed"]
    total: int
    processed: int
    job: Job


class RejectedRow(BaseModel):
    """A lead the loader refused, with its data and the reason."""

    rowData: list[str]
    message: str


class LeadListProcessingResult(OmitsNone):
    """The vendor's `LeadListProcessingResult`, plus the list and the new leads' ids."""

    leadsSupplied: int
    leadsAccepted: int
    leadsInserted: int
    dncReturnedCount: int = Field(description="Leads refused because their phone is DNC.")
    internalDncCount: int
    whitelistCount: int
    deletedCount: int
    hasDeletedLeads: bool
    failedAgentAssignment: int
    listState: ListStateName
    timeZoneOption: Literal["NPA_NXX", "ZIPCODE", "EXPLICIT", "NOT_APPLICABLE"]
    processingStatus: Literal["NO_LEADS_PASSED_VALIDATION", "DEFAULT_NOT_A_FAILURE"]
    message: str
    rejectedRows: list[RejectedRow]
    listId: int | None = Field(None, description="Extension: the list the leads went into.")
    leadIds: list[int] = Field(description="Extension: the new leads' ids, in row order.")


# -- leads ------------------------------------------------------------------------------


class CampaignLeadSearchResultsView(OmitsNone):
    """A lead as search shows it: the vendor's view (both `agentDispostion` spellings),
    plus `accountId`, `pendingAgentId`, `leadPriority` and `originalLeadId`. Every time is
    an ISO-8601 string with its offset. A field without a value is left out."""

    leadId: int
    accountId: int
    campaignId: int
    listId: int
    listDesc: str | None = Field(None, description="The name of the lead's list.")
    externId: str
    title: str | None = None
    firstName: str | None = None
    midName: str | None = None
    lastName: str | None = None
    suffix: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    state: str | None = Field(None, description="The address state (not the lead state).")
    zip: str | None = None
    email: str | None = None
    leadPhone: str | None = None
    leadPhoneE164: str | None = None
    auxPhone: str | None = None
    gateKeeper: str | None = None
    auxData1: str | None = None
    auxData2: str | None = None
    auxData3: str | None = None
    auxData4: str | None = None
    auxData5: str | None = None
    extraData: str | None = Field(None, description="The lead's extendedLeadData, as JSON text.")
    leadState: LeadState
    leadPasses: int
    maxPasses: int | None = Field(
        None, description="The lead's own limit (absent: the campaign's)."
    )
    nextDialTime: DateTimeText | None = None
    lastPassDts: DateTimeText | None = None
    lastPassDate: DateTimeText | None = Field(None, description="Same as lastPassDts.")
    lastPassDisposition: str | None = Field(
        None, description="The system disposition of the last pass."
    )
    lastPassDispo: str | None = Field(None, description="Same as lastPassDisposition.")
    agentDispostion: str | None = Field(
        None, description="The vendor's spelling of agentDisposition."
    )
    agentDisposition: str | None = None
    lastPassAgentId: int | None = None
    suppressed: bool
    pendingAgentId: int | None = Field(None, description="The agent the lead is reserved for.")
    leadPriority: int
    leadTimezone: str | None = None
    callerId: str | None = None
    loadedDts: DateTimeText
    uploadDate: DateTimeText = Field(description="Same as loadedDts.")
    stateDts: DateTimeText = Field(description="When the state last changed.")
    originalLeadId: int | None = Field(None, description="On a copy: the lead it was copied from.")


class CampaignLeadView(CampaignLeadSearchResultsView):
    """One lead; rebuilt from its events when `version` or `asOf` was asked for (then
    `version` and `deleted` are set, and erased personal data shows as `[erased]`)."""

    version: int | None = Field(None, description="The event version shown (audit views).")
    deleted: bool | None = Field(None, description="True if deleted at that point (audit views).")


class LeadCount(BaseModel):
    """How many leads match (`count=true`)."""

    count: int


# -- campaigns --------------------------------------------------------------------------


class CampaignSettingsView(BaseModel):
    """A campaign's pass settings (defaults until changed: 3 passes, 60 minutes)."""

    campaignId: int
    maxPasses: int
    passDelayMin: int


# -- keys and health --------------------------------------------------------------------


class ApiKeyView(BaseModel):
    """An API key (never its token): its id, accounts (`*` = all) and scopes."""

    keyId: str = Field(description="The key's id; recorded as the actor of its changes.")
    name: str
    accounts: list[str] = Field(description='`["*"]` for every account, else one account id.')
    scopes: list[ScopeName]
    createdAt: DateTimeText
    revoked: bool


class HealthStatus(BaseModel):
    """Liveness or readiness; no personal data, no account names."""

    status: Literal["ok", "ready"]
