"""The body of an edit (`PATCH`/`PUT .../campaignLeads/{leadId}`) parsed once: each
editable field's value checked and typed; any other field a 400 naming it and what
changes it instead (`domain.lead.check_edit_fields`)."""

from __future__ import annotations

from typing import Any

from leadstate.domain import InvalidRequest
from leadstate.domain.edits import EDITABLE_SETTINGS, LeadEdit, check_edit_fields

INT32_MAX = 2**31 - 1


def _text(key: str, value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise InvalidRequest(f"{key} must be a string")


def parse_edit(body: Any) -> LeadEdit:
    """The edit a body sends, typed (InvalidRequest on anything an edit cannot take)."""
    if not isinstance(body, dict):
        raise InvalidRequest("request body: the lead's fields must be a JSON object")
    check_edit_fields(body)
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key in ("leadPriority", "maxPasses"):
            if (value is None and key == "leadPriority") or (
                value is not None
                and (
                    isinstance(value, bool) or not isinstance(value, int) or abs(value) > INT32_MAX
                )
            ):
                raise InvalidRequest(f"{key} must be a whole number (int32)")
            if key == "maxPasses" and value is not None and value < 1:
                raise InvalidRequest("maxPasses must be 1 or more")
        elif key == "extendedLeadData":
            if value is not None:
                if not isinstance(value, dict):
                    raise InvalidRequest("extendedLeadData must be an object")
                value = {str(k): _text(f"extendedLeadData.{k}", v) for k, v in value.items()}
        else:
            value = _text(key, value)
        out[key] = value
    return LeadEdit(
        contact={k: v for k, v in out.items() if k not in EDITABLE_SETTINGS},
        settings={EDITABLE_SETTINGS[k]: v for k, v in out.items() if k in EDITABLE_SETTINGS},
    )
