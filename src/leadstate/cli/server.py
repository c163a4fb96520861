"""Server commands: `serve` (the HTTP API under uvicorn) and `keys` (API key management)."""

from __future__ import annotations

import ctypes
import shlex
import signal
import sys
from typing import Annotated, Any

import typer
import uvicorn
from fastapi import FastAPI
from rich.console import Console
from rich.table import Column, Table

from leadstate.application.bootstrap import Leadstate, migrate, open_leadstate
from leadstate.cli.base import api_keys, cli, fail
from leadstate.domain import DomainError
from leadstate.logs import logging_config
from leadstate.persistence.apikeys import DEFAULT_SCOPES, SCOPES, ApiKey
from leadstate.runtime import tune_collector
from leadstate.settings import Settings

keys = typer.Typer(no_args_is_help=True, help="Create, list and revoke API keys.")
cli.add_typer(keys, name="keys")


def _shown_host(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def _first_start_banner(base_url: str, token: str) -> str:
    search = f"{base_url}/voice/api/v1/admin/accounts/1/campaignLeads/leadSearch?maxRows=10"
    return "\n".join(
        [
            "",
            "First start: an admin API key for all accounts and scopes was created.",
            "It is shown this once; keep it safe (`leadstate keys create` makes narrower ones):",
            "",
            f"    {token}",
            "",
            "Try it:",
            "",
            f"    curl -s -H {shlex.quote('Authorization: Bearer ' + token)} {base_url}/me",
            "",
            f"    curl -s -X POST -H {shlex.quote('Authorization: Bearer ' + token)} \\",
            "         -H 'Content-Type: application/json' -d '{\"campaignIds\": [1]}' \\",
            f"         {shlex.quote(search)}",
            "",
        ]
    )


@cli.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.", min=1, max=65535)] = 8000,
) -> None:
    """Serve the HTTP API; prints its URL (and, on first start, an admin API key)."""
    from leadstate.api import create_app

    base_url = f"http://{_shown_host(host)}:{port}"

    def announce(application: Leadstate) -> None:
        created = application.api_keys.bootstrap_admin()
        typer.echo(f"leadstate API on {base_url}  (docs: {base_url}/docs)")
        if created is not None:
            typer.echo(_first_start_banner(base_url, created[1]))

    settings = Settings()
    # JSON logs on stderr; uvicorn's access log is replaced by ours (no raw paths).
    options: dict[str, Any] = {
        "host": host,
        "port": port,
        "log_config": logging_config(settings.log_level),
        "access_log": False,
    }
    if settings.workers == 1:
        uvicorn.run(create_app(settings, announce), **options)
        return
    # Several processes: this one migrates and greets once, then supervises; each
    # worker is a whole service process (SPEC §8) built by `worker_app`.
    migrate(settings)
    application = open_leadstate(settings)
    try:
        announce(application)
    finally:
        application.close()
    uvicorn.run(
        "leadstate.cli.server:worker_app", factory=True, workers=settings.workers, **options
    )


def worker_app() -> FastAPI:
    """The API of one `serve` worker process: the database is already migrated, and
    the worker ends with its supervisor (were that one killed, no worker lingers)."""
    from leadstate.api import create_app

    _end_with_parent()
    tune_collector()
    return create_app(Settings(), migrate_first=False)


def _end_with_parent() -> None:
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


@keys.command("create")
def keys_create(
    account: Annotated[
        str, typer.Option("--account", "-a", help="An account id, or '*' for every account.")
    ],
    scope: Annotated[
        list[str] | None,
        typer.Option(
            "--scope",
            "-s",
            help=f"A scope (repeatable, or comma-separated): {', '.join(SCOPES)}. "
            f"Default: {' '.join(DEFAULT_SCOPES)}.",
        ),
    ] = None,
    name: Annotated[str, typer.Option(help="A note to recognise the key by.")] = "",
) -> None:
    """Create an API key and print its token alone on stdout (it is shown only once)."""
    with api_keys() as keys:
        try:
            _, token = keys.create(account, scope or list(DEFAULT_SCOPES), name)
        except DomainError as error:
            fail(error.message)
    typer.echo(token)


def _status(key: ApiKey) -> str:
    return f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"


@keys.command("list")
def keys_list() -> None:
    """List every API key (ids, accounts, scopes; never tokens)."""
    with api_keys() as keys_store:
        found = keys_store.list_keys()
    table = Table("account", "scopes", "name", "created (UTC)", "status")
    table.columns.insert(0, Column("key id", no_wrap=True))
    for key in found:
        table.add_row(
            key.key_id,
            key.account,
            " ".join(key.scopes),
            key.name,
            f"{key.created_at:%Y-%m-%d %H:%M}",
            _status(key),
        )
    Console().print(table)


@keys.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="The key's id (key_...).")]) -> None:
    """Revoke an API key: its token stops working at once."""
    with api_keys() as keys_store:
        try:
            key = keys_store.revoke(key_id)
        except DomainError as error:
            fail(error.message, 1)
    typer.echo(f"revoked {key.key_id}")
