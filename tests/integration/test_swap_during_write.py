"""A read-model swap between a write's rows and its events (PostgreSQL writes rows before
the writers' lock): the write notices under the lock and starts over on the new tables."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.projections import registry
from tests.integration._support import act, ids, load, row


@pytest.mark.parametrize("backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_write_routed_before_a_swap_starts_over_and_lands_once(app: Leadstate) -> None:
    doomed, kept = load(app, [row(), row()]).lead_ids
    shredding = app.store.on_shred
    calls: list[int] = []

    def swap_once_meanwhile(cur: Any, shred: Sequence[UUID]) -> None:
        calls.append(len(shred))
        if len(calls) == 1:
            with app.store.write() as other:  # another transaction, committed now
                registry.bump_generation(app.store, other)
        if shredding is not None:
            shredding(cur, shred)

    app.store.on_shred = swap_once_meanwhile
    result = act(app, "DELETE_LEADS", {"leadIds": [doomed]})
    app.store.on_shred = shredding
    assert calls == [1, 1], "the first try was routed by the old generation"
    assert result.delete_count == 1
    assert ids(app, {"leadIds": [doomed, kept]}) == [kept]
