"""`CampaignLeadSearchCriteria` JSON (SPEC §3) parsed once into `SearchCriteria`.

Unknown fields are ignored, as the vendor does; a value of the wrong shape is a 400
naming the field (and the item: `campaignIds[1]`).
"""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadstate.domain import InvalidRequest, LeadState, normalize_phone, parse_time
from leadstate.domain.criteria import Comparison, Operator, SearchCriteria, Suppressed

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

MAX_LIST_ITEMS = 10_000
MAX_CRITERIA_VALUES = 20_000


def criteria_record(criteria: SearchCriteria) -> dict[str, Any]:
    """The criteria in the vendor's vocabulary (canonical: what is set, sorted), for
    hashing them: equal criteria give equal records."""
    record: dict[str, Any] = {}
    for f in fields(criteria):
        if f.name == "extra":
            continue
        value = getattr(criteria, f.name)
        if value in ((), None, False) or (f.name == "suppressed" and value is Suppressed.ALL):
            continue
        if f.name == "text":
            for attr, text in value:
                record[_TEXT_NAME[attr]] = text
            continue
        if isinstance(value, Comparison):
            shown = value.value.isoformat() if isinstance(value.value, datetime) else value.value
            value = {"operator": value.operator.value, "value": shown}
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        record[RECORD_NAMES[f.name]] = value
    return dict(sorted(record.items()))


def _list(name: str, value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidRequest(f"{name} must be a list")
    if len(value) > MAX_LIST_ITEMS:
        raise InvalidRequest(f"{name} may hold at most {MAX_LIST_ITEMS} values")
    return value


def _ints(name: str, value: Any) -> tuple[int, ...]:
    out = []
    for index, item in enumerate(_list(name, value)):
        bad = InvalidRequest(f"{name}[{index}] must be a whole number (int32), got {item!r}")
        if isinstance(item, bool) or not isinstance(item, int | str):
            raise bad
        try:
            number = int(item)
        except ValueError:
            raise bad from None
        if not 0 <= number <= 2_147_483_647:
            raise bad
        out.append(number)
    return tuple(out)


def _strs(name: str, value: Any) -> tuple[str, ...]:
    out = []
    for index, item in enumerate(_list(name, value)):
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise InvalidRequest(f"{name}[{index}] must be a string, got {item!r}")
        out.append(str(item))
    return tuple(out)


def _phones(name: str, value: Any) -> tuple[str, ...]:
    """Phones compared on their digits; one without any is a 400, not a dropped filter
    (which would select every lead)."""
    out = []
    for text in _strs(name, value):
        digits = normalize_phone(text)
        if not digits:
            raise InvalidRequest(f"{name} holds {text!r}, which has no digits")
        out.append(digits)
    return tuple(out)


def _opt_int(name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise InvalidRequest(f"{name} must be a whole number, got {value!r}")
    try:
        number = int(value)
    except ValueError:
        raise InvalidRequest(f"{name} must be a whole number, got {value!r}") from None
    if not -(2**31) <= number < 2**31:
        raise InvalidRequest(f"{name} must be a whole number (int32), got {value!r}")
    return number


def _time(name: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise InvalidRequest(f"{name} must be an ISO-8601 time string, got {value!r}")
    try:
        return parse_time(value)
    except ValueError as error:
        raise InvalidRequest(f"{name}: {error}") from None


def _comparison(name: str, value: Any, *, is_time: bool) -> Comparison | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest(f"{name} must be an object with operator and value")
    try:
        operator = Operator(str(value.get("operator", "")).upper())
    except ValueError:
        raise InvalidRequest(f"{name}.operator must be GREATER_THAN, LESS_THAN or EQUALS") from None
    if value.get("value") is None:
        raise InvalidRequest(f"{name}.value is required")
    if is_time:
        return Comparison(operator, _time(f"{name}.value", value["value"]))
    number = _opt_int(f"{name}.value", value["value"])
    assert number is not None
    if not -(2**31) <= number < 2**31:
        raise InvalidRequest(f"{name}.value must be a whole number (int32)")
    return Comparison(operator, number)


def parse_criteria(body: dict[str, Any] | None) -> SearchCriteria:
    """Parse a criteria JSON object; unknown fields are ignored, as the vendor does."""
    data = body if body is not None else {}
    if not isinstance(data, dict):
        raise InvalidRequest("request body: the search criteria must be a JSON object")
    total = sum(len(v) for v in data.values() if isinstance(v, list))
    if total > MAX_CRITERIA_VALUES:
        raise InvalidRequest(
            f"at most {MAX_CRITERIA_VALUES} values in all the lists together; got {total}"
        )
    try:
        states = tuple(
            LeadState.parse(s).value for s in _strs("leadStates", data.get("leadStates"))
        )
    except ValueError as error:
        raise InvalidRequest(f"leadStates: {error}") from None
    timezones = []
    for item in _list("leadTimezones", data.get("leadTimezones")):
        if isinstance(item, dict) and isinstance(item.get("name"), str):
            timezones.append(item["name"])
        elif isinstance(item, str):
            timezones.append(item)
        else:
            raise InvalidRequest("leadTimezones must hold objects with a name")
    text = []
    for json_name, attr in TEXT_FIELDS.items():
        value = data.get(json_name)
        if value is None or value == "":
            continue
        if not isinstance(value, str | int) or isinstance(value, bool):
            raise InvalidRequest(f"{json_name} must be a string")
        text.append((attr, str(value)))
    suppressed_raw = data.get("suppressed") or "ALL"
    try:
        suppressed = Suppressed(str(suppressed_raw).upper())
    except ValueError:
        raise InvalidRequest(
            "suppressed must be ONLY_SUPPRESSED, ONLY_UNSUPPRESSED or ALL"
        ) from None
    phone_raw = data.get("leadPhoneNum")
    if phone_raw is not None and not isinstance(phone_raw, str | int):
        raise InvalidRequest("leadPhoneNum must be a string")
    orphaned = data.get("orphanedLeadsOnly") or False
    if not isinstance(orphaned, bool):
        raise InvalidRequest("orphanedLeadsOnly must be true or false")
    return SearchCriteria(
        lead_ids=_ints("leadIds", data.get("leadIds")),
        extern_ids=_strs("externIds", data.get("externIds")),
        campaign_ids=_ints("campaignIds", data.get("campaignIds")),
        list_ids=_ints("listIds", data.get("listIds")),
        phones=_phones("leadPhoneNumbers", data.get("leadPhoneNumbers")),
        lead_states=states,
        agent_dispositions=_strs("agentDispositions", data.get("agentDispositions")),
        system_dispositions=_strs("systemDispositions", data.get("systemDispositions")),
        physical_states=_strs("physicalStates", data.get("physicalStates")),
        lead_timezones=tuple(timezones),
        text=tuple(text),
        phone=normalize_phone(str(phone_raw)) if phone_raw not in (None, "") else None,
        suppressed=suppressed,
        agent_id=_opt_int("agentId", data.get("agentId")),
        pending_agent_id=_opt_int("pendingAgentId", data.get("pendingAgentId")),
        lead_passes=_comparison(
            "leadPassesCriteria", data.get("leadPassesCriteria"), is_time=False
        ),
        last_pass_time=_comparison(
            "lastPassTimeCriteria", data.get("lastPassTimeCriteria"), is_time=True
        ),
        next_dial_time=_comparison(
            "nextDialTimeCriteria", data.get("nextDialTimeCriteria"), is_time=True
        ),
        loaded_start=(
            _time("loadedDtsStart", data["loadedDtsStart"]) if data.get("loadedDtsStart") else None
        ),
        loaded_end=_time("loadedDtsEnd", data["loadedDtsEnd"])
        if data.get("loadedDtsEnd")
        else None,
        orphaned_only=orphaned,
    )
