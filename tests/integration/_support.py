"""Helpers shared by the integration tests: requests as the API would send them."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from leadstate.application.bootstrap import Leadstate
from leadstate.application.views import ActionResult
from leadstate.domain import Meta, utcnow
from leadstate.domain.loading import LoadResult
from leadstate.requests.criteria import parse_criteria
from leadstate.requests.loads import parse_load_request
from tests.backends import wired

ACCOUNT = 1
OTHER_ACCOUNT = 2
CAMPAIGN = 10
OTHER_CAMPAIGN = 20


def at(text: str) -> datetime:
    """A fixed UTC time from ISO-8601 text."""
    return datetime.fromisoformat(text).astimezone(UTC)


def meta(when: datetime | None = None, actor: str = "test") -> Meta:
    """Who and when for one command (now unless `when`)."""
    return Meta(actor=actor, correlation_id=uuid.uuid4().hex, at=when or utcnow())


def unique(prefix: str) -> str:
    """A random string no other test or run will produce."""
    return f"{prefix}{secrets.token_hex(8)}"


def unique_phone() -> str:
    """A random 10-digit phone (no leading 0 or 1), digits only."""
    return str(2 + secrets.randbelow(8)) + "".join(str(secrets.randbelow(10)) for _ in range(9))


def row(extern_id: str | None = None, phone: str | None = None, **fields: Any) -> dict[str, Any]:
    """One `uploadLeads` entry."""
    out: dict[str, Any] = {
        "externId": extern_id if extern_id is not None else unique("X-"),
        "leadPhone": phone if phone is not None else unique_phone(),
    }
    out.update(fields)
    return out


def load(
    app: Leadstate,
    rows: list[Any],
    *,
    account: int = ACCOUNT,
    campaign: int = CAMPAIGN,
    when: datetime | None = None,
    **options: Any,
) -> LoadResult:
    """`POST .../campaigns/{campaign}/leadLoader/direct` with `options` as request fields."""
    request = parse_load_request(rows, **options)
    return app.loading.load_leads(account, campaign, request, meta(when))


def search(
    app: Leadstate, criteria: dict[str, Any], *, account: int = ACCOUNT, **kwargs: Any
) -> list[dict[str, Any]]:
    """`POST .../campaignLeads/leadSearch` (up to 10,000 rows by default)."""
    kwargs.setdefault("max_rows", 10_000)
    return app.leads.search(account, parse_criteria(criteria), **kwargs)


def ids(app: Leadstate, criteria: dict[str, Any], *, account: int = ACCOUNT) -> list[int]:
    """The leadIds a search returns, in its order."""
    return [view["leadId"] for view in search(app, criteria, account=account)]


def count(app: Leadstate, criteria: dict[str, Any], *, account: int = ACCOUNT) -> int:
    """`leadSearch?count=true`."""
    return app.leads.count(account, parse_criteria(criteria))


def lead(app: Leadstate, lead_id: int, *, account: int = ACCOUNT) -> dict[str, Any]:
    """`GET .../campaignLeads/{leadId}` (current state)."""
    return app.leads.get_lead(account, lead_id)


def act(
    app: Leadstate,
    action: str,
    criteria: dict[str, Any],
    params: dict[str, Any] | None = None,
    *,
    account: int = ACCOUNT,
    when: datetime | None = None,
) -> ActionResult:
    """`PUT .../campaignLeads/actions?leadAction=action`."""
    return app.actions.apply_action(account, *wired(action, params, criteria), meta(when))


def skipped(result: ActionResult) -> dict[int, str]:
    """leadId -> reason of every lead the action skipped."""
    return {error["leadId"]: error["reason"] for error in result.errors}


def raw_row(app: Leadstate, lead_id: int) -> dict[str, Any] | None:
    """The lead-search read model's row of `lead_id`, every column, or None."""
    table = app.store.qualify(app.tables["lead_search"])
    with app.store.read() as cur:
        cur.execute(f"SELECT * FROM {table} WHERE lead_id = {app.store.ph}", (lead_id,))
        found = cur.fetchone()
    if found is None:
        return None
    return dict(found)
