"""Dial attempts and call records (extension, SPEC §4 and §6)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import BaseModel, Field

from leadstate.api.auth import API_PREFIX, ReadKey, WriteKey
from leadstate.api.bodies import RequestModel
from leadstate.api.deps import AccountId, DialingDep, RequestMeta, parse_time_param
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import INT32_MAX, DateTimeText, DispositionText, ErrorResponse
from leadstate.requests.calls import parse_dial_attempt

router = APIRouter(prefix=API_PREFIX, tags=["Calls"], responses=API_ERRORS)

LeadIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="The lead's id.")]
OptionalId = Annotated[int | None, Query(ge=1, le=INT32_MAX)]


class DialAttemptRequest(RequestModel):
    """A dial attempt as a dialer reports it."""

    uii: str = Field(
        description="The call's unique interaction id; the same one twice is one attempt."
    )
    agentId: int = Field(ge=1, le=INT32_MAX, description="The agent who dialled.")
    systemDisposition: DispositionText = Field(description="How the call ended (SPEC §4).")
    agentDisposition: str | None = Field(None, description="The agent's disposition.")
    talkTime: int = Field(0, ge=0, description="Seconds of talk.")
    startTime: DateTimeText | None = Field(None, description="When the call started (default now).")


class CallRecordView(BaseModel):
    """One call record: no personal data (SPEC §4)."""

    callId: str = Field(description="`<leadId>:<event version>`.")
    uii: str | None = Field(description="The dial attempt's UII (null for a manual pass).")
    kind: str = Field(description="DIAL_ATTEMPT or MANUAL_PASS.")
    accountId: int
    campaignId: int = Field(description="The lead's campaign when the pass was made.")
    leadId: int
    agentId: int | None
    systemDisposition: str
    agentDisposition: str | None
    talkTime: int
    startTime: DateTimeText
    recordedAt: DateTimeText
    leadState: str = Field(description="The lead's state right after this pass.")
    leadPasses: int = Field(description="The lead's passes right after this pass.")


@router.post(
    "/campaignLeads/{leadId}/calls",
    operation_id="recordDialAttempt",
    summary="Record a dial attempt on a lead (extension)",
    response_model=CallRecordView,
    responses={
        409: {"model": ErrorResponse, "description": "The lead is not dialable (for that agent)."}
    },
)
def record_dial_attempt(
    key: WriteKey,
    account: AccountId,
    dialing: DialingDep,
    meta: RequestMeta,
    leadId: LeadIdPath,
    attempt: Annotated[DialAttemptRequest, Body()],
) -> dict[str, Any]:
    """Record a dial attempt: a call record, `leadPasses`+1, `lastPass*` set, the
    reservation consumed; then ANSWER → COMPLETE, APP_DNC → DO-NOT-CALL (the phone joins
    the DNC list), DISCONNECT → DISCONNECTED, INTERCEPT → INTERCEPT, any other → READY
    after the campaign's `passDelayMin`, or MAX-DIAL-LIMIT at `maxPasses`. Only a lead
    dialable for that agent accepts one (409 otherwise); the same `uii` again answers the
    same record and changes nothing. Scope `leads:write`."""
    return dialing.record_call(account, leadId, parse_dial_attempt(attempt.model_dump()), meta)


@router.get(
    "/calls",
    operation_id="searchCalls",
    summary="Call records (extension)",
    response_model=list[CallRecordView],
)
def search_calls(
    key: ReadKey,
    account: AccountId,
    dialing: DialingDep,
    campaignId: OptionalId = None,
    agentId: OptionalId = None,
    leadId: OptionalId = None,
    start: Annotated[
        str | None, Query(alias="from", description="Calls started at or after (ISO-8601).")
    ] = None,
    end: Annotated[
        str | None, Query(alias="to", description="Calls started before (ISO-8601).")
    ] = None,
    page: Annotated[int, Query(ge=0, le=INT32_MAX, description="Page, from 0.")] = 0,
    maxRows: Annotated[int, Query(ge=1, le=INT32_MAX, description="Rows per page.")] = 100,
) -> list[dict[str, Any]]:
    """Call records (dial attempts and manual passes) by campaign, agent, lead and start
    time, oldest first; those of deleted leads too. Scope `leads:read`."""
    return dialing.calls(
        account,
        campaign_id=campaignId,
        agent_id=agentId,
        lead_id=leadId,
        start=parse_time_param("from", start),
        end=parse_time_param("to", end),
        page=page,
        max_rows=maxRows,
    )
