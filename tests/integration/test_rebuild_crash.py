"""A rebuild killed half-way (SIGKILL) resumes where it stopped and completes (SPEC §7)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.projections import registry
from leadstate.settings import Settings
from tests.backends import start_following, stop_following
from tests.integration._support import act, load, row
from tests.integration.test_audit_verify import cli_env


def rebuild_process(
    settings: Settings, name: str, page: int, workers: int = 1
) -> subprocess.Popen[str]:
    """`leadstate projections rebuild NAME` with a small page size (LEADSTATE_REBUILD_PAGE_SIZE)."""
    return subprocess.Popen(
        [sys.executable, "-m", "leadstate.cli", "projections", "rebuild", name],
        env={
            **cli_env(settings),
            "LEADSTATE_REBUILD_PAGE_SIZE": str(page),
            "LEADSTATE_REBUILD_WORKERS": str(workers),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def building(app: Leadstate, name: str) -> registry.Build | None:
    rows = [b for b in registry.builds(app.store, name=name) if b.status == "building"]
    return rows[-1] if rows else None


@pytest.mark.parametrize(
    ("name", "workers"), [("lead_search", 1), ("lead_counts", 1), ("lead_search", 2)]
)
def test_a_killed_rebuild_resumes_and_completes(
    app: Leadstate, settings: Settings, name: str, workers: int
) -> None:
    lead_ids = load(app, [row() for _ in range(1500)]).lead_ids
    act(app, "SUPPRESS_LEADS", {"leadIds": lead_ids[::2]})
    act(app, "DELETE_LEADS", {"leadIds": lead_ids[:20]})
    old = app.tables[name]

    first = rebuild_process(settings, name, page=10, workers=workers)
    deadline = time.monotonic() + 120
    killed_at = None
    while time.monotonic() < deadline:
        build = building(app, name)
        if build is not None and build.done >= 300:
            os.kill(first.pid, signal.SIGKILL)
            killed_at = build
            break
        if first.poll() is not None:
            pytest.fail(
                f"the rebuild ended before it could be killed: {first.stderr.read() if first.stderr else ''}"
            )
        time.sleep(0.01)
    first.wait(30)
    assert killed_at is not None and first.returncode == -signal.SIGKILL
    interrupted = building(app, name)
    assert interrupted is not None and interrupted.table_name == killed_at.table_name
    # Killed before the swap: the old table still serves (with two workers the scan can
    # already be complete when the kill lands; the build is still unfinished).
    assert app.tables[name] == old

    # Commands keep landing meanwhile; the resumed rebuild picks them up in its tail.
    act(app, "CANCEL_LEADS", {"leadIds": lead_ids[100:150]})
    status = next(s for s in app.read_models.projection_status() if s["name"] == name)
    assert status["status"] == "live"
    assert status["progress"]["phase"].startswith("interrupted")

    if workers > 1:
        # The scanning processes died with their parent: the parts stop moving.
        parts = registry.parts(app.store, killed_at.table_name)
        assert len(parts) == workers
        moved = registry.parts(app.store, killed_at.table_name)
        time.sleep(1.0)
        assert registry.parts(app.store, killed_at.table_name) == moved

    second = rebuild_process(settings, name, page=10, workers=workers)
    _out, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert "now served from" in err
    live = registry.registrations(app.store)[name]
    assert live.table_name == killed_at.table_name, "resumed the same build, not a new one"
    done = next(b for b in registry.builds(app.store, name=name) if b.table_name == live.table_name)
    assert done.status == "live"
    if name == "lead_counts":
        start_following(app)
        assert app.read_models.wait_for_projections(app.store.max_position(), 30)
        stop_following(app)
    assert app.audit.verify_read_models() == []
