"""leadIds (SPEC §1): positive int32, unique in the service, never reused."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.domain.values import MAX_INT32
from leadstate.persistence.base import IdSpaceExhaustedError
from leadstate.settings import Settings
from tests.backends import open_service
from tests.integration._support import (
    CAMPAIGN,
    OTHER_ACCOUNT,
    OTHER_CAMPAIGN,
    act,
    ids,
    load,
    row,
)

PROCESSES = 3
LOADS_PER_PROCESS = 8


def test_lead_ids_are_positive_int32_and_unique_across_accounts_loads_and_copies(
    app: Leadstate,
) -> None:
    seen: list[int] = []
    seen += load(app, [row() for _ in range(5)]).lead_ids
    seen += load(app, [row() for _ in range(3)], account=OTHER_ACCOUNT).lead_ids
    seen += load(app, [row()], campaign=OTHER_CAMPAIGN).lead_ids
    copy = {"CAMPAIGN_ID": 30, "LIST_ID": 0, "LIST_NAME": "c", "CREATE_COPY_SETTING": "true"}
    act(app, "MOVE_TO_CAMPAIGN", {"campaignIds": [CAMPAIGN]}, copy)
    seen += ids(app, {"campaignIds": [30]})
    assert len(seen) == 5 + 3 + 1 + 5
    assert len(set(seen)) == len(seen)
    assert all(isinstance(i, int) and 0 < i <= MAX_INT32 for i in seen)


def test_a_deleted_leads_id_is_never_given_again(app: Leadstate) -> None:
    first = load(app, [row(), row()]).lead_ids
    act(app, "DELETE_LEADS", {"leadIds": first})
    later = load(app, [row(), row()]).lead_ids
    copy = {"CAMPAIGN_ID": 30, "LIST_ID": 0, "LIST_NAME": "c", "CREATE_COPY_SETTING": "true"}
    act(app, "MOVE_TO_CAMPAIGN", {"leadIds": later}, copy)
    copies = ids(app, {"campaignIds": [30]})
    assert not set(first) & set(later + copies)
    assert min(later) > max(first)


def test_an_application_restarted_on_the_same_database_goes_on_from_the_last_id(
    app: Leadstate, make_app: Callable[..., Leadstate]
) -> None:
    before = load(app, [row(), row()]).lead_ids
    app.close()
    restarted = make_app()
    after = load(restarted, [row()]).lead_ids
    assert after[0] > max(before)


def test_no_lead_id_beyond_int32_is_ever_given(app: Leadstate) -> None:
    table = app.store.qualify("ls_counters")
    ph = app.store.ph
    load(app, [row()])
    with app.store.write() as cur:
        cur.execute(
            f"UPDATE {table} SET next_value = {ph} WHERE name = {ph}", (MAX_INT32, "lead_id")
        )
    (last,) = load(app, [row(firstName="Last")]).lead_ids
    assert last == MAX_INT32
    with pytest.raises(IdSpaceExhaustedError):
        load(app, [row(firstName="TooMany")])
    assert ids(app, {"firstName": "toomany"}) == []


def _load_concurrently(settings_json: str, worker: int, barrier: Barrier, results: Any) -> None:
    """One service process: start with the others on a fresh database, load leads and
    copy them, report every leadId it was given (or its error)."""
    try:
        barrier.wait(timeout=60)
        application = open_service(Settings.model_validate_json(settings_json))
    except BaseException as error:
        results.put((worker, repr(error)))
        raise
    try:
        got: list[int] = []
        for n in range(LOADS_PER_PROCESS):
            rows = [row(f"w{worker}-{n}-{k}") for k in range(1 + (n + worker) % 4 * 10)]
            got += load(application, rows, campaign=100 + worker).lead_ids
        copy = {
            "CAMPAIGN_ID": 200 + worker,
            "LIST_ID": 0,
            "LIST_NAME": f"copies {worker}",
            "CREATE_COPY_SETTING": "true",
        }
        act(application, "MOVE_TO_CAMPAIGN", {"campaignIds": [100 + worker]}, copy)
        got += ids(application, {"campaignIds": [200 + worker]})
        results.put((worker, got))
    except BaseException as error:
        results.put((worker, repr(error)))
        raise
    finally:
        application.close()


def test_processes_starting_and_writing_on_one_database_at_once_never_share_a_lead_id(
    settings: Settings, make_app: Callable[..., Leadstate]
) -> None:
    """Several service processes (SPEC §8) start together on a fresh database, then load
    and copy leads at the same time."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    results = context.Queue()
    processes = [
        context.Process(
            target=_load_concurrently, args=(settings.model_dump_json(), n, barrier, results)
        )
        for n in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    reported = dict(results.get(timeout=180) for _ in processes)
    for process in processes:
        process.join(timeout=60)
    failures = {w: r for w, r in reported.items() if isinstance(r, str)}
    assert not failures, failures
    assert [p.exitcode for p in processes] == [0] * PROCESSES

    every: list[int] = [i for got in reported.values() for i in got]
    assert len(set(every)) == len(every), "a leadId was handed out twice"
    assert all(0 < i <= MAX_INT32 for i in every)
    campaigns = [c for w in range(PROCESSES) for c in (100 + w, 200 + w)]
    assert ids(make_app(), {"campaignIds": campaigns}) == sorted(every)
