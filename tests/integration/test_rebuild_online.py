"""Blue/green rebuilds while the service serves and takes commands (SPEC §7)."""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.projections.definitions import load as definition
from leadstate.projections.routing import StaleReadModelError
from leadstate.requests.criteria import parse_criteria
from tests.backends import start_following, stop_following
from tests.integration._support import ACCOUNT, CAMPAIGN, act, load, row

ACTIONS = ["SUPPRESS_LEADS", "UNSUPPRESS_LEADS", "CANCEL_LEADS", "READY_LEADS", "PAUSE_LEADS"]


class Traffic:
    """A writer thread running actions and loads, and a reader thread searching."""

    def __init__(self, app: Leadstate, lead_ids: list[int]) -> None:
        self.app = app
        self.lead_ids = list(lead_ids)
        self.errors: list[BaseException] = []
        self.writes = 0
        self.reads = 0
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._guard, args=(self._write,), daemon=True),
            threading.Thread(target=self._guard, args=(self._read,), daemon=True),
        ]

    def __enter__(self) -> Traffic:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(60)

    def _guard(self, work: Callable[[], None]) -> None:
        try:
            while not self._stop.is_set():
                work()
        except BaseException as error:  # a failed request fails the test
            self.errors.append(error)

    def _write(self) -> None:
        rng = random.Random()
        step = self.writes
        if step % 25 == 24:
            self.lead_ids.extend(load(self.app, [row() for _ in range(5)]).lead_ids)
        elif step % 40 == 39:
            victim = self.lead_ids.pop(rng.randrange(len(self.lead_ids)))
            act(self.app, "DELETE_LEADS", {"leadIds": [victim]})
        else:
            chosen = rng.sample(self.lead_ids, 3)
            act(self.app, rng.choice(ACTIONS), {"leadIds": chosen})
        self.writes += 1

    def _read(self) -> None:
        criteria = parse_criteria({"campaignIds": [CAMPAIGN], "leadStates": ["READY"]})
        self.app.leads.search(ACCOUNT, criteria, max_rows=50)
        self.app.leads.count(ACCOUNT, criteria)
        self.reads += 1
        time.sleep(0.001)


def wait_until(check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def status(app: Leadstate, name: str) -> dict[str, Any]:
    return next(s for s in app.read_models.projection_status() if s["name"] == name)


@pytest.mark.parametrize("name", ["lead_search", "lead_lists", "jobs"])
def test_a_rebuild_while_writers_and_readers_run_loses_nothing(
    make_app: Callable[..., Leadstate], name: str
) -> None:
    app = make_app(rebuild_page_size=200)
    lead_ids = load(app, [row() for _ in range(1500)]).lead_ids
    act(app, "SUPPRESS_LEADS", {"leadIds": lead_ids[::3]})
    old = app.tables[name]
    seen: list[dict[str, Any]] = []
    with Traffic(app, lead_ids) as traffic:
        wait_until(lambda: traffic.writes >= 3)
        started = app.read_models.start_rebuild(name)
        assert started["name"] == name
        assert started["status"] in ("rebuilding", "live")

        def swapped() -> bool:
            current = status(app, name)
            seen.append(current)
            return bool(current["table"] != old and current["status"] == "live")

        wait_until(swapped)
        writes_at_swap = traffic.writes
        wait_until(lambda: traffic.writes >= writes_at_swap + 10)
    assert traffic.errors == []
    assert traffic.reads > 0
    assert app.tables[name] != old and app.tables[name].startswith(
        f"rm_{name}_v{definition(name).version}_"
    )
    assert app.audit.verify_read_models() == []
    if name == "lead_search":
        assert any(s["status"] == "rebuilding" and s["progress"] for s in seen)


def test_the_counts_rebuild_while_the_follower_runs_is_exact(
    make_app: Callable[..., Leadstate],
) -> None:
    app = make_app(rebuild_page_size=150)
    lead_ids = load(app, [row() for _ in range(800)]).lead_ids
    start_following(app)
    with Traffic(app, lead_ids) as traffic:
        wait_until(lambda: traffic.writes >= 3)
        old = app.tables["lead_counts"]
        app.read_models.start_rebuild("lead_counts")
        wait_until(lambda: status(app, "lead_counts")["table"] != old)
        writes_at_swap = traffic.writes
        wait_until(lambda: traffic.writes >= writes_at_swap + 10)
    assert traffic.errors == []
    assert app.read_models.wait_for_projections(app.store.max_position(), 30)
    stop_following(app)
    assert app.audit.verify_read_models() == []
    total = sum(c["count"] for c in app.read_models.lead_counts(ACCOUNT))
    assert total == app.leads.count(ACCOUNT, parse_criteria({"campaignIds": [CAMPAIGN]}))


def test_a_second_process_follows_the_swap(make_app: Callable[..., Leadstate]) -> None:
    """B keeps its old table name until it writes (exact) or a second passes (reads)."""
    a = make_app()
    b = make_app()
    lead_ids = load(a, [row() for _ in range(50)]).lead_ids
    old = b.tables["lead_search"]
    a.read_models.rebuild_projection("lead_search")
    new = a.tables["lead_search"]
    assert new != old
    # A's writes go to the new table and, during the grace, to the replaced one too.
    act(a, "CANCEL_LEADS", {"leadIds": lead_ids[:5]})
    by_state = parse_criteria({"campaignIds": [CAMPAIGN], "leadStates": ["CANCELLED"]})
    assert b.leads.count(ACCOUNT, by_state) == 5, (
        "B may still read the replaced table: it is complete"
    )
    # B's first write re-targets itself under the writers' lock.
    act(b, "SUPPRESS_LEADS", {"leadIds": lead_ids[5:8]})
    assert dict.__getitem__(b.tables, "lead_search") == new
    suppressed = parse_criteria({"campaignIds": [CAMPAIGN], "suppressed": "ONLY_SUPPRESSED"})
    assert a.leads.count(ACCOUNT, suppressed) == 3
    assert a.read_models.drop_retired_tables(force=True) == [old]
    time.sleep(2.5)  # B's names refresh every second
    assert b.leads.count(ACCOUNT, suppressed) == 3
    assert a.audit.verify_read_models() == []


def test_a_process_with_an_older_definition_refuses_to_write(
    make_app: Callable[..., Leadstate],
) -> None:
    a = make_app()
    lead_ids = load(a, [row() for _ in range(5)]).lead_ids
    store = a.store
    newer = definition("lead_search").version + 1
    with store.write() as cur:
        cur.execute(
            f"UPDATE {store.qualify('ls_projections')} SET version = {newer} "
            "WHERE name = 'lead_search'"
        )
        from leadstate.projections.registry import bump_generation

        bump_generation(store, cur)
    with pytest.raises(StaleReadModelError, match=f"version {newer}"):
        act(a, "CANCEL_LEADS", {"leadIds": lead_ids})
    with pytest.raises(StaleReadModelError):
        make_app()


def test_start_rebuild_of_an_unknown_read_model_is_not_found(app: Leadstate) -> None:
    from leadstate.domain import NotFound

    with pytest.raises(NotFound, match="lead_search"):
        app.read_models.start_rebuild("nope")
