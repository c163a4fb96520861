"""Lead commands: load a CSV, search, apply an action over criteria."""

from __future__ import annotations

import csv
import getpass
import json
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from leadstate.application.bootstrap import Leadstate
from leadstate.application.views import action_result, job_accepted, load_result, wire
from leadstate.cli.base import AccountOpt, cli, err, fail, open_service, progress_bar
from leadstate.domain import DomainError, LeadAction, Meta
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.loads import parse_load_request
from leadstate.requests.params import parse_params
from leadstate.workers.start import job_runner

CampaignsOpt = Annotated[
    list[int] | None, typer.Option("--campaign", "-c", help="Campaign id (repeatable).")
]
ListsOpt = Annotated[list[int] | None, typer.Option("--list", help="List id (repeatable).")]
StatesOpt = Annotated[
    list[str] | None, typer.Option("--state", "-s", help="Lead state (repeatable).")
]
LeadIdsOpt = Annotated[list[int] | None, typer.Option("--lead-id", help="Lead id (repeatable).")]
ExternOpt = Annotated[
    list[str] | None, typer.Option("--extern-id", help="External id (repeatable).")
]
PhoneOpt = Annotated[str | None, typer.Option("--phone", help="Lead phone (digits compared).")]
CriteriaFileOpt = Annotated[
    Path | None,
    typer.Option("--criteria", help="A JSON file of CampaignLeadSearchCriteria (merged)."),
]


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _criteria(
    campaigns: list[int] | None,
    lists: list[int] | None,
    states: list[str] | None,
    lead_ids: list[int] | None,
    extern_ids: list[str] | None,
    phone: str | None,
    criteria_file: Path | None,
) -> dict[str, Any]:
    body: dict[str, Any] = {}
    if criteria_file is not None:
        try:
            loaded = json.loads(criteria_file.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as error:
            raise typer.BadParameter(f"cannot read {criteria_file}: {error}") from None
        if not isinstance(loaded, dict):
            raise typer.BadParameter(f"{criteria_file} must hold a JSON object")
        body.update(loaded)
    for key, value in (
        ("campaignIds", campaigns),
        ("listIds", lists),
        ("leadStates", states),
        ("leadIds", lead_ids),
        ("externIds", extern_ids),
    ):
        if value:
            body[key] = list(value)
    if phone:
        body["leadPhoneNum"] = phone
    return body


@cli.command()
def load(
    file: Annotated[Path, typer.Argument(help="CSV with a header row of vendor field names.")],
    account: AccountOpt,
    campaign: Annotated[int, typer.Option("--campaign", "-c", help="Campaign id.")],
    list_id: Annotated[int | None, typer.Option("--list", help="Add to this list.")] = None,
    description: Annotated[str | None, typer.Option(help="Name of the new list.")] = None,
    duplicate_handling: Annotated[
        str, typer.Option(help="RETAIN_ALL, REMOVE_FROM_LIST or REMOVE_ALL_EXISTING.")
    ] = "RETAIN_ALL",
    dial_priority: Annotated[str, typer.Option(help="NORMAL or IMMEDIATE.")] = "NORMAL",
    paused: Annotated[bool, typer.Option(help="Load the leads PAUSED.")] = False,
) -> None:
    """Load leads from a CSV file into a campaign."""
    try:
        with file.open(newline="", encoding="utf-8-sig") as handle:
            rows: list[Any] = [
                {k: v for k, v in row.items() if k and v not in (None, "")}
                for row in csv.DictReader(handle)
            ]
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        err.print(f"[red]error:[/red] cannot read {file}: {error}")
        raise typer.Exit(2) from None
    app = open_service()
    try:
        request = parse_load_request(
            rows,
            description=description or file.stem,
            duplicate_handling=duplicate_handling,
            dial_priority=dial_priority,
            list_state="PAUSED" if paused else None,
            list_id=list_id,
        )
        with progress_bar() as bar:
            task = bar.add_task("loading", total=len(rows), rate="")
            result = app.loading.load_leads(
                account,
                campaign,
                request,
                Meta.now(_actor()),
                progress=lambda done: bar.update(task, completed=done),
            )
    except DomainError as error:
        fail(error.message)
        return
    finally:
        app.close()
    for rejected in result.rejected:
        err.print(f"[yellow]rejected:[/yellow] {rejected.message}: {list(rejected.row_data)}")
    typer.echo(json.dumps(wire(load_result(result))))


SHOWN = (
    "leadId",
    "campaignId",
    "listId",
    "externId",
    "leadPhone",
    "firstName",
    "lastName",
    "leadState",
    "leadPasses",
    "suppressed",
    "nextDialTime",
)


@cli.command()
def search(
    account: AccountOpt,
    campaign: CampaignsOpt = None,
    list_id: ListsOpt = None,
    state: StatesOpt = None,
    lead_id: LeadIdsOpt = None,
    extern_id: ExternOpt = None,
    phone: PhoneOpt = None,
    criteria: CriteriaFileOpt = None,
    page: Annotated[int, typer.Option(help="Page, from 0.")] = 0,
    max_rows: Annotated[int, typer.Option(help="Rows per page.")] = 100,
    sort: Annotated[str | None, typer.Option(help="e.g. -leadPriority,leadId")] = None,
    count: Annotated[bool, typer.Option("--count", help="Print only the count.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Search leads of an account."""
    body = _criteria(campaign, list_id, state, lead_id, extern_id, phone, criteria)
    app = open_service()
    try:
        parsed = parse_criteria(body)
        if count:
            typer.echo(json.dumps({"count": app.leads.count(account, parsed)}))
            return
        rows = app.leads.search(account, parsed, page=page, max_rows=max_rows, sort=sort)
    except DomainError as error:
        fail(error.message)
        return
    finally:
        app.close()
    if as_json:
        json.dump(wire(rows), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return
    table = Table(*SHOWN)
    for row in rows:
        table.add_row(*("" if row.get(c) is None else str(row.get(c)) for c in SHOWN))
    Console().print(table)


def _params(pairs: list[str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"--param takes KEY=VALUE, got {pair!r}")
        out[key] = value
    return out


@cli.command()
def action(
    lead_action: Annotated[str, typer.Argument(metavar="ACTION", help="e.g. CANCEL_LEADS")],
    account: AccountOpt,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="KEY=VALUE (repeatable).")
    ] = None,
    campaign: CampaignsOpt = None,
    list_id: ListsOpt = None,
    state: StatesOpt = None,
    lead_id: LeadIdsOpt = None,
    extern_id: ExternOpt = None,
    phone: PhoneOpt = None,
    criteria: CriteriaFileOpt = None,
) -> None:
    """Apply a lead action to every lead the criteria select."""
    body = _criteria(campaign, list_id, state, lead_id, extern_id, phone, criteria)
    app = open_service().start()
    try:
        action = LeadAction.parse(lead_action)
        params = parse_params(action, _params(param))
        with progress_bar() as bar:
            task = bar.add_task(lead_action, total=None, rate="")
            outcome = app.actions.perform_action(
                account, action, params, parse_criteria(body), Meta.now(_actor())
            )
            if isinstance(outcome, dict):
                summary = _follow_job(
                    app, account, outcome, lambda d, t: bar.update(task, completed=d, total=t)
                )
            else:
                bar.update(task, completed=outcome.processed, total=outcome.total)
                summary = wire(action_result(outcome))
    except DomainError as error:
        fail(error.message)
        return
    finally:
        app.close()
    typer.echo(json.dumps(summary))


def _follow_job(
    app: Leadstate,
    account: int,
    job: dict[str, Any],
    progress: Callable[[int, int], None],
) -> dict[str, Any]:
    """Run a bulk job here (resumable by any runner if this process dies), showing
    its progress; returns its result."""
    runner = job_runner(app)
    worker = threading.Thread(target=runner.run_job, args=(job["jobId"],), daemon=True)
    worker.start()
    while True:
        state = app.actions.get_job(account, job["jobId"])
        progress(int(state["processed"]), int(state["total"]))
        if state["status"] in ("done", "failed") or not worker.is_alive():
            break
        time.sleep(0.2)
    worker.join()
    state = app.actions.get_job(account, job["jobId"])
    progress(int(state["processed"]), int(state["total"]))
    answer: dict[str, Any] = wire(job_accepted(state))
    return answer
