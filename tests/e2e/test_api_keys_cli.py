"""`leadstate serve` first start, and `leadstate keys create/list/revoke` with a running server."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import Result
from typer.testing import CliRunner

import leadstate.cli.server  # noqa: F401  (registers the serve and keys commands)
from leadstate.cli.base import cli
from tests.e2e.support import PREFIX, Server, run_cli, server_env, start_server

pytestmark = pytest.mark.slow

TOKEN = re.compile(r"lsk_[0-9a-f]{16}_[A-Za-z0-9_-]{43,}")


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Server]:
    """A server on an empty SQLite database, started without any key."""
    env = server_env(str(tmp_path / "fresh.db"))
    running = start_server(env, tmp_path)
    yield running
    running.stop()


def test_first_start_prints_url_admin_token_and_curl_example_and_later_starts_do_not(
    fresh: Server,
) -> None:
    printed = fresh.output()
    assert fresh.base_url in printed
    tokens = set(TOKEN.findall(printed))
    assert len(tokens) == 1
    token = tokens.pop()
    assert "curl" in printed and f"Authorization: Bearer {token}" in printed
    me = httpx.get(f"{fresh.base_url}/me", headers={"Authorization": f"Bearer {token}"}).json()
    assert me["accounts"] == ["*"]
    assert set(me["scopes"]) == {
        "leads:read",
        "leads:write",
        "leads:delete",
        "leads:export",
        "audit:read",
        "admin",
    }
    fresh.stop()

    again = start_server(fresh.env, fresh.cwd)
    try:
        assert again.base_url in again.output()
        assert TOKEN.search(again.output()) is None
        still = httpx.get(f"{again.base_url}/me", headers={"Authorization": f"Bearer {token}"})
        assert still.status_code == 200
    finally:
        again.stop()


def test_keys_create_prints_only_the_token_and_the_key_works_within_its_account(
    server: Server,
) -> None:
    done = run_cli(server.env, "keys", "create", "--account", "4242", "--scope", "leads:read")
    assert done.returncode == 0, done.stderr
    assert TOKEN.fullmatch(done.stdout.strip()), done.stdout
    token = done.stdout.strip()
    headers = {"Authorization": f"Bearer {token}"}
    mine = httpx.get(f"{server.base_url}{PREFIX}/4242/campaignLeads/leadStates", headers=headers)
    assert mine.status_code == 200
    other = httpx.get(f"{server.base_url}{PREFIX}/4243/campaignLeads/leadStates", headers=headers)
    assert other.status_code == 404
    write = httpx.put(
        f"{server.base_url}{PREFIX}/4242/campaigns/1/settings",
        headers=headers,
        json={"maxPasses": 2, "passDelayMin": 1},
    )
    assert write.status_code == 403


def invoke(env: dict[str, str], *args: str) -> Result:
    """`leadstate ARGS...` in-process (the server subprocess shares the database)."""
    return CliRunner().invoke(
        cli,
        list(args),
        env={
            "LEADSTATE_DB": env["LEADSTATE_DB"],
            "LEADSTATE_PG_SCHEMA": env.get("LEADSTATE_PG_SCHEMA", "public"),
        },
    )


def test_keys_list_shows_ids_never_tokens_and_revoke_stops_a_key_within_the_cache_time(
    server: Server,
) -> None:
    created = invoke(server.env, "keys", "create", "--account", "77", "--scope", "leads:read")
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    key_id = "key_" + token.split("_")[1]
    listed = invoke(server.env, "keys", "list")
    assert listed.exit_code == 0, listed.output
    assert key_id in listed.stdout
    assert TOKEN.search(listed.stdout) is None

    url = f"{server.base_url}{PREFIX}/77/campaignLeads/leadStates"
    headers = {"Authorization": f"Bearer {token}"}
    assert httpx.get(url, headers=headers).status_code == 200
    revoked = invoke(server.env, "keys", "revoke", key_id)
    assert revoked.exit_code == 0, revoked.output
    # The server trusts a key it authenticated for LEADSTATE_API_KEY_CACHE_SECONDS (5).
    deadline = time.monotonic() + 5 + 3
    after = httpx.get(url, headers=headers)
    while after.status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.2)
        after = httpx.get(url, headers=headers)
    assert after.status_code == 401
    assert "expired" not in after.text.lower()
    assert "revoked" in invoke(server.env, "keys", "list").stdout
    assert invoke(server.env, "keys", "revoke", "key_unknown").exit_code == 1


def test_keys_create_rejects_a_bad_account_or_scope(tmp_path: Path) -> None:
    env = server_env(str(tmp_path / "keys.db"))
    for args in (["--account", "abc"], ["--account", "1", "--scope", "leads:everything"]):
        done = invoke(env, "keys", "create", *args)
        assert done.exit_code == 2
        assert done.stdout == ""
