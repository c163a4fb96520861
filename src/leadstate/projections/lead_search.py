"""The lead-search read model: one row per live lead, computed from the Lead aggregate.

The same `row_for` serves the synchronous write path (rows from the aggregates being
saved) and rebuilds (rows from aggregates folded from the log), so the table is by
construction a fold of the events.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import datetime
from functools import lru_cache
from operator import attrgetter, itemgetter, ne
from typing import Any

from eventsourcing.utils import get_topic

from leadstate.domain import CONTACT_FIELDS, InvalidRequest, Lead
from leadstate.domain.criteria import Comparison, Operator, SearchCriteria, Suppressed
from leadstate.domain.statuses import LeadStatus
from leadstate.domain.values import text_key
from leadstate.persistence.base import TableChanges, from_micros, micros

CONTACT_COLUMNS = {
    "title": "title",
    "firstName": "first_name",
    "midName": "mid_name",
    "lastName": "last_name",
    "suffix": "suffix",
    "address1": "address1",
    "address2": "address2",
    "city": "city",
    "state": "state",
    "zip": "zip",
    "email": "email",
    "leadPhone": "lead_phone",
    "leadPhoneE164": "lead_phone_e164",
    "auxPhone": "aux_phone",
    "gateKeeper": "gate_keeper",
    "auxData1": "aux_data1",
    "auxData2": "aux_data2",
    "auxData3": "aux_data3",
    "auxData4": "aux_data4",
    "auxData5": "aux_data5",
    "extendedLeadData": "extended_lead_data",
}
assert tuple(CONTACT_COLUMNS) == CONTACT_FIELDS

# Columns that only actions change: what most events rewrite.
STATUS_COLUMNS: tuple[str, ...] = (
    "lead_id",
    "account_id",
    "campaign_id",
    "list_id",
    "extern_id",
    "lead_state",
    "lead_passes",
    "max_passes",
    "next_dial_time",
    "last_pass_dts",
    "last_pass_disposition",
    "agent_disposition",
    "last_pass_agent_id",
    "suppressed",
    "pending_agent_id",
    "lead_priority",
    "lead_timezone",
    "caller_id",
    "loaded_dts",
    "state_dts",
    "original_lead_id",
    "version",
    "agent_disposition_key",
    "last_pass_disposition_key",
    "lead_timezone_key",
    "caller_id_key",
)
# Exact, case-insensitive criteria compare `text_key` of the value with a key column
# written beside it (SPEC §3): the same on every engine, whatever its `lower()` does.
KEY_COLUMNS: dict[str, str] = {
    column: f"{column}_key"
    for column in (
        "first_name",
        "last_name",
        "address1",
        "address2",
        "city",
        "zip",
        "email",
        "aux_data1",
        "aux_data2",
        "aux_data3",
        "aux_data4",
        "aux_data5",
        "state",
        "caller_id",
        "agent_disposition",
        "last_pass_disposition",
        "lead_timezone",
    )
}
_STATUS_KEYED = ("agent_disposition", "last_pass_disposition", "lead_timezone", "caller_id")
_CONTACT_KEYED = tuple(c for c in KEY_COLUMNS if c not in _STATUS_KEYED)
COLUMNS: tuple[str, ...] = (
    *STATUS_COLUMNS,
    *CONTACT_COLUMNS.values(),
    "phone_norm",
    *(KEY_COLUMNS[c] for c in _CONTACT_KEYED),
)
KEY = "lead_id"
LEAD_TOPIC = get_topic(Lead)

SORTABLE = {
    "leadId": "lead_id",
    "externId": "extern_id",
    "campaignId": "campaign_id",
    "listId": "list_id",
    "leadState": "lead_state",
    "leadPasses": "lead_passes",
    "nextDialTime": "next_dial_time",
    "lastPassDts": "last_pass_dts",
    "loadedDts": "loaded_dts",
    "stateDts": "state_dts",
    "firstName": "first_name",
    "lastName": "last_name",
    "leadPriority": "lead_priority",
    "leadPhone": "phone_norm",
    "city": "city",
    "zip": "zip",
}


def iso(value: int | None) -> str | None:
    """ISO-8601 with offset, as every time is shown (SPEC §1)."""
    moment = from_micros(value)
    return moment.isoformat() if moment else None


def _key(value: Any) -> str | None:
    return None if value is None else text_key(str(value))


def status_row_for(lead: Lead | LeadStatus) -> tuple[Any, ...]:
    """The `STATUS_COLUMNS` of a live lead: enough when its contact data did not change."""
    return (
        lead.lead_id,
        lead.account_id,
        lead.campaign_id,
        lead.list_id,
        lead.extern_id,
        lead.lead_state,
        lead.lead_passes,
        lead.max_passes,
        micros(lead.next_dial_time),
        micros(lead.last_pass_dts),
        lead.last_pass_disposition,
        lead.agent_disposition,
        lead.last_pass_agent_id,
        lead.suppressed,
        lead.pending_agent_id,
        lead.lead_priority,
        lead.lead_timezone,
        lead.caller_id,
        micros(lead.loaded_dts),
        micros(lead.state_dts),
        lead.original_lead_id,
        lead.version,
        _key(lead.agent_disposition),
        _key(lead.last_pass_disposition),
        _key(lead.lead_timezone),
        _key(lead.caller_id),
    )


# The status attributes a status event may change, and the columns each one fills.
_STATUS_ATTRS = tuple(c for c in STATUS_COLUMNS if not c.endswith("_key"))
_read_status = attrgetter(*_STATUS_ATTRS)
_TIMES = {"next_dial_time", "last_pass_dts", "loaded_dts", "state_dts"}


def _columns_of(attr: str, value: Any) -> list[tuple[str, Any]]:
    if attr in _TIMES:
        return [(attr, micros(value))]
    if attr in _STATUS_KEYED:
        return [(attr, value), (KEY_COLUMNS[attr], _key(value))]
    return [(attr, value)]


def status_before(status: LeadStatus) -> tuple[Any, ...]:
    """What `status_updates` compares a status with after its event."""
    values: tuple[Any, ...] = _read_status(status)
    return values


def status_updates(
    table: str, changed: list[tuple[tuple[Any, ...], LeadStatus]]
) -> list[TableChanges]:
    """UPDATEs of the status columns that changed (from `status_before` of a lead to its
    status now), grouped by which columns: one statement per group, nothing else
    rewritten."""
    groups: dict[tuple[str, ...], list[tuple[Any, ...]]] = {}
    for before, status in changed:
        after = _read_status(status)
        columns, values_of = _update_plan(tuple(map(ne, after, before)))
        groups.setdefault(columns, []).append(values_of(after))
    return [
        TableChanges(table, KEY, STATUS_COLUMNS, update_columns=(KEY, *columns), updates=rows)
        for columns, rows in groups.items()
    ]


@lru_cache(maxsize=1024)
def _update_plan(
    differs: tuple[bool, ...],
) -> tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]]]:
    """For the status attributes that differ: the columns to set, and how to make an
    UPDATE's parameters (the key first) from a status's attribute values."""
    steps = [(i, attr) for i, attr in enumerate(_STATUS_ATTRS) if differs[i]]
    columns = tuple(column for i, attr in steps for column, _ in _columns_of(attr, None))
    key = _STATUS_ATTRS.index(KEY)

    def values_of(after: tuple[Any, ...]) -> tuple[Any, ...]:
        return (
            after[key],
            *(value for i, attr in steps for _, value in _columns_of(attr, after[i])),
        )

    return columns, values_of


_CONTACT_KEY_FIELDS = tuple(
    next(f for f, c in CONTACT_COLUMNS.items() if c == column) for column in _CONTACT_KEYED
)


def row_for(lead: Lead) -> tuple[Any, ...]:
    """The whole row of a live lead, in `COLUMNS` order."""
    contact = lead.contact
    values: list[Any] = []
    for field in CONTACT_COLUMNS:
        value = contact.get(field)
        if field == "extendedLeadData" and value is not None:
            value = json.dumps(value, sort_keys=True)
        values.append(value)
    keys = [_key(contact.get(field)) for field in _CONTACT_KEY_FIELDS]
    return (*status_row_for(lead), *values, lead.phone, *keys)


def _time_bounds(comparison: Comparison, column: str, ph: str) -> tuple[str, list[Any]]:
    assert isinstance(comparison.value, datetime)
    second = micros(comparison.value.replace(microsecond=0))
    assert second is not None
    if comparison.operator is Operator.GREATER_THAN:
        return f"{column} >= {ph}", [second + 1_000_000]
    if comparison.operator is Operator.LESS_THAN:
        return f"{column} < {ph}", [second]
    return f"{column} >= {ph} AND {column} < {ph}", [second, second + 1_000_000]


def where(
    criteria: SearchCriteria, account_id: int, ph: str, lists_table: str
) -> tuple[str, list[Any]]:
    """The WHERE clause (without the keyword) and its parameters."""
    clauses = [f"account_id = {ph}"]
    params: list[Any] = [account_id]

    def any_of(column: str, values: tuple[Any, ...], *, caseless: bool = False) -> None:
        if not values:
            return
        marks = ", ".join([ph] * len(values))
        if caseless:
            clauses.append(f"{KEY_COLUMNS[column]} IN ({marks})")
            params.extend(text_key(str(v)) for v in values)
        else:
            clauses.append(f"{column} IN ({marks})")
            params.extend(values)

    any_of("lead_id", criteria.lead_ids)
    any_of("extern_id", criteria.extern_ids)
    any_of("campaign_id", criteria.campaign_ids)
    any_of("list_id", criteria.list_ids)
    any_of("phone_norm", criteria.phones)
    any_of("lead_state", criteria.lead_states)
    any_of("agent_disposition", criteria.agent_dispositions, caseless=True)
    any_of("last_pass_disposition", criteria.system_dispositions, caseless=True)
    any_of("state", criteria.physical_states, caseless=True)
    any_of("lead_timezone", criteria.lead_timezones, caseless=True)
    for column, value in criteria.text:
        clauses.append(f"{KEY_COLUMNS[column]} = {ph}")
        params.append(text_key(value))
    if criteria.phone is not None:
        clauses.append(f"phone_norm = {ph}")
        params.append(criteria.phone)
    if criteria.suppressed is Suppressed.ONLY_SUPPRESSED:
        clauses.append(f"suppressed = {ph}")
        params.append(True)
    elif criteria.suppressed is Suppressed.ONLY_UNSUPPRESSED:
        clauses.append(f"suppressed = {ph}")
        params.append(False)
    if criteria.agent_id is not None:
        clauses.append(f"last_pass_agent_id = {ph}")
        params.append(criteria.agent_id)
    if criteria.pending_agent_id is not None:
        clauses.append(f"pending_agent_id = {ph}")
        params.append(criteria.pending_agent_id)
    if criteria.lead_passes is not None:
        op = {
            Operator.GREATER_THAN: ">",
            Operator.LESS_THAN: "<",
            Operator.EQUALS: "=",
        }[criteria.lead_passes.operator]
        clauses.append(f"lead_passes {op} {ph}")
        params.append(criteria.lead_passes.value)
    for comparison, column in (
        (criteria.last_pass_time, "last_pass_dts"),
        (criteria.next_dial_time, "next_dial_time"),
    ):
        if comparison is not None:
            clause, values = _time_bounds(comparison, column, ph)
            clauses.append(clause)
            params.extend(values)
    if criteria.loaded_start is not None:
        clauses.append(f"loaded_dts >= {ph}")
        params.append(micros(criteria.loaded_start))
    if criteria.loaded_end is not None:
        clauses.append(f"loaded_dts <= {ph}")
        params.append(micros(criteria.loaded_end))
    if criteria.orphaned_only:
        clauses.append(f"list_id NOT IN (SELECT list_id FROM {lists_table})")
    return " AND ".join(clauses), params


def order_by(sort: str | None) -> str:
    """`sort=field,-field` (API names) as an ORDER BY list ending with lead_id."""
    if not sort:
        return "lead_id"
    parts = []
    for item in sort.split(","):
        item = item.strip()
        if not item:
            continue
        descending = item.startswith("-")
        name = item.lstrip("+-")
        column = SORTABLE.get(name)
        if column is None:
            raise InvalidRequest(
                f"cannot sort by {name!r}; sortable: {', '.join(sorted(SORTABLE))}"
            )
        parts.append(f"{column} {'DESC' if descending else 'ASC'}")
    if "lead_id" not in " ".join(parts):
        parts.append("lead_id")
    return ", ".join(parts)


def status_from_row(row: Mapping[str, Any]) -> LeadStatus:
    """The status a row shows (its `STATUS_COLUMNS`), as of the row's version."""
    return status_from_values(_row_status(row))


def status_from_values(v: Sequence[Any]) -> LeadStatus:
    """The status of a row's `STATUS_SELECT` values, in that order."""
    fm = from_micros
    loaded, state_dts = fm(v[18]), fm(v[19])
    assert loaded is not None and state_dts is not None
    return LeadStatus(
        v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7], fm(v[8]), fm(v[9]), v[10], v[11],
        v[12], bool(v[13]), v[14], v[15], v[16], v[17], loaded, state_dts, v[20], v[21],
    )  # fmt: skip


# The columns `status_from_values` reads, in `LeadStatus`'s order.
STATUS_SELECT = tuple(f.name for f in fields(LeadStatus) if f.name != "deleted")
_row_status = itemgetter(*STATUS_SELECT)
assert STATUS_SELECT == _STATUS_ATTRS
assert [STATUS_SELECT.index(t) for t in sorted(_TIMES, key=STATUS_SELECT.index)] == [
    8, 9, 18, 19
] and STATUS_SELECT.index("suppressed") == 13  # fmt: skip


_STATUS_FIELDS = tuple(f.name for f in fields(LeadStatus) if f.name != "version")


def lead_from_row(row: Mapping[str, Any]) -> Lead:
    """The Lead a row shows, as of the row's version: a snapshot (the library's).

    The row is written in the same transaction as the lead's events, so it holds the
    lead's state at exactly `version`; saving new events on top of it still goes
    through the event store's optimistic concurrency check.
    """
    contact: dict[str, Any] = {}
    for field, column in CONTACT_COLUMNS.items():
        value = row[column]
        if value is not None:
            contact[field] = json.loads(value) if field == "extendedLeadData" else value
    status = status_from_row(row)
    state = {name: getattr(status, name) for name in _STATUS_FIELDS}
    state.update(
        {"_created_on": status.loaded_dts, "_modified_on": status.state_dts, "contact": contact}
    )
    snapshot = Lead.Snapshot(
        originator_id=Lead.create_id(row["lead_id"]),
        originator_version=status.version,
        timestamp=status.state_dts,
        topic=LEAD_TOPIC,
        state=state,
    )
    lead = snapshot.mutate(None)
    assert isinstance(lead, Lead)
    return lead
