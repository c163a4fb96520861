"""Value types and pure helpers shared by the domain: states, phones, times."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from enum import StrEnum


class LeadState(StrEnum):
    """The vendor's lead states, hyphen spelling."""

    READY = "READY"
    PENDING = "PENDING"
    ACTIVE = "ACTIVE"
    CALLBACK = "CALLBACK"
    AGENT_CALLBACK = "AGENT-CALLBACK"
    PENDING_CALLBACK = "PENDING-CALLBACK"
    CALLBACK_CANCELLED = "CALLBACK-CANCELLED"
    CANCELLED = "CANCELLED"
    PAUSED = "PAUSED"
    COMPLETE = "COMPLETE"
    MAX_DIAL_LIMIT = "MAX-DIAL-LIMIT"
    DO_NOT_CALL = "DO-NOT-CALL"
    DISCONNECTED = "DISCONNECTED"
    INTERCEPT = "INTERCEPT"
    PENDING_ERR = "PENDING-ERR"
    PENDING_HCI = "PENDING-HCI"
    TRANSITIONED = "TRANSITIONED"
    WHITELIST = "WHITELIST"

    @classmethod
    def parse(cls, value: str) -> LeadState:
        """Accept `AGENT_CALLBACK` or `AGENT-CALLBACK` (any case)."""
        try:
            return cls(value.strip().upper().replace("_", "-"))
        except ValueError:
            allowed = ", ".join(s.value for s in cls)
            raise ValueError(f"unknown lead state {value!r}; allowed: {allowed}") from None


DIALABLE_STATES = frozenset({LeadState.READY, LeadState.CALLBACK, LeadState.AGENT_CALLBACK})
CALLBACK_STATES = frozenset({LeadState.CALLBACK, LeadState.AGENT_CALLBACK})

SYSTEM_DISPOSITIONS = (
    "ANSWER",
    "NOANSWER",
    "BUSY",
    "MACHINE",
    "INTERCEPT",
    "DISCONNECT",
    "ABANDON",
    "CONGESTION",
    "MANUAL_PASS",
    "INBOUND_CALLBACK",
    "APP_DNC",
    "APP_REQUEUE",
    "APP_REQUEUE_COMPLETE",
    "APP_REQUEUE_ABANDON",
    "INBOUND_ABANDON",
    "API_BLOCKED",
    "API_ERROR",
)

# Contact fields are personal data (SPEC §5): encrypted in the log, erased on delete.
CONTACT_FIELDS = (
    "title",
    "firstName",
    "midName",
    "lastName",
    "suffix",
    "address1",
    "address2",
    "city",
    "state",
    "zip",
    "email",
    "leadPhone",
    "leadPhoneE164",
    "auxPhone",
    "gateKeeper",
    "auxData1",
    "auxData2",
    "auxData3",
    "auxData4",
    "auxData5",
    "extendedLeadData",
)

MAX_INT32 = 2_147_483_647

_NON_DIGITS = re.compile(r"\D+")


def normalize_phone(phone: str | None) -> str:
    """Digits only; an 11-digit number starting with 1 drops the 1 (SPEC §1)."""
    if not phone:
        return ""
    digits = _NON_DIGITS.sub("", phone)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    return digits


def text_key(value: str) -> str:
    """The key exact, case-insensitive matches compare (SPEC §3): Unicode's canonical
    caseless match, `NFC(casefold(NFD(s)))`.

    The key alone decides: "ÉMILE", "émile" and "E\u0301mile" share one; "ß" = "ss";
    "İ" (dotted capital I) folds to "i" + U+0307, so "İstanbul" finds only itself and
    its lower-case form, never "Istanbul"; the dotless i (U+0131) stays apart from "i".
    """
    if value.isascii():  # the same key, at a tenth of the cost: ASCII is its own NFD/NFC
        return value.lower()
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", value).casefold())


_OFFSET_NO_COLON = re.compile(r"([+-]\d{2})(\d{2})$")


def parse_time(value: str | datetime) -> datetime:
    """Parse ISO-8601 with `Z`, `+00:00` or `+0000`; a time without offset is UTC."""
    if isinstance(value, datetime):
        parsed = value
    else:
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"not an ISO-8601 time: {value!r}")
        text = value.strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        text = _OFFSET_NO_COLON.sub(r"\1:\2", text) if "T" in text or " " in text else text
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"not an ISO-8601 time: {value!r} (example: 2026-01-31T09:30:00Z)"
            ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise ValueError(f"time out of range: {value!r}") from None


def utcnow() -> datetime:
    """The current time, in UTC."""
    return datetime.now(UTC)
