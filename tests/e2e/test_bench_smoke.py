"""`make bench` runs end to end (tiny sizes): every figure with a limit has a ratio."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmarks_print_each_figure_beside_its_limit() -> None:
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.bench",
            "--backend",
            "sqlite",
            "--leads",
            "2000",
            "--growth",
            "1000,3000",
            "--search-leads",
            "2000",
            "--http-seconds",
            "1",
            "--rebuild-events",
            "2000",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    names = " | ".join(r["name"] for r in rows)
    for wanted in ("loader", "bulk CANCEL job", "store", "over HTTP", "p99", "search", "rebuild"):
        assert wanted in names, names
    limited = [r for r in rows if r["limit"] is not None]
    assert len(limited) >= 8
    missing = [r for r in limited if r["ratio"] is None or r["ratio"] <= 0]
    assert not missing, missing
