"""Helpers for the HTTP tests: a `leadstate serve` subprocess, CLI calls, an API client."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.backends import PG_URL, require_postgres

PREFIX = "/voice/api/v1/admin/accounts"
ALL_SCOPES = ("leads:read", "leads:write", "leads:delete", "leads:export", "audit:read", "admin")


def leadstate_command() -> list[str]:
    """How to run the `leadstate` console script of this environment."""
    script = Path(sys.executable).parent / "leadstate"
    if script.exists():
        return [str(script)]
    found = shutil.which("leadstate")
    if found:
        return [found]
    return [sys.executable, "-c", "import sys; from leadstate.cli import main; sys.exit(main())"]


def server_env(db: str, schema: str | None = None, **extra: str) -> dict[str, str]:
    """The environment of a server or CLI call on database `db` (nothing else inherited
    from LEADSTATE_* variables)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADSTATE_")}
    env["LEADSTATE_DB"] = db
    env["LEADSTATE_WORKERS"] = "1"  # a process the tests can kill is the one that works
    if schema is not None:
        env["LEADSTATE_PG_SCHEMA"] = schema
    env.update(extra)
    return env


@contextmanager
def fresh_database(backend: str, workdir: Path) -> Iterator[dict[str, str]]:
    """The environment of servers and CLI calls on a fresh database of `backend`: a
    file in `workdir`, or a new PostgreSQL schema (dropped afterwards)."""
    if backend != "postgres":
        yield server_env(str(workdir / "leadstate.db"))
        return
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield server_env(PG_URL, schema)
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def run_cli(
    env: Mapping[str, str], *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """`leadstate ARGS...`, captured."""
    return subprocess.run(
        [*leadstate_command(), *args],
        env=dict(env),
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def create_key(env: Mapping[str, str], account: str, *scopes: str, cwd: Path | None = None) -> str:
    """A new API key's token, from `leadstate keys create`."""
    args = ["keys", "create", "--account", account]
    for scope in scopes:
        args += ["--scope", scope]
    done = run_cli(env, *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running `leadstate serve`."""

    base_url: str
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    cwd: Path
    tokens: dict[str, str] = field(default_factory=dict)

    def output(self) -> str:
        """What the server printed on stdout so far."""
        return self.stdout.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 15 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)


def start_server(env: Mapping[str, str], cwd: Path, *, attempts: int = 3) -> Server:
    """`leadstate serve` on a free port of 127.0.0.1, once `/readyz` answers 200."""
    last_error = ""
    for attempt in range(attempts):
        port = free_port()
        stdout = cwd / f"serve-{port}-{attempt}.out"
        stderr = cwd / f"serve-{port}-{attempt}.err"
        with stdout.open("wb") as out, stderr.open("wb") as err:
            process = subprocess.Popen(
                [*leadstate_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                env=dict(env),
                cwd=cwd,
                stdout=out,
                stderr=err,
            )
        server = Server(f"http://127.0.0.1:{port}", dict(env), process, stdout, stderr, cwd)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if httpx.get(f"{server.base_url}/readyz", timeout=2).status_code == 200:
                    return server
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        server.stop()
        last_error = stderr.read_text(encoding="utf-8", errors="replace")[-3000:]
    raise AssertionError(f"leadstate serve did not become ready:\n{last_error}")


def unique_phone() -> str:
    """A random 10-digit phone (no leading 0 or 1)."""
    return str(2 + secrets.randbelow(8)) + "".join(str(secrets.randbelow(10)) for _ in range(9))


def row(**fields: Any) -> dict[str, Any]:
    """One `uploadLeads` entry with a unique externId and phone unless given."""
    out: dict[str, Any] = {"externId": f"X-{secrets.token_hex(6)}", "leadPhone": unique_phone()}
    out.update(fields)
    return out


def new_account() -> int:
    """An account id no other test uses."""
    return 10_000 + secrets.randbelow(2_000_000_000)


class Api:
    """A client of one account of a running server."""

    def __init__(self, base_url: str, token: str, account: int) -> None:
        self.account = account
        self.http = httpx.Client(
            base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=120
        )

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def path(self, rest: str) -> str:
        """`rest` under this account's prefix."""
        return f"{PREFIX}/{self.account}{rest}"

    def load(self, campaign: int, leads: list[Any], **options: Any) -> dict[str, Any]:
        """Load leads; asserts 200."""
        response = self.http.post(
            self.path(f"/campaigns/{campaign}/leadLoader/direct"),
            json={"uploadLeads": leads, **options},
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def search_response(self, criteria: Any = None, **params: Any) -> httpx.Response:
        """`leadSearch` as sent."""
        return self.http.post(
            self.path("/campaignLeads/leadSearch"),
            json=criteria if criteria is not None else {},
            params=params,
        )

    def search(self, criteria: Any = None, **params: Any) -> list[dict[str, Any]]:
        """Matching leads; asserts 200."""
        response = self.search_response(criteria, **params)
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    def count(self, criteria: Any = None) -> int:
        """How many leads match."""
        response = self.search_response(criteria, count="true")
        assert response.status_code == 200, response.text
        return int(response.json()["count"])

    def action_response(
        self, action: str, criteria: Any = None, params: Any = None
    ) -> httpx.Response:
        """`PUT .../campaignLeads/actions` as sent."""
        body: dict[str, Any] = {}
        if criteria is not None:
            body["campaignLeadSearchCriteria"] = criteria
        if params is not None:
            body["leadActionParams"] = {"paramMap": params}
        return self.http.put(
            self.path("/campaignLeads/actions"), params={"leadAction": action}, json=body
        )

    def act(self, action: str, criteria: Any = None, params: Any = None) -> dict[str, Any]:
        """Apply an action; asserts 200 and success."""
        response = self.action_response(action, criteria, params)
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        assert result["success"] is True
        assert result["leadActionType"] == action
        return result

    def lead(self, lead_id: int) -> dict[str, Any]:
        """One lead; asserts 200."""
        response = self.http.get(self.path(f"/campaignLeads/{lead_id}"))
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body
