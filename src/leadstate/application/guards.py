"""The check-then-act rules on shared state, as guards that run where they are atomic.

A decision that depends on other aggregates (a phone already in the campaign, a phone on
the do-not-call list, a UII already recorded) is first made from the read models, then
re-checked by its guard inside the transaction that saves it, under a lock of the scope
it depends on (`Store.lock_scopes`: an advisory lock on PostgreSQL; SQLite's single
writer already excludes every other). A guard that finds the state changed aborts the
save with `GuardFailed`; the caller decides again knowing what it found.

Two guarded savers of one scope are serialised by its lock. An unguarded write in the
scope (a RETAIN_ALL load of the same phone) needs none: it checks nothing, so any order
of the two is a valid one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from leadstate.persistence.base import Guard, GuardFailed
from leadstate.projections.queries import Queries

DUPLICATE_PHONE = "duplicate-phone"
DO_NOT_CALL = "do-not-call"
UII_TAKEN = "uii-taken"


def phones_scope(account_id: int, campaign_id: int) -> str:
    """The scope of the set of phones of one campaign."""
    return f"phones:{account_id}:{campaign_id}"


def dnc_scope(account_id: int) -> str:
    """The scope of an account's do-not-call list."""
    return f"dnc:{account_id}"


def uii_scope(account_id: int, uii: str) -> str:
    """The scope of one UII of an account."""
    return f"uii:{account_id}:{uii}"


def phones_not_in_campaign(
    queries: Queries,
    account_id: int,
    campaign_id: int,
    phones: Iterable[str],
    saving: Iterable[int],
    *,
    list_id: int | None = None,
) -> Guard:
    """None of `phones` may belong to a live lead of the campaign (of its list `list_id`,
    when given) other than the leads being saved (`saving`): the duplicate rules
    REMOVE_ALL_EXISTING, REMOVE_FROM_LIST and IGNORE."""
    wanted = sorted({p for p in phones if p})
    own = frozenset(saving)

    def check(cur: Any) -> None:
        found = queries.phones_in_campaign(
            account_id, campaign_id, wanted, own, list_id=list_id, cur=cur
        )
        if found:
            raise GuardFailed(DUPLICATE_PHONE, found)

    return Guard((phones_scope(account_id, campaign_id),), check)


def phones_not_on_dnc(queries: Queries, account_id: int, phones: Iterable[str]) -> Guard:
    """None of `phones` may be on the account's do-not-call list (a lead loaded while a
    pass puts its phone on the list is refused, not loaded dialable)."""
    wanted = sorted({p for p in phones if p})

    def check(cur: Any) -> None:
        found = queries.dnc_listed(account_id, wanted, cur=cur)
        if found:
            raise GuardFailed(DO_NOT_CALL, found)

    return Guard((dnc_scope(account_id),), check)


def lists_on_dnc(account_id: int) -> Guard:
    """A save that adds to the account's do-not-call list takes its lock, so a load's
    check of the list is never overtaken by a listing committed after it."""

    def check(cur: Any) -> None:
        return None

    return Guard((dnc_scope(account_id),), check)


def uii_not_elsewhere(queries: Queries, account_id: int, uii: str, lead_id: int) -> Guard:
    """A UII names one dial attempt: it may not be recorded on another lead."""

    def check(cur: Any) -> None:
        other = queries.uii_recorded_elsewhere(account_id, uii, lead_id, cur=cur)
        if other is not None:
            raise GuardFailed(UII_TAKEN, {other})

    return Guard((uii_scope(account_id, uii),), check)
