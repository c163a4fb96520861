"""The other check-then-act places, proven atomic across connections and processes:
the DNC check of a load against a concurrent DNC pass, id allocation, lease claims."""

from __future__ import annotations

import multiprocessing
import threading
from collections.abc import Callable
from typing import Any
from uuid import UUID

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Lead
from leadstate.settings import Settings
from tests.backends import open_service
from tests.integration._support import ACCOUNT, act, load, row, unique_phone

PROCESSES = 3


def _positions(app: Leadstate, topic_suffix: str) -> dict[UUID, int]:
    """The log position of each event whose topic ends with `topic_suffix`, by stream."""
    found: dict[UUID, int] = {}
    for page in app.store.iter_log(1, None, 10_000):
        for position, stored in page:
            if stored.topic.endswith(topic_suffix):
                found[UUID(str(stored.originator_id))] = position
    return found


def test_a_load_never_commits_a_phone_after_a_pass_put_it_on_the_dnc_list(
    make_app: Callable[..., Leadstate],
) -> None:
    loader, dialer = make_app(), make_app()
    phone = unique_phone()
    original = load(dialer, [row(phone=phone)], campaign=1).lead_ids[0]
    results: list[Any] = []
    go = threading.Event()

    def keep_loading() -> None:
        go.set()
        for _ in range(60):
            results.append(load(loader, [row(phone=phone)], campaign=2))

    worker = threading.Thread(target=keep_loading)
    worker.start()
    go.wait()
    act(
        dialer,
        "MANUAL_LEADS",
        {"leadIds": [original]},
        {"PASS_DISPOSITION": "DNC", "DO_NOT_CALL": True},
    )
    worker.join()

    (dnc_position,) = _positions(loader, "DncEntry.Added").values()
    loaded = _positions(loader, "Lead.Loaded")
    copies = [lead_id for result in results for lead_id in result.lead_ids]
    assert all(loaded[Lead.create_id(lead_id)] < dnc_position for lead_id in copies), (
        "a lead of a do-not-call phone was loaded after the phone was listed"
    )
    refused = [r for result in results for r in result.rejected]
    assert all(r.message == "phone is on the do-not-call list" for r in refused)
    assert len(copies) + len(refused) == 60
    assert sum(result.dnc_returned for result in results) == len(refused)


def _allocate(settings: dict[str, Any], barrier: Any, out: Any) -> None:
    app = open_service(Settings(**settings))
    try:
        barrier.wait()
        out.put(
            [
                (first, count)
                for count in (1, 7, 3, 50, 2) * 20
                if (first := app.store.allocate("lead_id", count))
            ]
        )
    finally:
        app.close()


def _claim(settings: dict[str, Any], barrier: Any, out: Any, rounds: int) -> None:
    app = open_service(Settings(**settings))
    try:
        won = []
        for n in range(rounds):
            barrier.wait()
            if app.leases.claim(
                f"job:race-{n}", f"owner-{multiprocessing.current_process().pid}", 60
            ):
                won.append(n)
        out.put(won)
    finally:
        app.close()


def _in_processes(target: Callable[..., None], settings: Settings, *args: Any) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(PROCESSES)
    out = context.Queue()
    config = settings.model_dump(mode="json")
    processes = [
        context.Process(target=target, args=(config, barrier, out, *args)) for _ in range(PROCESSES)
    ]
    for process in processes:
        process.start()
    results = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    return results


def test_ids_allocated_by_several_processes_at_once_never_overlap(
    app: Leadstate, settings: Settings
) -> None:
    ranges = [r for result in _in_processes(_allocate, settings) for r in result]

    taken: set[int] = set()
    for first, count in ranges:
        block = set(range(first, first + count))
        assert not block & taken, "two allocations handed out the same id"
        taken |= block
    assert len(taken) == sum(count for _, count in ranges)


def test_a_lease_raced_for_by_several_processes_has_exactly_one_holder(
    app: Leadstate, settings: Settings
) -> None:
    rounds = 15
    won = [n for result in _in_processes(_claim, settings, rounds) for n in result]

    assert sorted(won) == list(range(rounds)), "each lease: one winner, never two or none"


def test_the_account_of_a_guarded_load_is_its_own(app: Leadstate) -> None:
    phone = unique_phone()
    load(app, [row(phone=phone)], account=ACCOUNT + 100)

    result = load(app, [row(phone=phone)], duplicate_handling="REMOVE_ALL_EXISTING")

    assert result.leads_inserted == 1, "the same phone in another account is no duplicate"
