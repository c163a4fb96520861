"""A loader request (`uploadLeads` and the request's options) parsed once into a
`LoadRequest`: request options checked (400 on a bad one), each row a `LoadRow` or a
`RejectedRow` with its reason (a bad row never fails the request)."""

from __future__ import annotations

import re
from typing import Any

from leadstate.domain import CONTACT_FIELDS, InvalidRequest, normalize_phone
from leadstate.domain.loading import DUPLICATE_HANDLING, LoadRequest, LoadRow, RejectedRow

TIME_ZONE_OPTIONS = ("EXPLICIT", "NOT_APPLICABLE")
UNSUPPORTED_TIME_ZONE_OPTIONS = ("NPA_NXX", "ZIPCODE", "COUNTRY")
DIAL_PRIORITIES = ("IMMEDIATE", "NORMAL")

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_load_request(
    leads: list[Any],
    *,
    description: str | None = None,
    duplicate_handling: str | None = None,
    time_zone_option: str | None = None,
    dial_priority: str | None = None,
    list_state: str | None = None,
    list_id: int | None = None,
) -> LoadRequest:
    """Check the request-level options (400 on a bad one) and parse every row."""
    duplicate = (duplicate_handling or "RETAIN_ALL").upper()
    if duplicate not in DUPLICATE_HANDLING:
        raise InvalidRequest(f"duplicateHandling must be one of {', '.join(DUPLICATE_HANDLING)}")
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
    return LoadRequest(
        rows=tuple(parse_row(i, raw) for i, raw in enumerate(leads)),
        description=description,
        duplicate_handling=duplicate,
        time_zone_option=zone,
        dial_priority=priority,
        list_state=state,
        list_id=list_id,
    )


def row_data(raw: Any) -> tuple[str, ...]:
    """A row as the vendor's `rowData` (an array of strings)."""
    if isinstance(raw, dict):
        return tuple(f"{k}={v}" for k, v in raw.items())
    return (str(raw),)


def _text(row: dict[str, Any], name: str) -> str | None:
    value = row.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be a string")
    return str(value).strip()


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


def parse_row(index: int, raw: Any) -> LoadRow | RejectedRow:
    """One `uploadLeads` entry: a good row or its rejection."""
    data = row_data(raw)

    def rejected(message: str) -> RejectedRow:
        return RejectedRow(index, data, message)

    if not isinstance(raw, dict):
        return rejected("row is not a JSON object")
    try:
        extern_id = _text(raw, "externId")
        if not extern_id:
            return rejected("externId is required")
        phone_text = _text(raw, "leadPhone")
        phone = normalize_phone(phone_text)
        if not phone:
            return rejected("leadPhone is required")
        if not 7 <= len(phone) <= 15:
            return rejected(f"leadPhone {phone_text!r} is not a phone number (7 to 15 digits)")
        contact: dict[str, Any] = {}
        for name in CONTACT_FIELDS:
            if name == "extendedLeadData":
                extended = raw.get(name)
                if extended is not None and not isinstance(extended, dict):
                    return rejected("extendedLeadData must be an object")
                if extended:
                    contact[name] = extended
                continue
            value = _text(raw, name)
            if value is not None:
                contact[name] = value
        email = contact.get("email")
        if email and not _EMAIL.match(email):
            return rejected(f"email {email!r} is not an email address")
        priority = raw.get("leadPriority", 0) or 0
        if isinstance(priority, bool) or not isinstance(priority, int) or abs(priority) > 2**31 - 1:
            return rejected("leadPriority must be a whole number (int32)")
        max_passes = raw.get("maxPasses")
        if max_passes is not None and (
            isinstance(max_passes, bool)
            or not isinstance(max_passes, int)
            or not 1 <= max_passes <= 2**31 - 1
        ):
            return rejected("maxPasses must be a whole number of 1 or more (int32)")
        reserve, unassigned = _reserve_agent(raw.get("reserveAgent"))
        return LoadRow(
            index=index,
            row_data=data,
            extern_id=extern_id,
            contact=contact,
            phone=phone,
            lead_priority=priority,
            max_passes=max_passes,
            lead_timezone=_text(raw, "leadTimezone"),
            caller_id=_text(raw, "callerId"),
            reserve_agent=reserve,
            agent_unassigned=unassigned,
        )
    except ValueError as error:
        return rejected(str(error))
