"""Request bodies of the HTTP API, with the vendor's JSON names.

Most bodies are `Documented`: their fields document the schema, and the body is parsed
once by `leadstate.requests` (criteria, edits), so a wrong value is a 400 in that
parser's words. The others check shapes and types here (a wrong type is a 400 naming
the field) and ignore unknown fields, as the vendor does.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    model_validator,
)

from leadstate.api.schemas import (
    INT32_MAX,
    DateTimeText,
    DialPriorityText,
    DispositionText,
    DuplicateHandlingText,
    Id32,
    Int32,
    LeadStateText,
    ListStateText,
    OperatorText,
    SuppressedText,
    TimeZoneOptionText,
)
from leadstate.requests.criteria import MAX_LIST_ITEMS


class RequestModel(BaseModel):
    """Base of request bodies: unknown fields ignored, numbers accepted for strings."""

    model_config = ConfigDict(extra="ignore", coerce_numbers_to_str=True)


class Documented(BaseModel):
    """A request body documented by its fields but parsed once by `leadstate.requests`:
    here it is only checked to be a JSON object, and its values are kept as sent."""

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="wrap")
    @classmethod
    def _keep_as_sent(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if isinstance(data, cls):
            return data
        if not isinstance(data, dict):
            raise ValueError("must be a JSON object")
        return cls.model_construct(**data)  # the values as sent: no field is validated

    def sent(self) -> dict[str, Any]:
        """The fields as the caller sent them."""
        return {
            **{name: getattr(self, name) for name in self.model_fields_set},
            **(self.model_extra or {}),
        }


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


class CampaignLeadSearchCriteria(Documented):
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
        return criteria.sent() if criteria is not None else None

    def param_map(self) -> dict[str, Any] | None:
        """The params as sent (unknown keys kept, for the domain to name), or None."""
        params = self.leadActionParams
        if params is None or params.paramMap is None:
            return None
        return params.paramMap.model_dump(exclude_unset=True)


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


class CampaignLead(Documented, LeadFields):
    """The fields an edit changes: contact fields, `leadPriority`, `maxPasses`,
    `leadTimezone` and `callerId`. Any other field is a 400 naming it and what changes it
    instead (a lead action for state, passes, suppression, campaign and list), never
    silently ignored."""

    model_config = ConfigDict(extra="allow", json_schema_extra={"additionalProperties": False})


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


# -- campaigns --------------------------------------------------------------------------


class CampaignSettingsUpdate(RequestModel):
    """A campaign's new pass settings."""

    maxPasses: int = Field(description="Passes before MAX-DIAL-LIMIT (1 to 1000).")
    passDelayMin: int = Field(description="Minutes between passes (0 to 525600).")
