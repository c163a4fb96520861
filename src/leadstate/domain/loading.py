"""The lead loader's command and result (the vendor's `LeadListProcessingRequest` /
`...Result`), and its rules: which rows load (SPEC §6 duplicateHandling, §4 DNC).

`leadstate.requests.loads` parses a request into a `LoadRequest`; each row is already a
`LoadRow` or a `RejectedRow` with its reason. Rows are decided one by one: a bad row is
reported and the rest load.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

DUPLICATE_HANDLING = ("RETAIN_ALL", "REMOVE_FROM_LIST", "REMOVE_ALL_EXISTING")
DNC_MESSAGE = "phone is on the do-not-call list"
EXISTING_MESSAGE = "phone already exists in this campaign"
WITHIN_MESSAGE = "duplicate phone within this request"


@dataclass(frozen=True)
class RejectedRow:
    """A row the loader refused: the vendor's `rowData` and the reason."""

    index: int
    row_data: tuple[str, ...]
    message: str


@dataclass(frozen=True)
class LoadRow:
    """One well-formed row, ready to become a lead."""

    index: int
    row_data: tuple[str, ...]
    extern_id: str
    contact: dict[str, Any]
    phone: str
    lead_priority: int
    max_passes: int | None
    lead_timezone: str | None
    caller_id: str | None
    reserve_agent: int | None = None
    # `reserveAgent` was given but names no agent: the lead loads unreserved and is
    # counted in `failedAgentAssignment`, as the vendor does.
    agent_unassigned: bool = False

    def rejected(self, message: str) -> RejectedRow:
        """This row, refused for `message`."""
        return RejectedRow(self.index, self.row_data, message)


@dataclass(frozen=True)
class LoadRequest:
    """What the loader was asked to do, with every row parsed."""

    rows: tuple[LoadRow | RejectedRow, ...]
    description: str | None = None
    duplicate_handling: str = "RETAIN_ALL"
    time_zone_option: str = "NOT_APPLICABLE"
    dial_priority: str = "NORMAL"
    list_state: str | None = None
    list_id: int | None = None

    @property
    def good_rows(self) -> list[LoadRow]:
        """The rows that passed the per-row checks."""
        return [r for r in self.rows if isinstance(r, LoadRow)]


@dataclass
class LoadResult:
    """Counts and rejected rows (the vendor's `LeadListProcessingResult`)."""

    leads_supplied: int = 0
    leads_accepted: int = 0
    leads_inserted: int = 0
    dnc_returned: int = 0
    failed_agent_assignment: int = 0
    rejected: list[RejectedRow] = field(default_factory=list)
    list_id: int | None = None
    list_state: str = "ACTIVE"
    time_zone_option: str = "NOT_APPLICABLE"
    lead_ids: list[int] = field(default_factory=list)


def decide_rows(
    request: LoadRequest, existing_phones: set[str], dnc_phones: set[str] | None = None
) -> tuple[LoadResult, list[LoadRow]]:
    """Split rows into good ones and rejected ones, applying `duplicateHandling`; a row
    whose phone is on the account's do-not-call list is rejected (`dnc_returned`)."""
    result = LoadResult(
        leads_supplied=len(request.rows),
        list_state=request.list_state or "ACTIVE",
        time_zone_option=request.time_zone_option,
    )
    good: list[LoadRow] = []
    seen: set[str] = set()
    for row in request.rows:
        if isinstance(row, RejectedRow):
            result.rejected.append(row)
        elif dnc_phones and row.phone in dnc_phones:
            result.dnc_returned += 1
            result.rejected.append(row.rejected(DNC_MESSAGE))
        elif request.duplicate_handling == "REMOVE_FROM_LIST" and row.phone in seen:
            result.rejected.append(row.rejected(WITHIN_MESSAGE))
        elif request.duplicate_handling == "REMOVE_ALL_EXISTING" and row.phone in existing_phones:
            result.rejected.append(row.rejected(EXISTING_MESSAGE))
        else:
            seen.add(row.phone)
            good.append(row)
    result.leads_accepted = len(good)
    result.failed_agent_assignment = sum(1 for r in good if r.agent_unassigned)
    return result, good


def reject_rows(
    result: LoadResult, rows: Iterable[LoadRow], phones: frozenset[str], *, dnc: bool
) -> list[LoadRow]:
    """`rows` without those whose phone is in `phones`, which join the rejected rows:
    what a save's guard found (a phone listed or loaded meanwhile) decides them."""
    kept: list[LoadRow] = []
    for row in rows:
        if row.phone not in phones:
            kept.append(row)
            continue
        result.rejected.append(row.rejected(DNC_MESSAGE if dnc else EXISTING_MESSAGE))
        result.leads_accepted -= 1
        result.failed_agent_assignment -= int(row.agent_unassigned)
        if dnc:
            result.dnc_returned += 1
    result.rejected.sort(key=lambda r: r.index)
    return kept
