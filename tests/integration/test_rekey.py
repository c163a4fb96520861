"""`leadstate migrate --rekey`: a store written with the previous (random, name-based)
lead stream ids is refused, then re-keyed in place with every notification id, read
model and position intact; live leads keep their contact data, deleted ones stay erased."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid5

import pytest

from leadstate.application.bootstrap import Leadstate, migrate
from leadstate.domain import Lead
from leadstate.persistence.rekey import SCHEME_COUNTER, OldStreamIdsError, scheme
from leadstate.persistence.tables import COUNTERS, LEAD_KEYS
from leadstate.projections import registry
from leadstate.requests.edits import parse_edit
from leadstate.settings import Settings
from tests.backends import close_service
from tests.integration._support import ACCOUNT, act, load, meta, row

OLD_NAMESPACE = UUID("6f1c1a52-3c1e-4b8e-9a55-6a3d2b7f0c11")


def old_id(lead_id: int) -> UUID:
    """How leads were keyed before: uuid5 of a name, random in the key space."""
    return uuid5(OLD_NAMESPACE, f"lead:{lead_id}")


def _log(app: Leadstate) -> list[tuple[int, int]]:
    """(position, version) of every event, in log order."""
    store = app.store
    with store.read() as cur:
        cur.execute(
            f"SELECT {store.position_column} AS pos, originator_version AS v "
            f"FROM {store.events_table} ORDER BY {store.position_column}"
        )
        return [(int(r["pos"]), int(r["v"])) for r in cur.fetchall()]


def _keys(app: Leadstate) -> set[str]:
    with app.store.read() as cur:
        cur.execute(f"SELECT lead_uuid FROM {app.store.qualify(LEAD_KEYS)}")
        return {str(r["lead_uuid"]) for r in cur.fetchall()}


def _old_store(make_app: Callable[..., Leadstate], monkeypatch: pytest.MonkeyPatch) -> Any:
    """Leads written with the old ids (loaded, edited, acted on, two deleted); what they
    looked like then."""
    monkeypatch.setattr(Lead, "create_id", staticmethod(old_id))
    app = make_app()
    ids = load(app, [row(firstName=f"Old{i}") for i in range(12)]).lead_ids
    app.leads.edit_lead(ACCOUNT, ids[0], parse_edit({"city": "Lyon"}), meta())
    act(app, "CANCEL_LEADS", {"leadIds": ids[1:4]})
    act(app, "SUPPRESS_LEADS", {"leadIds": ids[2:6]})
    act(app, "MANUAL_LEADS", {"leadIds": ids[6:8]}, {"PASS_DISPOSITION": "SALE"})
    act(app, "DELETE_LEADS", {"leadIds": ids[10:12]})
    before = {
        "log": _log(app),
        "positions": {n: r.position for n, r in registry.registrations(app.store).items()},
        "views": app.leads.views([app.queries.lead_row(ACCOUNT, i) for i in ids[:10]]),
        "history": app.audit.lead_history(ACCOUNT, ids[0]),
        "erased": app.audit.lead_history(ACCOUNT, ids[10]),
        "keys": _keys(app),
    }
    assert before["keys"] == {old_id(i).hex for i in ids[:10]}
    with app.store.write() as cur:  # stores of the old code recorded no scheme
        cur.execute(
            f"DELETE FROM {app.store.qualify(COUNTERS)} WHERE name = {app.store.ph}",
            (SCHEME_COUNTER,),
        )
    close_service(app)
    monkeypatch.undo()
    return ids, before


def test_an_old_store_is_refused_until_rekeyed_then_everything_reads_as_before(
    make_app: Callable[..., Leadstate], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids, before = _old_store(make_app, monkeypatch)

    with pytest.raises(OldStreamIdsError, match="migrate --rekey"):
        migrate(settings)

    migrate(settings, rekey=True)
    app = make_app()

    assert scheme(app.store) == 2
    assert _log(app) == before["log"], "every event keeps its position and version"
    assert {n: r.position for n, r in registry.registrations(app.store).items()} == before[
        "positions"
    ]
    assert _keys(app) == {Lead.create_id(i).hex for i in ids[:10]}
    views = app.leads.views([app.queries.lead_row(ACCOUNT, i) for i in ids[:10]])
    assert views == before["views"]
    assert app.audit.lead_history(ACCOUNT, ids[0]) == before["history"], "contact re-sealed"
    assert app.audit.lead_history(ACCOUNT, ids[10]) == before["erased"], "still erased"
    assert app.audit.verify_read_models() == []

    # The re-keyed leads take new events on their new streams.
    act(app, "READY_LEADS", {"leadIds": ids[1:4]})
    assert {v["leadState"] for v in app.leads.views([app.queries.lead_row(ACCOUNT, ids[1])])} == {
        "READY"
    }
    assert app.audit.verify_read_models() == []


def test_rekeying_is_idempotent_and_a_fresh_store_needs_none(
    make_app: Callable[..., Leadstate], settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _old_store(make_app, monkeypatch)
    migrate(settings, rekey=True)
    log = _log(make_app())

    migrate(settings, rekey=True)
    migrate(settings)

    assert _log(make_app()) == log
