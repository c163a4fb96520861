"""Lead actions and their parameters (SPEC §2 param table) as typed values.

`leadstate.requests.params` parses a `paramMap` into `ActionParams` and writes a job's
record of them in the request's own vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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
