"""Two server processes share one PostgreSQL; exactly one follows the asynchronous read
models.

Killing the leader (SIGKILL) half-way through a catch-up hands the follower over to the
other process within seconds; no event is applied twice (verify is clean).
"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.projections import registry
from leadstate.settings import Settings
from tests.backends import make_settings, open_service
from tests.e2e.support import free_port
from tests.integration._support import act, load, row


class Follower:
    """A `leadstate projections follow` or `leadstate serve` process, its stderr lines
    collected (both log when they start following the log and when they stand by)."""

    def __init__(self, settings: Settings, name: str, command: str) -> None:
        self.name = name
        env = {
            **os.environ,
            "LEADSTATE_DB": settings.db,
            "LEADSTATE_PG_SCHEMA": settings.pg_schema,
            "LEADSTATE_REBUILD_PAGE_SIZE": "50",
            "LEADSTATE_RUN_EXPORT_WORKERS": "0",
        }
        args = ["projections", "follow"]
        if command == "serve":
            args = ["serve", "--host", "127.0.0.1", "--port", str(free_port())]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "leadstate.cli", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.put(line.rstrip())

    def drain(self) -> list[str]:
        while True:
            try:
                self.seen.append(self.lines.get_nowait())
            except queue.Empty:
                return self.seen

    def leads(self) -> bool:
        lines = [
            line for line in self.drain() if "following the log" in line or "standing by" in line
        ]
        return bool(lines) and "following the log" in lines[-1]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def wait_until(check: object, timeout: float, what: str) -> float:
    started = time.monotonic()
    while not check():  # type: ignore[operator]
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
    return time.monotonic() - started


@pytest.fixture
def pg_settings(pg_schema: str, tmp_path: Path) -> Settings:
    return make_settings("postgres", tmp_path, pg_schema)


@pytest.fixture(params=["serve", "follow"])
def followers(pg_settings: Settings, request: pytest.FixtureRequest) -> Iterator[list[Follower]]:
    """Two server processes (or two bare followers) on one PostgreSQL schema."""
    command = str(request.param)
    procs = [Follower(pg_settings, "a", command), Follower(pg_settings, "b", command)]
    yield procs
    for proc in procs:
        proc.stop()


def counts_position(app: Leadstate) -> int:
    return registry.registrations(app.store)["lead_counts"].position


@pytest.mark.postgres
@pytest.mark.slow
def test_killing_the_leading_follower_hands_over_and_applies_nothing_twice(
    pg_settings: Settings, followers: list[Follower]
) -> None:
    app = open_service(pg_settings)
    try:
        wait_until(lambda: any(f.leads() for f in followers), 60, "a leader")
        time.sleep(1.5)  # the other one has tried the lock by now
        leaders = [f for f in followers if f.leads()]
        assert len(leaders) == 1, [f.drain() for f in followers]
        leader = leaders[0]
        standby = next(f for f in followers if f is not leader)

        lead_ids = load(app, [row() for _ in range(3000)]).lead_ids
        act(app, "SUPPRESS_LEADS", {"leadIds": lead_ids[::2]})
        act(app, "CANCEL_LEADS", {"leadIds": lead_ids[:1000]})
        head = app.store.max_position()
        # Kill the leader in the middle of its catch-up (it applies 50 events a page).
        wait_until(lambda: counts_position(app) > 500, 60, "the leader to start")
        os.kill(leader.proc.pid, signal.SIGKILL)
        leader.proc.wait(10)
        stopped_at = counts_position(app)
        assert stopped_at < head, "killed half-way"

        took = wait_until(standby.leads, 30, "the standby to take over")
        act(app, "DELETE_LEADS", {"leadIds": lead_ids[2000:2100]})
        head = app.store.max_position()
        wait_until(lambda: counts_position(app) >= head, 60, "the standby to catch up")
        assert took < 15
        assert app.audit.verify_read_models() == []
        counted = sum(c["count"] for c in app.read_models.lead_counts(1))
        assert counted == len(lead_ids) - 100
        status = next(s for s in app.read_models.projection_status() if s["name"] == "lead_counts")
        assert (status["status"], status["lag"]) == ("live", 0)
    finally:
        app.close()


@pytest.mark.postgres
@pytest.mark.slow
def test_the_follower_wakes_on_notify_rather_than_polling(
    pg_settings: Settings, followers: list[Follower]
) -> None:
    app = open_service(pg_settings)
    try:
        wait_until(lambda: any(f.leads() for f in followers), 60, "a leader")
        load(app, [row() for _ in range(10)])
        head = app.store.max_position()
        # The backstop timeout is 5 s; a NOTIFY wakes the leader at once.
        took = wait_until(lambda: counts_position(app) >= head, 10, "the follower")
        assert took < 2.0
    finally:
        app.close()
