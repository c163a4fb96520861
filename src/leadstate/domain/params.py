"""Lead actions and their parameters (SPEC §2 param table) as typed values.

`leadstate.requests.params` parses a `paramMap` into `ActionParams` (and a job's stored
record back); `as_record` writes them in the request's own vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from leadstate.domain.errors import InvalidRequest


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
        that parsing `record` as the action's `paramMap` gives these params back."""
        defaults = ActionParams()
        out: dict[str, Any] = {}
        for key in ALLOWED_PARAMS[action]:
            name = PARAM_FIELDS[key]
            value = getattr(self, name)
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
