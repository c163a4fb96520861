"""`CampaignLeadSearchCriteria` (SPEC §3) as a typed value; `leadstate.requests` builds it."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from enum import StrEnum
from typing import Any


class Operator(StrEnum):
    """Comparison of a `ComparableSearchField`."""

    GREATER_THAN = "GREATER_THAN"
    LESS_THAN = "LESS_THAN"
    EQUALS = "EQUALS"


class Suppressed(StrEnum):
    """The `suppressed` filter."""

    ONLY_SUPPRESSED = "ONLY_SUPPRESSED"
    ONLY_UNSUPPRESSED = "ONLY_UNSUPPRESSED"
    ALL = "ALL"


@dataclass(frozen=True)
class Comparison:
    """`operator` applied to a number (passes) or a time (to the second)."""

    operator: Operator
    value: int | datetime


@dataclass(frozen=True)
class SearchCriteria:
    """Every field of the vendor's criteria; empty lists and None mean no filter."""

    lead_ids: tuple[int, ...] = ()
    extern_ids: tuple[str, ...] = ()
    campaign_ids: tuple[int, ...] = ()
    list_ids: tuple[int, ...] = ()
    phones: tuple[str, ...] = ()
    lead_states: tuple[str, ...] = ()
    agent_dispositions: tuple[str, ...] = ()
    system_dispositions: tuple[str, ...] = ()
    physical_states: tuple[str, ...] = ()
    lead_timezones: tuple[str, ...] = ()
    text: tuple[tuple[str, str], ...] = ()
    phone: str | None = None
    suppressed: Suppressed = Suppressed.ALL
    agent_id: int | None = None
    pending_agent_id: int | None = None
    lead_passes: Comparison | None = None
    last_pass_time: Comparison | None = None
    next_dial_time: Comparison | None = None
    loaded_start: datetime | None = None
    loaded_end: datetime | None = None
    orphaned_only: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def only_lead_ids(self) -> bool:
        """True when leadIds are the only criterion: the ids select themselves."""
        if not self.lead_ids:
            return False
        return all(
            getattr(self, f.name) == f.default
            for f in fields(self)
            if f.name not in ("lead_ids", "extra")
        )

    def has_selector(self) -> bool:
        """True when any criterion but `suppressed` selects (SPEC §3, for actions)."""
        for f in fields(self):
            if f.name in ("suppressed", "extra"):
                continue
            value = getattr(self, f.name)
            if value not in ((), None, False):
                return True
        return False
