"""A `leadActionParams.paramMap` (SPEC §2) parsed once into `ActionParams`.

Values may come as JSON types or as strings (`"true"`, `"60"`), as vendor clients send
them; keys are case-sensitive; an unknown key is a 400 naming the allowed ones. A bulk
job's stored record (`params_record`) is read back the same way.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadstate.domain import InvalidRequest, parse_time
from leadstate.domain.params import ActionParams, CallbackType, CopySetting, LeadAction

# The vendor's paramMap names: each -> the ActionParams field it sets.
PARAM_FIELDS = {
    "PASS_DISPOSITION": "pass_disposition",
    "REQUEUE": "requeue",
    "DO_NOT_CALL": "do_not_call",
    "MERGE_ORIGINAL": "merge_original",
    "PASS_DELAY": "pass_delay_min",
    "CAMPAIGN_ID": "campaign_id",
    "LIST_ID": "list_id",
    "LIST_NAME": "list_name",
    "CREATE_COPY_SETTING": "copy_setting",
    "DUPLICATE_ACTION_SETTING": "ignore_duplicates",
    "ACTION_TYPE": "callback_type",
    "RESERVATION_AGENT_ID": "agent_id",
    "CALLBACK_DATE": "callback_date",
    "EMAIL_TO": "email_to",
    "force_dialer_cache_refresh": "force_dialer_cache_refresh",
}

ALLOWED_PARAMS: dict[LeadAction, tuple[str, ...]] = {
    LeadAction.RESET_LEADS: (),
    LeadAction.READY_LEADS: (),
    LeadAction.CANCEL_LEADS: (),
    LeadAction.PAUSE_LEADS: (),
    LeadAction.SUPPRESS_LEADS: (),
    LeadAction.UNSUPPRESS_LEADS: (),
    LeadAction.DELETE_LEADS: (),
    LeadAction.MANUAL_LEADS: (
        "PASS_DISPOSITION",
        "REQUEUE",
        "DO_NOT_CALL",
        "MERGE_ORIGINAL",
        "PASS_DELAY",
    ),
    LeadAction.MOVE_TO_CAMPAIGN: (
        "CAMPAIGN_ID",
        "LIST_ID",
        "LIST_NAME",
        "CREATE_COPY_SETTING",
        "DUPLICATE_ACTION_SETTING",
    ),
    LeadAction.CALLBACK_LEADS: ("ACTION_TYPE", "RESERVATION_AGENT_ID", "CALLBACK_DATE"),
    LeadAction.AGENT_RESERVATION: ("RESERVATION_AGENT_ID",),
    LeadAction.EMAIL_LEADS: ("EMAIL_TO",),
    LeadAction.DIALER_REFRESH: ("force_dialer_cache_refresh",),
}

REQUIRED_PARAMS: dict[LeadAction, tuple[str, ...]] = {
    LeadAction.MANUAL_LEADS: ("PASS_DISPOSITION",),
    LeadAction.MOVE_TO_CAMPAIGN: ("CAMPAIGN_ID", "LIST_ID"),
    LeadAction.CALLBACK_LEADS: ("ACTION_TYPE",),
    LeadAction.AGENT_RESERVATION: ("RESERVATION_AGENT_ID",),
    LeadAction.EMAIL_LEADS: ("EMAIL_TO",),
}


def params_record(action: LeadAction, params: ActionParams) -> dict[str, Any]:
    """The params that matter for `action`, in the request's own vocabulary, so that
    parsing the record as the action's `paramMap` gives these params back (how a bulk
    job stores them)."""
    defaults = ActionParams()
    out: dict[str, Any] = {}
    for key in ALLOWED_PARAMS[action]:
        name = PARAM_FIELDS[key]
        value = getattr(params, name)
        if key not in REQUIRED_PARAMS.get(action, ()) and value == getattr(defaults, name):
            continue
        if key == "DUPLICATE_ACTION_SETTING":
            value = "IGNORE" if value else "MOVE"
        elif isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, StrEnum):
            value = value.value
        elif isinstance(value, tuple):
            value = ",".join(value)
        out[key] = value
    return out


_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


def _bool(key: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidRequest(f"{key} must be true or false, got {value!r}")


def _int(key: str, value: Any, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise InvalidRequest(f"{key} must be a whole number, got {value!r}")
    if isinstance(value, int):
        number = value
    elif (isinstance(value, float) and value.is_integer()) or (
        isinstance(value, str) and re.fullmatch(r"\s*-?\d{1,10}\s*", value)
    ):
        number = int(value)
    else:
        raise InvalidRequest(f"{key} must be a whole number, got {value!r}")
    if number < minimum or number > 2_147_483_647:
        raise InvalidRequest(f"{key} must be between {minimum} and 2147483647, got {number}")
    return number


def _str(key: str, value: Any) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise InvalidRequest(f"{key} must be a string, got {value!r}")
    return str(value).strip()


def _choice(key: str, value: Any, allowed: tuple[str, ...]) -> str:
    text = str(value).strip() if isinstance(value, str | bool) else None
    if isinstance(value, bool):
        text = "true" if value else "false"
    for option in allowed:
        if text is not None and text.upper() == option.upper():
            return option
    raise InvalidRequest(f"{key} must be one of {', '.join(allowed)}, got {value!r}")


def parse_params(action: LeadAction, param_map: dict[str, Any] | None) -> ActionParams:
    """Check `param_map` against the param table of `action`; raise InvalidRequest."""
    raw = dict(param_map or {})
    allowed = ALLOWED_PARAMS[action]
    unknown = sorted(k for k in raw if k not in allowed)
    if unknown:
        names = ", ".join(allowed) if allowed else "none"
        raise InvalidRequest(
            f"unknown parameter(s) {', '.join(unknown)} for {action.value}; allowed: {names}"
        )
    values: dict[str, Any] = {}

    def need(key: str) -> Any:
        if key not in raw or raw[key] is None or raw[key] == "":
            raise InvalidRequest(f"{action.value} requires parameter {key}")
        return raw[key]

    if action is LeadAction.MANUAL_LEADS:
        values["pass_disposition"] = _str("PASS_DISPOSITION", need("PASS_DISPOSITION"))
        if not values["pass_disposition"]:
            raise InvalidRequest("PASS_DISPOSITION must not be empty")
        for key in ("REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL"):
            if key in raw:
                values[PARAM_FIELDS[key]] = _bool(key, raw[key])
        if "PASS_DELAY" in raw:
            values["pass_delay_min"] = _int("PASS_DELAY", raw["PASS_DELAY"], minimum=0)
    elif action is LeadAction.MOVE_TO_CAMPAIGN:
        values["campaign_id"] = _int("CAMPAIGN_ID", need("CAMPAIGN_ID"), minimum=1)
        values["list_id"] = _int("LIST_ID", need("LIST_ID"), minimum=0)
        if values["list_id"] == 0:
            values["list_name"] = _str("LIST_NAME", need("LIST_NAME"))
            if not values["list_name"]:
                raise InvalidRequest("LIST_NAME must not be empty when LIST_ID is 0")
        elif "LIST_NAME" in raw:
            values["list_name"] = _str("LIST_NAME", raw["LIST_NAME"])
        if "CREATE_COPY_SETTING" in raw:
            choice = _choice(
                "CREATE_COPY_SETTING", raw["CREATE_COPY_SETTING"], ("false", "true", "TRANSITION")
            )
            values["copy_setting"] = CopySetting(choice)
        if "DUPLICATE_ACTION_SETTING" in raw:
            choice = _choice(
                "DUPLICATE_ACTION_SETTING", raw["DUPLICATE_ACTION_SETTING"], ("MOVE", "IGNORE")
            )
            values["ignore_duplicates"] = choice == "IGNORE"
    elif action is LeadAction.CALLBACK_LEADS:
        kind = CallbackType(
            _choice("ACTION_TYPE", need("ACTION_TYPE"), ("AGENT", "SET", "CANCEL", "RESET"))
        )
        values["callback_type"] = kind
        if kind is CallbackType.AGENT:
            values["agent_id"] = _int(
                "RESERVATION_AGENT_ID", need("RESERVATION_AGENT_ID"), minimum=1
            )
        elif "RESERVATION_AGENT_ID" in raw:
            values["agent_id"] = _int(
                "RESERVATION_AGENT_ID", raw["RESERVATION_AGENT_ID"], minimum=1
            )
        if kind is CallbackType.SET:
            need("CALLBACK_DATE")
        if raw.get("CALLBACK_DATE") not in (None, ""):
            try:
                values["callback_date"] = parse_time(raw["CALLBACK_DATE"])
            except ValueError as error:
                raise InvalidRequest(f"CALLBACK_DATE: {error}") from None
    elif action is LeadAction.AGENT_RESERVATION:
        values["agent_id"] = _int("RESERVATION_AGENT_ID", need("RESERVATION_AGENT_ID"), minimum=0)
    elif action is LeadAction.EMAIL_LEADS:
        text = _str("EMAIL_TO", need("EMAIL_TO"))
        addresses = tuple(a.strip() for a in text.split(","))
        if not all(addresses):
            raise InvalidRequest(
                "EMAIL_TO holds an empty address (a stray comma?): give comma-separated "
                "addresses, each one valid"
            )
        bad = [a for a in addresses if not _EMAIL.match(a)]
        if bad:
            raise InvalidRequest(f"EMAIL_TO holds invalid address(es): {', '.join(bad)}")
        values["email_to"] = addresses
    elif action is LeadAction.DIALER_REFRESH and "force_dialer_cache_refresh" in raw:
        values["force_dialer_cache_refresh"] = _bool(
            "force_dialer_cache_refresh", raw["force_dialer_cache_refresh"]
        )
    return ActionParams(**values)
