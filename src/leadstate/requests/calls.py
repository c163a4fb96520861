"""A dial attempt's request body (SPEC §4 `POST .../campaignLeads/{leadId}/calls`) parsed
once into a `DialAttempt`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from leadstate.domain import InvalidRequest, parse_time
from leadstate.domain.calls import (
    DIAL_DISPOSITIONS,
    MAX_DISPOSITION_LENGTH,
    MAX_TALK_TIME,
    MAX_UII_LENGTH,
    DialAttempt,
)
from leadstate.domain.values import MAX_INT32


def parse_dial_attempt(body: Mapping[str, Any]) -> DialAttempt:
    """A dial attempt from its request body; a 400 naming the field on anything wrong."""
    uii = body.get("uii")
    if not isinstance(uii, str) or not uii.strip():
        raise InvalidRequest("uii is required: the call's unique interaction id (a string)")
    uii = uii.strip()
    if len(uii) > MAX_UII_LENGTH or not uii.isprintable():
        raise InvalidRequest(f"uii must be printable text of at most {MAX_UII_LENGTH} chars")
    agent = body.get("agentId")
    if isinstance(agent, str) and agent.strip().isdigit():
        agent = int(agent.strip())
    if isinstance(agent, bool) or not isinstance(agent, int) or not 1 <= agent <= MAX_INT32:
        raise InvalidRequest("agentId is required: a positive whole number (int32)")
    disposition = body.get("systemDisposition")
    if not isinstance(disposition, str) or disposition.strip().upper() not in DIAL_DISPOSITIONS:
        raise InvalidRequest(f"systemDisposition must be one of {', '.join(DIAL_DISPOSITIONS)}")
    agent_disposition = body.get("agentDisposition")
    if agent_disposition is not None and (
        not isinstance(agent_disposition, str) or len(agent_disposition) > MAX_DISPOSITION_LENGTH
    ):
        raise InvalidRequest(
            f"agentDisposition must be text of at most {MAX_DISPOSITION_LENGTH} chars"
        )
    talk = body.get("talkTime", 0)
    if talk is None:
        talk = 0
    if isinstance(talk, str) and talk.strip().isdigit():
        talk = int(talk.strip())
    if isinstance(talk, bool) or not isinstance(talk, int) or not 0 <= talk <= MAX_TALK_TIME:
        raise InvalidRequest(f"talkTime must be whole seconds from 0 to {MAX_TALK_TIME}")
    start = body.get("startTime")
    started: datetime | None = None
    if start is not None:
        try:
            started = parse_time(start)
        except (ValueError, TypeError) as error:
            raise InvalidRequest(f"startTime: {error}") from None
    return DialAttempt(
        uii=uii,
        agent_id=agent,
        system_disposition=disposition.strip().upper(),
        agent_disposition=agent_disposition,
        talk_time=talk,
        start_time=started,
    )
