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
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)
from typing_extensions import TypeAliasType

from leadstate.apikeys import ApiKey
from leadstate.application import ActionResult, CampaignSettings
from leadstate.domain import SYSTEM_DISPOSITIONS, LeadAction, LeadState
from leadstate.domain.lead import check_edit_fields
from leadstate.loader import LoadResult

INT32_MAX = 2_147_483_647
MAX_LIST_ITEMS = 10_000
MAX_CRITERIA_VALUES = 20_000

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


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields ignored, numbers accepted for strings."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


# -- errors -----------------------------------------------------------------------------


class ErrorDetail(BaseModel):
    """What went wrong, for the person who sent the request."""

    code: str = Field(description="A stable machine-readable code, e.g. `invalid_request`.")
    message: str = Field(description="A readable explanation naming the offending field.")


class ErrorResponse(BaseModel):
    """Every error response: `{"error": {"code", "message"}}`."""

    error: ErrorDetail


# -- search criteria --------------------------------------------------------------------


class ComparableSearchField(RequestModel):
    """A comparison on a number (`leadPassesCriteria`)."""

    operator: OperatorText
    value: Int32


class DateTimeComparableSearchField(RequestModel):
    """A comparison on a time, to the second (`lastPassTimeCriteria`, `nextDialTimeCriteria`)."""

    operator: OperatorText
    value: DateTimeText


class Timezone(RequestModel):
    """A time zone, matched by `name` (a plain string is accepted too)."""

    name: str | None = None
    description: str | None = None


def _timezone_from_text(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


TimezoneItem = Annotated[Timezone, BeforeValidator(_timezone_from_text)]


class CampaignLeadSearchCriteria(RequestModel):
    """Which leads of the account to select (SPEC §3); empty lists and absent fields do not
    filter. Text fields match exactly, ignoring case; phones compare on their digits."""

    leadIds: list[Id32] | None = Field(None, max_length=MAX_LIST_ITEMS)
    externIds: list[str] | None = Field(None, max_length=MAX_LIST_ITEMS)
    campaignIds: list[Id32] | None = Field(None, max_length=MAX_LIST_ITEMS)
    listIds: list[Id32] | None = Field(None, max_length=MAX_LIST_ITEMS)
    leadPhoneNumbers: list[str] | None = Field(None, max_length=MAX_LIST_ITEMS)
    leadStates: list[LeadStateText] | None = Field(None, max_length=MAX_LIST_ITEMS)
    agentDispositions: list[str] | None = Field(None, max_length=MAX_LIST_ITEMS)
    systemDispositions: list[DispositionText] | None = Field(None, max_length=MAX_LIST_ITEMS)
    physicalStates: list[str] | None = Field(
        None, max_length=MAX_LIST_ITEMS, description="The lead's address `state` field."
    )
    leadTimezones: list[TimezoneItem] | None = Field(None, max_length=MAX_LIST_ITEMS)
    firstName: str | None = None
    lastName: str | None = None
    address1: str | None = None
    address2: str | None = None
    city: str | None = None
    zip: str | None = None
    emailAddress: str | None = None
    auxData1: str | None = None
    auxData2: str | None = None
    auxData3: str | None = None
    auxData4: str | None = None
    auxData5: str | None = None
    callerId: str | None = None
    leadPhoneNum: str | None = None
    suppressed: SuppressedText | None = None
    agentId: Int32 | None = Field(None, description="The agent of the last pass.")
    pendingAgentId: Int32 | None = Field(None, description="The agent the lead is reserved for.")
    leadPassesCriteria: ComparableSearchField | None = None
    lastPassTimeCriteria: DateTimeComparableSearchField | None = None
    nextDialTimeCriteria: DateTimeComparableSearchField | None = None
    loadedDtsStart: DateTimeText | None = None
    loadedDtsEnd: DateTimeText | None = None
    orphanedLeadsOnly: bool | None = None

    @model_validator(mode="after")
    def _not_too_many_values(self) -> CampaignLeadSearchCriteria:
        total = sum(len(v) for v in self.__dict__.values() if isinstance(v, list))
        if total > MAX_CRITERIA_VALUES:
            raise ValueError(
                f"at most {MAX_CRITERIA_VALUES} values in all the lists together; got {total}"
            )
        return self

    def as_body(self) -> dict[str, Any]:
        """The fields the caller sent, as plain JSON values, for the domain's parser."""
        return self.model_dump(exclude_unset=True)


class PhoneListSearchRequest(RequestModel):
    """Leads by phone: `phoneList` (digits compared), optionally within `campaignIds`."""

    phoneList: list[str] = Field(max_length=MAX_LIST_ITEMS)
    campaignIds: list[Id32] = Field(default_factory=list, max_length=MAX_LIST_ITEMS)


# -- lead actions -----------------------------------------------------------------------


def _param(types: list[str], description: str) -> WithJsonSchema:
    """A param value's documented JSON types (the domain checks and converts it)."""
    schema: dict[str, Any] = {"description": description}
    if len(types) == 1:
        schema["type"] = types[0]
    else:
        schema["anyOf"] = [{"type": t} for t in types]
    return WithJsonSchema(schema)


Text = ["string"]
Flag = ["boolean", "string"]
Number = ["integer", "string"]


class ParamMap(BaseModel):
    """Action parameters (SPEC §2); values may be JSON types or strings. Keys are
    case-sensitive; a key the action does not take is a 400 naming the allowed ones."""

    model_config = ConfigDict(extra="allow")

    PASS_DISPOSITION: Annotated[
        Any, _param(Text, "MANUAL_LEADS (required): the agent disposition.")
    ] = None
    REQUEUE: Annotated[Any, _param(Flag, "MANUAL_LEADS: back to READY after PASS_DELAY.")] = None
    DO_NOT_CALL: Annotated[
        Any, _param(Flag, "MANUAL_LEADS: DO-NOT-CALL, and the phone joins the DNC list.")
    ] = None
    MERGE_ORIGINAL: Annotated[
        Any, _param(Flag, "MANUAL_LEADS: the same pass on a copy's original.")
    ] = None
    PASS_DELAY: Annotated[
        Any, _param(Number, "MANUAL_LEADS: minutes before a requeued lead is due.")
    ] = None
    CAMPAIGN_ID: Annotated[
        Any, _param(Number, "MOVE_TO_CAMPAIGN (required): the target campaign.")
    ] = None
    LIST_ID: Annotated[
        Any, _param(Number, "MOVE_TO_CAMPAIGN (required): the target list; 0 = a new list.")
    ] = None
    LIST_NAME: Annotated[
        Any, _param(Text, "MOVE_TO_CAMPAIGN: the new list's name (required with LIST_ID 0).")
    ] = None
    CREATE_COPY_SETTING: Annotated[
        Any, _param(Flag, "MOVE_TO_CAMPAIGN: false (move), true (copy) or TRANSITION.")
    ] = None
    DUPLICATE_ACTION_SETTING: Annotated[
        Any, _param(Text, "MOVE_TO_CAMPAIGN: MOVE (default) or IGNORE.")
    ] = None
    ACTION_TYPE: Annotated[
        Any, _param(Text, "CALLBACK_LEADS (required): AGENT, SET, CANCEL or RESET.")
    ] = None
    RESERVATION_AGENT_ID: Annotated[
        Any, _param(Number, "CALLBACK_LEADS AGENT, AGENT_RESERVATION: the agent (0 clears).")
    ] = None
    CALLBACK_DATE: Annotated[
        Any, _param(Text, "CALLBACK_LEADS: ISO-8601 time of the callback (required for SET).")
    ] = None
    EMAIL_TO: Annotated[Any, _param(Text, "EMAIL_LEADS (required): comma-separated addresses.")] = (
        None
    )
    force_dialer_cache_refresh: Annotated[
        Any, _param(Flag, "DIALER_REFRESH: accepted, changes nothing.")
    ] = None


class LeadActionParams(RequestModel):
    """The action's parameters."""

    paramMap: ParamMap | None = None


class LeadManagerRequest(RequestModel):
    """A lead action's selection and parameters."""

    campaignLeadSearchCriteria: CampaignLeadSearchCriteria | None = None
    leadActionParams: LeadActionParams | None = None

    def criteria_body(self) -> dict[str, Any] | None:
        """The criteria as sent, or None."""
        criteria = self.campaignLeadSearchCriteria
        return criteria.as_body() if criteria is not None else None

    def param_map(self) -> dict[str, Any] | None:
        """The params as sent (unknown keys kept, for the domain to name), or None."""
        params = self.leadActionParams
        if params is None or params.paramMap is None:
            return None
        return params.paramMap.model_dump(exclude_unset=True)


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

    @classmethod
    def of(cls, result: ActionResult) -> LeadActionResult:
        """The API view of an application result."""
        return cls(
            success=True,
            leadUpdateCount=result.update_count,
            leadDeleteCount=result.delete_count,
            redialDeleteCount=0,
            dialerRefreshed=result.dialer_refreshed,
            leadActionType=result.action,
            errorMessage=result.error_message,
            errors=[
                SkippedLead(leadId=int(e["leadId"]), reason=str(e["reason"])) for e in result.errors
            ],
            newListId=result.new_list_id,
        )


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

    @classmethod
    def of(cls, job: dict[str, Any]) -> Job:
        """The API view of an application job."""
        return cls.model_validate(job)


class JobAccepted(LeadActionResult):
    """A selection too large to act on at once: 202 with the `LeadActionResult` fields
    (counts so far) and the job, whose `Location` is `.../jobs/{jobId}`."""

    jobId: str
    status: Literal["queued", "running", "done", "failed"]
    total: int
    processed: int
    job: Job

    @classmethod
    def of_job(cls, job: dict[str, Any]) -> JobAccepted:
        """The 202 body for an application job."""
        view = Job.of(job)
        return cls(
            success=True,
            leadUpdateCount=view.result.leadUpdateCount,
            leadDeleteCount=view.result.leadDeleteCount,
            redialDeleteCount=0,
            dialerRefreshed=False,
            leadActionType=view.leadAction,
            errorMessage=view.result.errorMessage,
            errors=view.errors,
            newListId=None,
            jobId=view.jobId,
            status=view.status,
            total=view.total,
            processed=view.processed,
            job=view,
        )


# -- loading ----------------------------------------------------------------------------


class LeadFields(RequestModel):
    """The contact fields and settings a lead is loaded with and edited by."""

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
    leadPhone: str | None = Field(None, description="Required on load; 7 to 15 digits.")
    leadPhoneE164: str | None = None
    auxPhone: str | None = None
    gateKeeper: str | None = None
    auxData1: str | None = None
    auxData2: str | None = None
    auxData3: str | None = None
    auxData4: str | None = None
    auxData5: str | None = None
    extendedLeadData: dict[str, str] | None = None
    leadPriority: Int32 | None = Field(None, description="Higher is dialled first.")
    maxPasses: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = Field(
        None, description="The lead's own pass limit (absent: the campaign's)."
    )
    leadTimezone: str | None = None
    callerId: str | None = None


class CampaignLeadUpload(LeadFields):
    """One lead as sent to the loader (`uploadLeads`)."""

    externId: str | None = Field(None, description="Required on load.")
    reserveAgent: str | None = Field(
        None,
        description="An agent id to reserve the lead for (its pendingAgentId). Blank or "
        "absent: not reserved; not an agent id: loaded unreserved and counted in "
        "failedAgentAssignment.",
    )


class CampaignLead(LeadFields):
    """The fields an edit changes: contact fields, `leadPriority`, `maxPasses`,
    `leadTimezone` and `callerId`. Any other field is a 400 naming it and what changes it
    instead (a lead action for state, passes, suppression, campaign and list), never
    silently ignored."""

    model_config = ConfigDict(
        extra="allow", coerce_numbers_to_str=True, json_schema_extra={"additionalProperties": False}
    )

    def changes(self) -> dict[str, Any]:
        """The fields the caller sent (InvalidRequest naming any an edit cannot change)."""
        check_edit_fields([*self.model_fields_set, *(self.model_extra or {})])
        return self.model_dump(exclude_unset=True)


class LeadListProcessingRequest(RequestModel):
    """Leads to load into a new list (named by `description`) or into `listId`. Each row
    is checked on its own: bad rows are reported in `rejectedRows`, good rows load."""

    uploadLeads: Annotated[
        list[Any],
        WithJsonSchema(
            {
                "type": "array",
                "items": CampaignLeadUpload.model_json_schema(),
                "description": "The leads; at most LEADSTATE_MAX_LOAD_LEADS (10,000) or 413.",
            }
        ),
    ]
    description: str | None = Field(None, description="The new list's name.")
    duplicateHandling: DuplicateHandlingText | None = None
    timeZoneOption: TimeZoneOptionText | None = None
    dialPriority: DialPriorityText | None = None
    listState: ListStateText | None = None
    listId: Annotated[int, Field(ge=1, le=INT32_MAX)] | None = Field(
        None, description="Extension: add to this existing list of the campaign."
    )


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

    @classmethod
    def of(cls, result: LoadResult) -> LeadListProcessingResult:
        """The API view of a load."""
        inserted = result.leads_inserted
        where = f" into list {result.list_id}" if result.list_id is not None else ""
        return cls(
            leadsSupplied=result.leads_supplied,
            leadsAccepted=result.leads_accepted,
            leadsInserted=inserted,
            dncReturnedCount=result.dnc_returned,
            internalDncCount=0,
            whitelistCount=0,
            deletedCount=0,
            hasDeletedLeads=False,
            failedAgentAssignment=result.failed_agent_assignment,
            listState=result.list_state,
            timeZoneOption=result.time_zone_option,
            processingStatus="DEFAULT_NOT_A_FAILURE" if inserted else "NO_LEADS_PASSED_VALIDATION",
            message=f"{inserted} of {result.leads_supplied} lead(s) loaded{where}; "
            f"{len(result.rejected)} rejected",
            rejectedRows=[
                RejectedRow(rowData=[str(x) for x in r["rowData"]], message=str(r["message"]))
                for r in result.rejected
            ],
            listId=result.list_id,
            leadIds=list(result.lead_ids),
        )


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


class CampaignSettingsUpdate(RequestModel):
    """A campaign's new pass settings."""

    maxPasses: int = Field(description="Passes before MAX-DIAL-LIMIT (1 to 1000).")
    passDelayMin: int = Field(description="Minutes between passes (0 to 525600).")


class CampaignSettingsView(BaseModel):
    """A campaign's pass settings (defaults until changed: 3 passes, 60 minutes)."""

    campaignId: int
    maxPasses: int
    passDelayMin: int

    @classmethod
    def of(cls, settings: CampaignSettings) -> CampaignSettingsView:
        """The API view of campaign settings."""
        return cls(
            campaignId=settings.campaign_id,
            maxPasses=settings.max_passes,
            passDelayMin=settings.pass_delay_min,
        )


# -- keys and health --------------------------------------------------------------------


class ApiKeyView(BaseModel):
    """An API key (never its token): its id, accounts (`*` = all) and scopes."""

    keyId: str = Field(description="The key's id; recorded as the actor of its changes.")
    name: str
    accounts: list[str] = Field(description='`["*"]` for every account, else one account id.')
    scopes: list[ScopeName]
    createdAt: DateTimeText
    revoked: bool

    @classmethod
    def of(cls, key: ApiKey) -> ApiKeyView:
        """The API view of a key."""
        return cls(
            keyId=key.key_id,
            name=key.name,
            accounts=key.accounts,
            scopes=list(key.scopes),
            createdAt=key.created_at.isoformat(),
            revoked=key.revoked,
        )


class HealthStatus(BaseModel):
    """Liveness or readiness; no personal data, no account names."""

    status: Literal["ok", "ready"]
