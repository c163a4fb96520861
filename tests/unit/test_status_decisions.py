"""The batch path (`domain.statuses`) against the aggregate: for any lead and any action
decided from statuses, the events it stores decode to exactly the events the `Lead`
command makes, and the status row it writes is the row of the folded lead."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

import pytest
from eventsourcing.persistence import StoredEvent
from hypothesis import given, settings
from hypothesis import strategies as st

from leadstate.domain import Lead, LeadAction, Skipped
from leadstate.domain.statuses import STATUS_ACTIONS, decide_statuses
from leadstate.persistence.engine import transcoder
from leadstate.persistence.mapper import ShreddingMapper
from leadstate.projections import lead_search
from leadstate.requests.params import parse_params
from tests.unit.support import EVERY_STATE, NOW, ONE_LEAD_ACTIONS, meta, new_lead

MAPPER = ShreddingMapper(transcoder=transcoder())
STATUS_COMMANDS = sorted(n for n, (a, _) in ONE_LEAD_ACTIONS.items() if a in STATUS_ACTIONS)
ANY_COMMAND = sorted(
    n for n, (a, _) in ONE_LEAD_ACTIONS.items() if a is not LeadAction.DELETE_LEADS
)


def _row(lead: Lead) -> dict[str, Any]:
    return dict(zip(lead_search.COLUMNS, lead_search.row_for(lead), strict=True))


def _decoded(stored: StoredEvent) -> dict[str, Any]:
    event = MAPPER.to_domain_event(stored)
    return {"type": type(event), **{k: v for k, v in vars(event).items() if k != "timestamp"}}


def _history(start: Any, steps: list[tuple[str, int]]) -> Lead:
    """A lead in `start` that went through these one-lead actions (skips ignored)."""
    lead = new_lead(start)
    for name, minutes in steps:
        action, raw = ONE_LEAD_ACTIONS[name]
        with contextlib.suppress(Skipped):
            lead.apply(action, parse_params(action, raw), meta(NOW + timedelta(minutes=minutes)))
    lead.collect_events()
    return lead


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(
    st.sampled_from(EVERY_STATE),
    st.lists(st.tuples(st.sampled_from(ANY_COMMAND), st.integers(0, 600)), max_size=6),
    st.sampled_from(STATUS_COMMANDS),
    st.integers(0, 900),
)
def test_the_batch_path_stores_what_the_aggregate_records_and_its_row(
    start: Any, steps: list[tuple[str, int]], command: str, minutes: int
) -> None:
    lead = _history(start, steps)
    action, raw = ONE_LEAD_ACTIONS[command]
    params = parse_params(action, raw)
    when = meta(NOW + timedelta(minutes=minutes))
    row = _row(lead)
    status = lead_search.status_from_row(row)
    before = lead_search.status_before(status)
    from_row = lead_search.lead_from_row(row)

    try:
        changed = from_row.apply(action, params, when)
    except Skipped as skip:
        decided = decide_statuses(action, params, [status], when)
        assert decided.skipped == [(lead.lead_id, skip.reason)] and not decided.changed
        return
    decided = decide_statuses(action, params, [status], when)
    assert decided.skipped == []
    if not changed:
        assert decided.changed == [], "a no-op for the aggregate is a no-op here"
        return

    (recorded,) = from_row.collect_events()
    (after, event) = decided.changed[0]
    expected = MAPPER.to_stored_event(recorded)
    shared = MAPPER.to_stored_event(event)
    batch = StoredEvent(lead.id, after.version, shared.topic, shared.state)
    assert _decoded(batch) == _decoded(expected)
    assert after.version == from_row.version
    assert lead_search.status_row_for(after) == lead_search.status_row_for(from_row)
    (update,) = lead_search.status_updates("rm_lead_search", [(before, after)])
    ((lead_id, *values),) = update.updates
    patched = {**row, **dict(zip(update.update_columns[1:], values, strict=True))}
    assert lead_id == lead.lead_id and "version" in update.update_columns
    assert patched == _row(from_row), "the UPDATE turns the old row into the folded lead's"


def test_one_event_object_serves_every_lead_of_the_same_change() -> None:
    leads = [new_lead(EVERY_STATE[0]) for _ in range(3)]
    statuses = [lead_search.status_from_row(_row(lead)) for lead in leads]

    decided = decide_statuses(
        LeadAction.CANCEL_LEADS, parse_params(LeadAction.CANCEL_LEADS, {}), statuses, meta()
    )

    assert len(decided.changed) == 3
    assert len({id(event) for _, event in decided.changed}) == 1
    assert [s.version for s, _ in decided.changed] == [2, 2, 2]


def test_only_status_actions_are_decided_from_statuses() -> None:
    status = lead_search.status_from_row(_row(new_lead(EVERY_STATE[0])))
    params = parse_params(LeadAction.DELETE_LEADS, {})

    with pytest.raises(ValueError, match="DELETE_LEADS"):
        decide_statuses(LeadAction.DELETE_LEADS, params, [status], meta())
