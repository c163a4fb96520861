"""`LEADSTATE_REQUIRE_POSTGRES=1` turns an unreachable PostgreSQL into a failed run (SPEC §9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
UNREACHABLE = "postgresql://postgres@127.0.0.1:1/none"
# A small test that runs once per backend; its postgres instance needs the database.
POSTGRES_TEST = (
    "tests/integration/test_lead_ids.py::test_a_deleted_leads_id_is_never_given_again[postgres]"
)


def run_pytest(require: bool) -> subprocess.CompletedProcess[str]:
    """pytest in a child process, pointed at a PostgreSQL nobody listens for."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    env["LEADSTATE_TEST_PG"] = UNREACHABLE
    env.pop("LEADSTATE_REQUIRE_POSTGRES", None)
    if require:
        env["LEADSTATE_REQUIRE_POSTGRES"] = "1"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", POSTGRES_TEST],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_unreachable_postgres_fails_the_run_when_postgres_is_required() -> None:
    result = run_pytest(require=True)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output  # pytest's "tests failed" (here: setup error)
    assert "1 error" in output or "1 failed" in output, output
    assert f"PostgreSQL unreachable at {UNREACHABLE}" in output, output
    assert "LEADSTATE_REQUIRE_POSTGRES=1" in output, output


def test_an_unreachable_postgres_is_skipped_when_postgres_is_not_required() -> None:
    result = run_pytest(require=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 skipped" in output, output
    assert f"PostgreSQL unreachable at {UNREACHABLE}" in output, output
