"""What an edit of a lead may change (SPEC §6): contact fields and four settings; every
other field a lead shows, or the vendor's CampaignLead has, is refused with what to do
instead."""

from __future__ import annotations

from collections.abc import Iterable

from leadstate.domain.errors import InvalidRequest
from leadstate.domain.values import CONTACT_FIELDS

EDITABLE_FIELDS = (*CONTACT_FIELDS, "leadPriority", "maxPasses", "leadTimezone", "callerId")

_BY_ACTION = "a lead action changes it"
_BY_PASS = "a dial attempt (POST .../calls) or MANUAL_LEADS changes it"
_SET_BY_SERVICE = "the service sets it"
_IDENTITY = "it identifies the lead and never changes"
_NOT_KEPT = "this service does not keep it"
# Fields a lead shows (or the vendor's CampaignLead has) that an edit cannot change,
# each with what to do instead: sending one is a 400, never silently ignored (SPEC §6).
NOT_EDITABLE: dict[str, str] = {
    "leadState": "a lead action changes it (READY_LEADS, CANCEL_LEADS, PAUSE_LEADS, "
    "RESET_LEADS, CALLBACK_LEADS)",
    "leadPasses": "RESET_LEADS or MANUAL_LEADS changes it",
    "suppressed": "SUPPRESS_LEADS or UNSUPPRESS_LEADS changes it",
    "campaignId": "MOVE_TO_CAMPAIGN moves a lead",
    "listId": "MOVE_TO_CAMPAIGN moves a lead",
    "nextDialTime": "CALLBACK_LEADS (ACTION_TYPE SET) or RESET_LEADS changes it",
    "pendingAgentId": "AGENT_RESERVATION changes it",
    "lastPassDts": _BY_PASS,
    "lastPassDate": _BY_PASS,
    "lastPassDisposition": _BY_PASS,
    "lastPassDispo": _BY_PASS,
    "lastPassAgentId": _BY_PASS,
    "agentDisposition": _BY_PASS,
    "agentDispostion": _BY_PASS,
    "leadId": _IDENTITY,
    "id": _IDENTITY,
    "accountId": _IDENTITY,
    "externId": _IDENTITY,
    "originalLeadId": _IDENTITY,
    "loadedDts": _SET_BY_SERVICE,
    "uploadDate": _SET_BY_SERVICE,
    "stateDts": _SET_BY_SERVICE,
    "listDesc": "it is the list's name",
    "version": _SET_BY_SERVICE,
    "deleted": "DELETE_LEADS deletes a lead",
    "extraData": "send extendedLeadData (an object of strings) instead",
    "timezones": "send leadTimezone instead",
    **dict.fromkeys(
        (
            "auxExternalUrl",
            "auxGreeting",
            "dupeKeyOverride",
            "liveAnswerMessage",
            "machAnswerMessage",
            "name",
            "reserveAgent",
            "sortCol",
            "personaMapping",
            "campaignName",
            "dialGroupId",
            "lastPassAgentName",
            "pendingAgentName",
            "speedToLeadAgentConn",
            "speedToLeadFirstPass",
            "uploadedBy",
        ),
        _NOT_KEPT,
    ),
}


def check_edit_fields(names: Iterable[str]) -> None:
    """InvalidRequest naming every field an edit cannot change, and what to do instead."""
    problems = []
    for name in sorted(set(names) - set(EDITABLE_FIELDS)):
        reason = NOT_EDITABLE.get(name)
        problems.append(f"{name} ({reason})" if reason else f"{name} (unknown field)")
    if problems:
        raise InvalidRequest(
            f"cannot edit {'; '.join(problems)}. Editable fields: {', '.join(EDITABLE_FIELDS)}"
        )
