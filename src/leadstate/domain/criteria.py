"""`CampaignLeadSearchCriteria` (SPEC §3) as a typed value; `leadstate.requests` builds it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class Operator(StrEnum):
    """Comparison of a `ComparableSearchField`."""

    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    EQUALS = "EQUALS"


class Suppressed(StrEnum):
    """The `suppressed` filter."""

    ONLY_SUPPRESSED = "ONLY_SUPPRESSED"
    ONLY_UNSUPPRESSED = "ONLY_UNSUPPRESSED"
    ALL = "ALL"


@dataclass(frozen=True)
class Comparison:
    """`operator` applied to a number (passes) or a time (to the second)."""

    operator: Operator
    value: int | datetime


# JSON name -> attribute name, for the exact case-insensitive text matches.
TEXT_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "zip": "zip",
    "emailAddress": "email",
    "auxData1": "aux_data1",
    "auxData2": "aux_data2",
    "auxData3": "aux_data3",
    "auxData4": "aux_data4",
    "auxData5": "aux_data5",
    "callerId": "caller_id",
}


_TEXT_NAME = {attr: name for name, attr in TEXT_FIELDS.items()}

# Field -> the vendor's JSON name (the text fields are named by `TEXT_FIELDS`).
RECORD_NAMES = {
    "lead_ids": "leadIds",
    "extern_ids": "externIds",
    "campaign_ids": "campaignIds",
    "list_ids": "listIds",
    "phones": "leadPhoneNumbers",
    "lead_states": "leadStates",
    "agent_dispositions": "agentDispositions",
    "system_dispositions": "systemDispositions",
    "physical_states": "physicalStates",
    "lead_timezones": "leadTimezones",
    "phone": "leadPhoneNum",
    "suppressed": "suppressed",
    "agent_id": "agentId",
    "pending_agent_id": "pendingAgentId",
    "lead_passes": "leadPassesCriteria",
    "last_pass_time": "lastPassTimeCriteria",
    "next_dial_time": "nextDialTimeCriteria",
    "loaded_start": "loadedDtsStart",
    "loaded_end": "loadedDtsEnd",
    "orphaned_only": "orphanedLeadsOnly",
}


@dataclass(frozen=True)
class SearchCriteria:
    """Every field of the vendor's criteria; empty lists and None mean no filter."""

    lead_ids: tuple[int, ...] = ()
    extern_ids: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    list_ids: tuple[int, ...] = ()
    phones: tuple[str, ...] = ()
    lead_states: tuple[str, ...] = ()
    agent_dispositions: tuple[str, ...] = ()
    system_dispositions: tuple[str, ...] = ()
    physical_states: tuple[str, ...] = ()
    lead_timezones: tuple[str, ...] = ()
    text: tuple[tuple[str, str], ...] = ()
    phone: str | None = None
    suppressed: Suppressed = Suppressed.ALL
    agent_id: int | None = None
    pending_agent_id: int | None = None
    lead_passes: Comparison | None = None
    last_pass_time: Comparison | None = None
    next_dial_time: Comparison | None = None
    loaded_start: datetime | None = None
    loaded_end: datetime | None = None
    orphaned_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def as_record(self) -> dict[str, Any]:
        """The criteria in the vendor's vocabulary (canonical: what is set, sorted), for
        hashing them: equal criteria give equal records."""
        record: dict[str, Any] = {}
        for f in fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if value in ((), None, False) or (f.name == "suppressed" and value is Suppressed.ALL):
                continue
            if f.name == "text":
                for attr, text in value:
                    record[_TEXT_NAME[attr]] = text
                continue
            if isinstance(value, Comparison):
                shown = (
                    value.value.isoformat() if isinstance(value.value, datetime) else value.value
                )
                value = {"operator": value.operator.value, "value": shown}
            elif isinstance(value, datetime):
                value = value.isoformat()
            elif isinstance(value, StrEnum):
                value = value.value
            elif isinstance(value, tuple):
                value = list(value)
            record[RECORD_NAMES[f.name]] = value
        return dict(sorted(record.items()))

    def has_selector(self) -> bool:
        """True when any criterion but `suppressed` selects (SPEC §3, for actions)."""
        for f in fields(self):
            if f.name in ("suppressed", "extra"):
                continue
            value = getattr(self, f.name)
            if value not in ((), None, False):
                return True
        return False
