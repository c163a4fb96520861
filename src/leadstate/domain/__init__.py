"""The domain: leads, campaigns and lists, and the rules of SPEC §2. No I/O here."""

from leadstate.domain.campaign import (
    DEFAULT_MAX_PASSES,
    DEFAULT_PASS_DELAY_MIN,
    Campaign,
    LeadList,
)
from leadstate.domain.errors import Conflict, DomainError, InvalidRequest, NotFound, Skipped
from leadstate.domain.lead import Lead
from leadstate.domain.meta import ERASED_MARKER, Meta, is_erased
from leadstate.domain.params import (
    ActionParams,
    CallbackType,
    CopySetting,
    LeadAction,
)
from leadstate.domain.values import (
    CALLBACK_STATES,
    CONTACT_FIELDS,
    DIALABLE_STATES,
    SYSTEM_DISPOSITIONS,
    LeadState,
    normalize_phone,
    parse_time,
    utcnow,
)

__all__ = [
    "CALLBACK_STATES",
    "CONTACT_FIELDS",
    "DEFAULT_MAX_PASSES",
    "DEFAULT_PASS_DELAY_MIN",
    "DIALABLE_STATES",
    "ERASED_MARKER",
    "SYSTEM_DISPOSITIONS",
    "ActionParams",
    "CallbackType",
    "Campaign",
    "Conflict",
    "CopySetting",
    "DomainError",
    "InvalidRequest",
    "Lead",
    "LeadAction",
    "LeadList",
    "LeadState",
    "Meta",
    "NotFound",
    "Skipped",
    "is_erased",
    "normalize_phone",
    "parse_time",
    "utcnow",
]
