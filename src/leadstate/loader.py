"""The lead loader's request and result (`LeadListProcessingRequest` / `...Result`).

Rows are checked one by one: a bad row is reported with its reason and the rest load.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from leadstate.domain import CONTACT_FIELDS, InvalidRequest, normalize_phone

DUPLICATE_HANDLING = ("RETAIN_ALL", "REMOVE_FROM_LIST", "REMOVE_ALL_EXISTING")
TIME_ZONE_OPTIONS = ("EXPLICIT", "NOT_APPLICABLE")
UNSUPPORTED_TIME_ZONE_OPTIONS = ("NPA_NXX", "ZIPCODE", "COUNTRY")
DIAL_PRIORITIES = ("IMMEDIATE", "NORMAL")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class LoadRow:
    """One good row, ready to become a lead."""

    index: int
    extern_id: str
    contact: dict[str, Any]
    phone: str
    lead_priority: int
    max_passes: int | None
    lead_timezone: str | None
    caller_id: str | None
    reserve_agent: int | None = None
    # `reserveAgent` was given but names no agent: the lead loads unreserved and is
    # counted in `failedAgentAssignment`, as the vendor does.
    agent_unassigned: bool = False


@dataclass
class LoadRequest:
    """What the loader was asked to do."""

    leads: list[Any]
    description: str | None = None
    duplicate_handling: str = "RETAIN_ALL"
    time_zone_option: str = "NOT_APPLICABLE"
    dial_priority: str = "NORMAL"
    list_state: str | None = None
    list_id: int | None = None
    _parsed: list[LoadRow | str] | None = field(default=None, repr=False)

    @classmethod
    def from_options(
        cls,
        leads: list[Any],
        *,
        description: str | None = None,
        duplicate_handling: str | None = None,
        time_zone_option: str | None = None,
        dial_priority: str | None = None,
        list_state: str | None = None,
        list_id: int | None = None,
    ) -> LoadRequest:
        """Check the request-level options (400 on a bad one)."""
        duplicate = (duplicate_handling or "RETAIN_ALL").upper()
        if duplicate not in DUPLICATE_HANDLING:
            raise InvalidRequest(
                f"duplicateHandling must be one of {', '.join(DUPLICATE_HANDLING)}"
            )
        zone = (time_zone_option or "NOT_APPLICABLE").upper()
        if zone in UNSUPPORTED_TIME_ZONE_OPTIONS:
            raise InvalidRequest(
                f"timeZoneOption {zone} needs lookup data this server does not ship yet; "
                "use EXPLICIT (leadTimezone per lead) or NOT_APPLICABLE"
            )
        if zone not in TIME_ZONE_OPTIONS:
            raise InvalidRequest("timeZoneOption must be EXPLICIT or NOT_APPLICABLE")
        priority = (dial_priority or "NORMAL").upper()
        if priority not in DIAL_PRIORITIES:
            raise InvalidRequest("dialPriority must be IMMEDIATE or NORMAL")
        state = list_state.upper() if list_state else None
        if state not in (None, "ACTIVE", "READY", "PAUSED"):
            raise InvalidRequest("listState must be ACTIVE, READY or PAUSED")
        if list_id is not None and list_id <= 0:
            raise InvalidRequest("listId must be a positive number")
        return cls(
            leads=leads,
            description=description,
            duplicate_handling=duplicate,
            time_zone_option=zone,
            dial_priority=priority,
            list_state=state,
            list_id=list_id,
        )

    def parsed_rows(self) -> list[LoadRow]:
        """The rows that passed the per-row checks."""
        return [r for r in self._parse() if isinstance(r, LoadRow)]

    def _parse(self) -> list[LoadRow | str]:
        if self._parsed is None:
            self._parsed = [_parse_row(i, raw) for i, raw in enumerate(self.leads)]
        return self._parsed


@dataclass
class LoadResult:
    """Counts and rejected rows (the vendor's `LeadListProcessingResult`)."""

    leads_supplied: int = 0
    leads_accepted: int = 0
    leads_inserted: int = 0
    dnc_returned: int = 0
    failed_agent_assignment: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    list_id: int | None = None
    list_state: str = "ACTIVE"
    time_zone_option: str = "NOT_APPLICABLE"
    lead_ids: list[int] = field(default_factory=list)


def _text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be a string")
    return str(value).strip()


def _parse_row(index: int, raw: Any) -> LoadRow | str:
    if not isinstance(raw, dict):
        return "row is not a JSON object"
    try:
        extern_id = _text(raw, "externId")
        if not extern_id:
            return "externId is required"
        phone_text = _text(raw, "leadPhone")
        phone = normalize_phone(phone_text)
        if not phone:
            return "leadPhone is required"
        if not 7 <= len(phone) <= 15:
            return f"leadPhone {phone_text!r} is not a phone number (7 to 15 digits)"
        contact: dict[str, Any] = {}
        for name in CONTACT_FIELDS:
            if name == "extendedLeadData":
                extended = raw.get(name)
                if extended is not None and not isinstance(extended, dict):
                    return "extendedLeadData must be an object"
                if extended:
                    contact[name] = extended
                continue
            value = _text(raw, name)
            if value is not None:
                contact[name] = value
        email = contact.get("email")
        if email and not _EMAIL.match(email):
            return f"email {email!r} is not an email address"
        priority = raw.get("leadPriority", 0) or 0
        if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 2**31 - 1:
            return "leadPriority must be a whole number (int32)"
        max_passes = raw.get("maxPasses")
        if max_passes is not None and (
            isinstance(max_passes, bool)
            or not isinstance(max_passes, int)
            or not 1 <= max_passes <= 2**31 - 1
        ):
            return "maxPasses must be a whole number of 1 or more (int32)"
        reserve, unassigned = _reserve_agent(raw.get("reserveAgent"))
        return LoadRow(
            index=index,
            reserve_agent=reserve,
            agent_unassigned=unassigned,
            extern_id=extern_id,
            contact=contact,
            phone=phone,
            lead_priority=priority,
            max_passes=max_passes,
            lead_timezone=_text(raw, "leadTimezone"),
            caller_id=_text(raw, "callerId"),
        )
    except ValueError as error:
        return str(error)


DNC_MESSAGE = "phone is on the do-not-call list"
EXISTING_MESSAGE = "phone already exists in this campaign"


def _reject(result: LoadResult, index: int, raw: Any, message: str) -> None:
    result.rejected.append({"index": index, "rowData": row_data(raw), "message": message})


def reject_rows(
    request: LoadRequest,
    result: LoadResult,
    rows: list[LoadRow],
    phones: frozenset[str],
    *,
    dnc: bool,
) -> list[LoadRow]:
    """`rows` without those whose phone is in `phones`, which join the rejected rows:
    what a save's guard found (a phone listed or loaded meanwhile) decides them."""
    kept: list[LoadRow] = []
    for good in rows:
        if good.phone not in phones:
            kept.append(good)
            continue
        _reject(
            result, good.index, request.leads[good.index], DNC_MESSAGE if dnc else EXISTING_MESSAGE
        )
        result.leads_accepted -= 1
        result.failed_agent_assignment -= int(good.agent_unassigned)
        if dnc:
            result.dnc_returned += 1
    result.rejected.sort(key=lambda r: int(r["index"]))
    return kept


def _reserve_agent(value: Any) -> tuple[int | None, bool]:
    """The vendor's `reserveAgent` (an agent id, as text): (agent, given but unusable)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    text = (
        str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    )
    if text.isdigit() and 0 < int(text) <= 2**31 - 1:
        return int(text), False
    return None, True


def row_data(raw: Any) -> list[str]:
    """A rejected row as the vendor's `rowData` (an array of strings)."""
    if isinstance(raw, dict):
        return [f"{k}={v}" for k, v in raw.items()]
    return [str(raw)]


def check_rows(
    request: LoadRequest, existing_phones: set[str], dnc_phones: set[str] | None = None
) -> tuple[LoadResult, list[LoadRow]]:
    """Split rows into good ones and rejected ones, applying `duplicateHandling`; a row
    whose phone is on the account's do-not-call list is rejected (`dnc_returned`)."""
    result = LoadResult(
        leads_supplied=len(request.leads),
        list_state=request.list_state or "ACTIVE",
        time_zone_option=request.time_zone_option,
    )
    good: list[LoadRow] = []
    seen: set[str] = set()
    for index, (raw, parsed) in enumerate(zip(request.leads, request._parse(), strict=True)):
        if isinstance(parsed, str):
            _reject(result, index, raw, parsed)
            continue
        if dnc_phones and parsed.phone in dnc_phones:
            result.dnc_returned += 1
            _reject(result, index, raw, DNC_MESSAGE)
            continue
        if request.duplicate_handling == "REMOVE_FROM_LIST" and parsed.phone in seen:
            _reject(result, index, raw, "duplicate phone within this request")
            continue
        if request.duplicate_handling == "REMOVE_ALL_EXISTING" and parsed.phone in existing_phones:
            _reject(result, index, raw, EXISTING_MESSAGE)
            continue
        seen.add(parsed.phone)
        good.append(parsed)
    result.leads_accepted = len(good)
    result.failed_agent_assignment = sum(1 for r in good if r.agent_unassigned)
    return result, good
