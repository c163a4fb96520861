"""The wheel is the product: built, installed in a fresh virtualenv, and it works there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

SNIPPET = """
import json, sys
from importlib import resources

import leadstate
from leadstate.application.bootstrap import migrate, open_leadstate
from leadstate.domain import Meta
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.loads import parse_load_request
from leadstate.settings import Settings

settings = Settings(db=sys.argv[1])
migrate(settings)
app = open_leadstate(settings)
rows = [{"externId": "P-1", "leadPhone": "555-123-0000", "firstName": "Packaged"}]
loaded = app.loading.load_leads(1, 10, parse_load_request(rows), Meta.now("packaging test"))
found = app.leads.search(1, parse_criteria({"firstName": "PACKAGED", "leadPhoneNum": "5551230000"}))
app.close()
print(json.dumps({
    "module": leadstate.__file__,
    "sql": str(resources.files("leadstate").joinpath("_projections")),
    "loaded": loaded.lead_ids,
    "found": [view["leadId"] for view in found],
}))
"""


def run(args: list[str | Path], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command; fail the test with its output when it fails."""
    result = subprocess.run(
        [str(a) for a in args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.mark.slow
def test_the_wheel_installs_in_a_fresh_virtualenv_and_carries_its_projection_sql(
    tmp_path: Path,
) -> None:
    wheels = tmp_path / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", wheels, REPO], tmp_path)
    (wheel,) = wheels.glob("leadstate-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        packaged = {n for n in archive.namelist() if n.startswith("leadstate/_projections/")}
    expected = {f"leadstate/_projections/{p.name}" for p in (REPO / "projections").glob("*.sql")}
    assert expected and packaged == expected

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", venv], tmp_path)
    bin_dir = venv / "bin"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    run([bin_dir / "python", "-m", "pip", "install", "-q", wheel], tmp_path, env)

    help_text = run([bin_dir / "leadstate", "--help"], tmp_path, env)
    assert "leadstate" in help_text
    assert "load" in help_text

    work = tmp_path / "elsewhere"
    work.mkdir()
    output = run([bin_dir / "python", "-c", SNIPPET, work / "packaged.db"], work, env)
    report = json.loads(output.strip().splitlines()[-1])
    assert Path(report["module"]).is_relative_to(venv), "imported from the installed wheel"
    assert Path(report["sql"]).is_relative_to(venv)
    assert report["found"] == report["loaded"] != []
