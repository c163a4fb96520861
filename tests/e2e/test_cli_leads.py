"""The data commands of the CLI print the same vendor views as the API answers."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.support import run_cli, server_env


def _csv(path: Path) -> Path:
    path.write_text(
        "firstName,lastName,leadPhone,externId\n"
        "Ada,Lovelace,2125550101,E1\n"
        "Grace,Hopper,2125550102,E2\n"
        "Nobody,Nophone,,E3\n"
    )
    return path


def test_migrate_then_load_search_and_act_print_the_vendor_views(tmp_path: Path) -> None:
    env = server_env(str(tmp_path / "leadstate.db"))

    migrated = run_cli(env, "migrate", cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    again = run_cli(env, "migrate", cwd=tmp_path)
    assert again.returncode == 0, "migrate is idempotent: " + again.stderr

    loaded = run_cli(
        env, "load", str(_csv(tmp_path / "leads.csv")), "-a", "7", "-c", "3", cwd=tmp_path
    )
    assert loaded.returncode == 0, loaded.stderr
    result = json.loads(loaded.stdout)
    assert (result["leadsSupplied"], result["leadsInserted"]) == (3, 2)
    assert len(result["leadIds"]) == 2 and len(result["rejectedRows"]) == 1
    assert result["processingStatus"] == "DEFAULT_NOT_A_FAILURE"
    assert None not in result.values(), "views omit what they do not know, as the API does"

    found = run_cli(env, "search", "-a", "7", "-c", "3", "--json", cwd=tmp_path)
    assert found.returncode == 0, found.stderr
    rows = json.loads(found.stdout)
    assert sorted(r["externId"] for r in rows) == ["E1", "E2"]
    assert {r["leadState"] for r in rows} == {"READY"}

    cancelled = run_cli(env, "action", "CANCEL_LEADS", "-a", "7", "-c", "3", cwd=tmp_path)
    assert cancelled.returncode == 0, cancelled.stderr
    summary = json.loads(cancelled.stdout.strip().splitlines()[-1])
    assert (summary["leadActionType"], summary["leadUpdateCount"]) == ("CANCEL_LEADS", 2)
    assert summary["success"] is True

    after = json.loads(run_cli(env, "search", "-a", "7", "--json", cwd=tmp_path).stdout)
    assert {r["leadState"] for r in after} == {"CANCELLED"}


def test_a_data_command_refuses_an_unknown_action_clearly(tmp_path: Path) -> None:
    env = server_env(str(tmp_path / "leadstate.db"))

    done = run_cli(env, "action", "FLY_LEADS", "-a", "7", "-c", "3", cwd=tmp_path)

    assert done.returncode != 0
    assert "FLY_LEADS" in done.stderr
    assert "Traceback" not in done.stderr
