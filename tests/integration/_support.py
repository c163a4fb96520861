"""Helpers shared by the integration tests: requests as the API would send them."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime
from typing import Any

from leadstate.application import ActionResult, LeadstateApp
from leadstate.domain import Meta, utcnow
from leadstate.domain.criteria import parse_criteria
from leadstate.loader import LoadRequest, LoadResult

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
    app: LeadstateApp,
    rows: list[Any],
    *,
    account: int = ACCOUNT,
    campaign: int = CAMPAIGN,
    when: datetime | None = None,
    **options: Any,
) -> LoadResult:
    """`POST .../campaigns/{campaign}/leadLoader/direct` with `options` as request fields."""
    request = LoadRequest.from_options(rows, **options)
    return app.load_leads(account, campaign, request, meta(when))


def search(
    app: LeadstateApp, criteria: dict[str, Any], *, account: int = ACCOUNT, **kwargs: Any
) -> list[dict[str, Any]]:
    """`POST .../campaignLeads/leadSearch` (up to 10,000 rows by default)."""
    kwargs.setdefault("max_rows", 10_000)
    return app.search(account, parse_criteria(criteria), **kwargs)


def ids(app: LeadstateApp, criteria: dict[str, Any], *, account: int = ACCOUNT) -> list[int]:
    """The leadIds a search returns, in its order."""
    return [view["leadId"] for view in search(app, criteria, account=account)]


def count(app: LeadstateApp, criteria: dict[str, Any], *, account: int = ACCOUNT) -> int:
    """`leadSearch?count=true`."""
    return app.count(account, parse_criteria(criteria))


def lead(app: LeadstateApp, lead_id: int, *, account: int = ACCOUNT) -> dict[str, Any]:
    """`GET .../campaignLeads/{leadId}` (current state)."""
    return app.get_lead(account, lead_id)


def act(
    app: LeadstateApp,
    action: str,
    criteria: dict[str, Any],
    params: dict[str, Any] | None = None,
    *,
    account: int = ACCOUNT,
    when: datetime | None = None,
) -> ActionResult:
    """`PUT .../campaignLeads/actions?leadAction=action`."""
    return app.apply_action(account, action, params, criteria, meta(when))


def skipped(result: ActionResult) -> dict[int, str]:
    """leadId -> reason of every lead the action skipped."""
    return {error["leadId"]: error["reason"] for error in result.errors}


def raw_row(app: LeadstateApp, lead_id: int) -> dict[str, Any] | None:
    """The lead-search read model's row of `lead_id`, every column, or None."""
    table = app.store.qualify(app.tables["lead_search"])
    with app.store.read() as cur:
        cur.execute(f"SELECT * FROM {table} WHERE lead_id = {app.store.ph}", (lead_id,))
        found = cur.fetchone()
    if found is None:
        return None
    return dict(found) if isinstance(found, dict) else dict(zip(found.keys(), found, strict=True))
