"""`leadstate verify` (SPEC §7): the whole log replayed against every read model."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from leadstate.application.bootstrap import Leadstate
from leadstate.requests.edits import parse_edit
from leadstate.settings import Settings
from leadstate.workers.start import job_runner
from tests.backends import start_following, stop_following, wired
from tests.integration._support import ACCOUNT, CAMPAIGN, OTHER_CAMPAIGN, act, load, meta, row


def cli_env(settings: Settings) -> dict[str, str]:
    """The environment that points `leadstate` at this test's database."""
    return {
        **os.environ,
        "LEADSTATE_DB": settings.db,
        "LEADSTATE_PG_SCHEMA": settings.pg_schema,
        "COLUMNS": "200",
    }


def run_cli(settings: Settings, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`leadstate ARGS` in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "leadstate.cli", *args],
        env={**cli_env(settings), **env},
        capture_output=True,
        text=True,
        timeout=300,
    )


def busy_log(app: Leadstate) -> list[int]:
    """Leads, lists, campaigns, a bulk job and deletions: every read model has rows."""
    first = load(app, [row(firstName=f"F{i}") for i in range(30)]).lead_ids
    load(app, [row() for _ in range(10)], campaign=OTHER_CAMPAIGN)
    act(app, "SUPPRESS_LEADS", {"leadIds": first[:5]})
    act(app, "CANCEL_LEADS", {"leadIds": first[5:10]})
    act(app, "DELETE_LEADS", {"leadIds": first[10:12]})
    act(app, "MANUAL_LEADS", {"leadIds": first[12:14]}, {"PASS_DISPOSITION": "SALE"})
    act(
        app,
        "MOVE_TO_CAMPAIGN",
        {"leadIds": first[14:16]},
        {
            "CAMPAIGN_ID": OTHER_CAMPAIGN,
            "LIST_ID": 0,
            "LIST_NAME": "moved",
            "CREATE_COPY_SETTING": True,
        },
    )
    app.leads.set_campaign_settings(ACCOUNT, CAMPAIGN, 5, 10, "test")
    app.leads.edit_lead(ACCOUNT, first[16], parse_edit({"city": "Paris"}), meta())
    job = app.actions.submit_job(
        ACCOUNT, *wired("PAUSE_LEADS", {}, {"leadIds": first[20:30]}), meta()
    )
    job_runner(app).run_job(job["jobId"])
    assert app.actions.get_job(ACCOUNT, job["jobId"])["status"] == "done"
    worker = start_following(app)
    assert app.read_models.wait_for_projections(app.store.max_position(), 30)
    stop_following(app)
    assert not worker.alive
    return first


def test_verify_is_clean_after_every_kind_of_change(app: Leadstate) -> None:
    busy_log(app)
    assert app.audit.verify_read_models() == []
    assert app.audit.verify_read_models(page=7) == [], "pages split aggregates the same way"


def execute(app: Leadstate, sql: str, *params: Any) -> None:
    """Tamper with the database behind the application's back."""
    with app.store.write() as cur:
        cur.execute(sql.replace("?", app.store.ph), params)


def test_verify_finds_tampered_rows_and_the_cli_exits_1(app: Leadstate, settings: Settings) -> None:
    first = busy_log(app)
    q = app.store.qualify
    execute(
        app,
        f"UPDATE {q(app.tables['lead_search'])} SET lead_state = 'COMPLETE', city = 'Oslo' "
        "WHERE lead_id = ?",
        first[0],
    )
    execute(app, f"DELETE FROM {q(app.tables['lead_search'])} WHERE lead_id = ?", first[1])
    execute(
        app,
        f"INSERT INTO {q(app.tables['lead_lists'])} (list_id, account_id, campaign_id, name, "
        "created_at) VALUES (?, ?, ?, ?, ?)",
        999_999,
        ACCOUNT,
        CAMPAIGN,
        "forged",
        0,
    )
    execute(app, f"UPDATE {q(app.tables['campaigns'])} SET max_passes = 9")
    execute(app, f"UPDATE {q(app.tables['lead_counts'])} SET lead_count = lead_count + 1")

    differences = app.audit.verify_read_models()
    found = {(d.model, d.kind, str(d.key)) for d in differences}
    assert ("lead_search", "columns", str(first[0])) in found
    assert ("lead_search", "missing", str(first[1])) in found
    assert ("lead_lists", "extra", "999999") in found
    assert ("campaigns", "columns", f"{ACCOUNT}:{CAMPAIGN}") in found
    tampered = next(d for d in differences if d.key == first[0])
    assert tampered.columns["lead_state"] == ("READY", "COMPLETE")
    assert tampered.columns["city"][1] == "Oslo"
    assert {d.model for d in differences} == {
        "lead_search",
        "lead_lists",
        "campaigns",
        "lead_counts",
    }
    assert all(d.kind == "columns" for d in differences if d.model == "lead_counts")

    result = run_cli(settings, "verify")
    assert result.returncode == 1, result.stderr
    assert f"lead_search {first[0]}: " in result.stdout
    assert "lead_state: expected 'READY', found 'COMPLETE'" in result.stdout
    assert f"lead_search {first[1]}: row missing" in result.stdout
    assert "lead_lists 999999: extra row" in result.stdout
    assert "difference(s)" in result.stderr


def test_the_cli_verify_exits_0_when_all_agree(app: Leadstate, settings: Settings) -> None:
    busy_log(app)
    result = run_cli(settings, "verify", "--page-size", "5")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "agree" in result.stderr


def test_history_and_replay_on_the_command_line(app: Leadstate, settings: Settings) -> None:
    import json

    lead_id = load(app, [row(firstName="Cli")]).lead_ids[0]
    act(app, "CANCEL_LEADS", {"leadIds": [lead_id]})
    history = run_cli(settings, "history", str(lead_id), "--account", str(ACCOUNT))
    assert history.returncode == 0, history.stderr
    assert [e["type"] for e in json.loads(history.stdout)] == ["Loaded", "Cancelled"]
    replay = run_cli(settings, "replay", str(lead_id), "-a", str(ACCOUNT), "--version", "1")
    assert replay.returncode == 0, replay.stderr
    assert json.loads(replay.stdout)["leadState"] == "READY"
    missing = run_cli(settings, "replay", str(lead_id), "-a", "999", "--as-of", "2100-01-01T00:00Z")
    assert missing.returncode == 2
    assert "not found" in missing.stderr or "no state" in missing.stderr
