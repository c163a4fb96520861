"""A read model's `-- version:` bump: built beside the old service, swapped in at start."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.projections import registry
from leadstate.projections.definitions import _sql_dir, load
from leadstate.projections.routing import StaleReadModelError
from leadstate.requests.criteria import parse_criteria
from leadstate.settings import Settings
from tests.integration._support import ACCOUNT, CAMPAIGN, act, row
from tests.integration._support import load as load_leads
from tests.integration.test_audit_verify import run_cli


@pytest.fixture
def newer_definitions(tmp_path: Path) -> Iterator[Path]:
    """The read-model SQL of the next deploy: lead_search and lead_lists one version up."""
    folder = tmp_path / "projections-next"
    folder.mkdir()
    for sql in _sql_dir().glob("*.sql"):
        text = sql.read_text(encoding="utf-8")
        if sql.stem in ("lead_search", "lead_lists"):
            now = load(sql.stem).version
            assert f"-- version: {now}\n" in text
            text = text.replace(f"-- version: {now}\n", f"-- version: {now + 1}\n")
        (folder / sql.name).write_text(text, encoding="utf-8")
    yield folder
    load.cache_clear()


def deploy(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """From now on this process runs the new code's definitions."""
    monkeypatch.setenv("LEADSTATE_PROJECTIONS_DIR", str(folder))
    load.cache_clear()


def test_a_newer_version_is_staged_beside_the_old_service_then_swapped_in_at_start(
    make_app: Callable[..., Leadstate],
    settings: Settings,
    newer_definitions: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old = make_app()
    search_now, lists_now = load("lead_search").version, load("lead_lists").version
    lead_ids = load_leads(old, [row() for _ in range(300)]).lead_ids
    act(old, "SUPPRESS_LEADS", {"leadIds": lead_ids[:30]})

    staged = run_cli(
        settings,
        "projections",
        "rebuild",
        "lead_search",
        LEADSTATE_PROJECTIONS_DIR=str(newer_definitions),
        LEADSTATE_REBUILD_PAGE_SIZE="50",
    )
    assert staged.returncode == 0, staged.stderr
    assert "staged" in staged.stderr
    builds = [b for b in registry.builds(old.store, name="lead_search") if b.status == "staged"]
    assert len(builds) == 1 and builds[0].version == search_now + 1
    live = registry.registrations(old.store)["lead_search"]
    assert (live.version, live.table_name) == (
        search_now,
        f"rm_lead_search_v{search_now}",
    ), "the old one still serves"

    # The old service keeps taking commands; the staged table falls behind by these.
    act(old, "CANCEL_LEADS", {"leadIds": lead_ids[50:60]})
    more = load_leads(old, [row() for _ in range(5)]).lead_ids
    cancelled = parse_criteria({"campaignIds": [CAMPAIGN], "leadStates": ["CANCELLED"]})
    assert old.leads.count(ACCOUNT, cancelled) == 10

    deploy(monkeypatch, newer_definitions)
    new = make_app()
    registered = registry.registrations(new.store)
    assert (registered["lead_search"].version, registered["lead_search"].table_name) == (
        search_now + 1,
        builds[0].table_name,
    ), "the staged table was caught up and swapped in, not rebuilt"
    assert registered["lead_lists"].version == lists_now + 1, "not staged: built before serving"
    assert registered["lead_lists"].table_name.startswith(f"rm_lead_lists_v{lists_now + 1}_")
    assert registered["jobs"].version == load("jobs").version
    assert new.leads.count(ACCOUNT, cancelled) == 10
    assert new.leads.get_lead(ACCOUNT, more[-1])["leadId"] == more[-1]
    assert new.audit.verify_read_models() == []
    status = {s["name"]: s for s in new.read_models.projection_status()}
    assert status["lead_search"]["version"] == search_now + 1
    assert status["lead_search"]["status"] == "live"

    # The old deploy may no longer write rows the new definition would not recognise.
    with pytest.raises(StaleReadModelError, match="restart it"):
        act(old, "READY_LEADS", {"leadIds": lead_ids[50:60]})
    act(new, "READY_LEADS", {"leadIds": lead_ids[50:60]})
    assert new.leads.count(ACCOUNT, cancelled) == 0
    assert new.audit.verify_read_models() == []


def test_projections_status_on_the_command_line(app: Leadstate, settings: Settings) -> None:
    import json

    load_leads(app, [row() for _ in range(3)])
    result = run_cli(settings, "projections", "status", "--json")
    assert result.returncode == 0, result.stderr
    rows = {r["name"]: r for r in json.loads(result.stdout)}
    assert {"lead_search", "lead_lists", "campaigns", "jobs", "lead_counts"} <= set(rows)
    for row_ in rows.values():
        assert {"name", "status", "position", "lag", "progress"} <= set(row_)
        assert row_["status"] == "live"
    assert rows["lead_search"]["lag"] == 0
    assert rows["lead_counts"]["lag"] > 0, "nobody follows the log in this test"


def test_data_commands_never_rebuild_they_say_to_migrate_and_migrate_does(
    make_app: Callable[..., Leadstate], settings: Settings, newer_definitions: Path
) -> None:
    old = make_app()
    load_leads(old, [row() for _ in range(20)])
    newer = {"LEADSTATE_PROJECTIONS_DIR": str(newer_definitions)}

    refused = run_cli(settings, "search", "-a", str(ACCOUNT), "--count", **newer)
    assert refused.returncode != 0
    assert "leadstate migrate" in refused.stderr and "lead_search" in refused.stderr
    assert registry.registrations(old.store)["lead_search"].version == load("lead_search").version

    migrated = run_cli(settings, "migrate", **newer)
    assert migrated.returncode == 0, migrated.stderr
    counted = run_cli(settings, "search", "-a", str(ACCOUNT), "--count", **newer)
    assert counted.returncode == 0, counted.stderr
    assert '"count": 20' in counted.stdout
