"""What an edit of a lead may change (SPEC §6): contact fields and four settings; every
other field a lead shows, or the vendor's CampaignLead has, is refused with what to do
instead."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from leadstate.domain.errors import InvalidRequest
from leadstate.domain.values import CONTACT_FIELDS

# The settings an edit may change: the field a request names -> the lead's attribute.
EDITABLE_SETTINGS = {
    "leadPriority": "lead_priority",
    "maxPasses": "max_passes",
    "leadTimezone": "lead_timezone",
    "callerId": "caller_id",
}
EDITABLE_FIELDS = (*CONTACT_FIELDS, *EDITABLE_SETTINGS)

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


@dataclass(frozen=True)
class EditOptions:
    """How an edit is checked and applied (the vendor's PATCH/PUT query parameters)."""

    campaign_id: int | None = None  # must be the lead's (else: not found)
    list_id: int | None = None  # must be the lead's (an edit moves no lead)
    time_zone_option: str | None = None  # NOT_APPLICABLE clears the lead's time zone
    duplicate_handling: str | None = None  # REMOVE_*: refuse a phone another lead has


@dataclass(frozen=True)
class LeadEdit:
    """What one edit sends: contact fields (named as a lead's contact keeps them) and
    settings (named by the lead's attributes), each value already typed."""

    contact: Mapping[str, Any] = field(default_factory=dict)
    settings: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        unknown = set(self.contact) - set(CONTACT_FIELDS)
        unknown |= set(self.settings) - set(EDITABLE_SETTINGS.values())
        if unknown:
            raise InvalidRequest(f"cannot edit {', '.join(sorted(unknown))}")

    def replacing_contact(self) -> LeadEdit:
        """The edit a replacement (PUT) makes: contact fields not sent are cleared."""
        return replace(self, contact={name: self.contact.get(name) for name in CONTACT_FIELDS})

    def clearing_time_zone(self) -> LeadEdit:
        """The same edit, clearing the lead's time zone too (InvalidRequest if it sets one)."""
        if self.settings.get("lead_timezone") is not None:
            raise InvalidRequest(
                "timezoneOption NOT_APPLICABLE clears the lead's time zone: "
                "send no leadTimezone with it"
            )
        return replace(self, settings={**self.settings, "lead_timezone": None})
