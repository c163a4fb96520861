"""Lead actions and their parameters (SPEC §2 param table): parsed and checked up front."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadstate.domain.errors import InvalidRequest
from leadstate.domain.values import parse_time


class LeadAction(StrEnum):
    """The `leadAction` vocabulary of the vendor, plus DIALER_REFRESH."""

    RESET_LEADS = "RESET_LEADS"
    READY_LEADS = "READY_LEADS"
    CANCEL_LEADS = "CANCEL_LEADS"
    PAUSE_LEADS = "PAUSE_LEADS"
    SUPPRESS_LEADS = "SUPPRESS_LEADS"
    UNSUPPRESS_LEADS = "UNSUPPRESS_LEADS"
    DELETE_LEADS = "DELETE_LEADS"
    MANUAL_LEADS = "MANUAL_LEADS"
    MOVE_TO_CAMPAIGN = "MOVE_TO_CAMPAIGN"
    CALLBACK_LEADS = "CALLBACK_LEADS"
    AGENT_RESERVATION = "AGENT_RESERVATION"
    EMAIL_LEADS = "EMAIL_LEADS"
    DIALER_REFRESH = "DIALER_REFRESH"

    @classmethod
    def parse(cls, value: str) -> LeadAction:
        """The action named by `value`, or a 400 listing the allowed names."""
        try:
            return cls(value)
        except ValueError:
            allowed = ", ".join(a.value for a in cls)
            raise InvalidRequest(f"unknown leadAction {value!r}; allowed: {allowed}") from None


class CopySetting(StrEnum):
    """MOVE_TO_CAMPAIGN `CREATE_COPY_SETTING`."""

    MOVE = "false"
    COPY = "true"
    TRANSITION = "TRANSITION"


class CallbackType(StrEnum):
    """CALLBACK_LEADS `ACTION_TYPE`."""

    AGENT = "AGENT"
    SET = "SET"
    CANCEL = "CANCEL"
    RESET = "RESET"


@dataclass(frozen=True)
class ActionParams:
    """Every parameter any action takes, typed, with the defaults of SPEC §2."""

    pass_disposition: str = ""
    requeue: bool = False
    do_not_call: bool = False
    merge_original: bool = False
    pass_delay_min: int = 0
    campaign_id: int = 0
    list_id: int = 0
    list_name: str = ""
    copy_setting: CopySetting = CopySetting.MOVE
    ignore_duplicates: bool = False
    callback_type: CallbackType = CallbackType.SET
    agent_id: int = 0
    callback_date: datetime | None = None
    email_to: tuple[str, ...] = ()
    force_dialer_cache_refresh: bool = False

    def as_record(self, action: LeadAction) -> dict[str, Any]:
        """The params that matter for `action`, in the request's own vocabulary, so
        that `parse_params(action, record)` gives these params back."""
        defaults = ActionParams()
        out: dict[str, Any] = {}
        for key in _ALLOWED[action]:
            name = _KEY_TO_FIELD[key]
            value = getattr(self, name)
            if key not in _REQUIRED.get(action, ()) and value == getattr(defaults, name):
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


_KEY_TO_FIELD = {
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

_ALLOWED: dict[LeadAction, tuple[str, ...]] = {
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

_REQUIRED: dict[LeadAction, tuple[str, ...]] = {
    LeadAction.MANUAL_LEADS: ("PASS_DISPOSITION",),
    LeadAction.MOVE_TO_CAMPAIGN: ("CAMPAIGN_ID", "LIST_ID"),
    LeadAction.CALLBACK_LEADS: ("ACTION_TYPE",),
    LeadAction.AGENT_RESERVATION: ("RESERVATION_AGENT_ID",),
    LeadAction.EMAIL_LEADS: ("EMAIL_TO",),
}

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
    allowed = _ALLOWED[action]
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
                values[_KEY_TO_FIELD[key]] = _bool(key, raw[key])
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
