"""The log's promise to its readers (SPEC §8): a reader following the notification ids
never moves past a position below which an event can still commit, however many
writers commit at once (on PostgreSQL they write rows before the writers' lock)."""

from __future__ import annotations

import multiprocessing
import threading
from pathlib import Path
from typing import Any

import pytest

from leadstate.persistence.postgres import STAGE_FROM
from leadstate.settings import Settings
from tests.backends import open_service
from tests.integration._support import act, load, row

THREADS = 8
ROUNDS = 12
STAGED = STAGE_FROM + 6  # leads of every fourth load: PostgreSQL stages their events by COPY


def _write(settings_json: str, process: int, barrier: Any, out: Any) -> None:
    """THREADS writers in one process: loads of a few leads and actions on them."""
    service = open_service(Settings.model_validate_json(settings_json))
    errors: list[str] = []

    def writer(n: int) -> None:
        try:
            for r in range(ROUNDS):
                campaign = 100 * process + n
                size = STAGED if r % 4 == 3 else 1 + r % 3
                ids = load(service, [row() for _ in range(size)], campaign=campaign).lead_ids
                act(service, "CANCEL_LEADS" if r % 2 else "PAUSE_LEADS", {"leadIds": ids})
        except Exception as error:
            errors.append(repr(error))

    barrier.wait(timeout=120)
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    service.close()
    out.put(errors)


@pytest.mark.slow
def test_a_reader_following_the_log_never_skips_an_event_of_concurrent_writers(
    settings: Settings, tmp_path: Path
) -> None:
    reader = open_service(settings)
    recorder = reader.app.recorder
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(3)
    out = context.Queue()
    processes = [
        context.Process(target=_write, args=(settings.model_dump_json(), p, barrier, out))
        for p in (1, 2)
    ]
    for process in processes:
        process.start()
    seen: list[int] = []
    last = recorder.max_notification_id() or 0
    start = last
    barrier.wait(timeout=120)
    while any(p.is_alive() for p in processes):
        for notification in recorder.select_notifications(last, 1000, inclusive_of_start=False):
            seen.append(notification.id)
            last = notification.id
    errors = [out.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=60)
    assert errors == [[], []]
    for notification in recorder.select_notifications(last, 100_000, inclusive_of_start=False):
        seen.append(notification.id)
    committed = [
        n.id for n in recorder.select_notifications(start, 100_000, inclusive_of_start=False)
    ]
    reader.close()
    assert len(committed) >= 2 * THREADS * ROUNDS * 2
    assert seen == committed, "the reader passed an event that committed later below it"
