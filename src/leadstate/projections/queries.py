"""Lookups on the read models that decisions depend on, with a given cursor.

Each runs with the cursor it is given: a read transaction's, or the write transaction's
of a save whose guard re-checks shared state under its locks (`persistence.Guard`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from leadstate.domain.dnc import dnc_key
from leadstate.persistence.base import Store, row_value

CHUNK = 500


def phones_in_campaign(
    store: Store,
    cur: Any,
    tables: Mapping[str, str],
    account_id: int,
    campaign_id: int,
    phones: Sequence[str],
    exclude: Iterable[int] = (),
    *,
    list_id: int | None = None,
) -> set[str]:
    """Which of these phones (digits) live leads of the campaign (of its list `list_id`,
    when given) have, leaving out the leads `exclude` names (the ones being saved)."""
    found: set[str] = set()
    excluded = set(exclude)
    table = store.qualify(tables["lead_search"])
    ph = store.ph
    wanted = sorted(set(phones))
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ", ".join([ph] * len(chunk))
        in_list = f" AND list_id = {ph}" if list_id is not None else ""
        cur.execute(
            f"SELECT lead_id, phone_norm FROM {table} WHERE account_id = {ph} "
            f"AND campaign_id = {ph} AND phone_norm IN ({marks}){in_list}",
            (account_id, campaign_id, *chunk, *(() if list_id is None else (list_id,))),
        )
        for row in cur.fetchall():
            if int(row_value(row, 0, "lead_id")) not in excluded:
                found.add(str(row_value(row, 1, "phone_norm")))
    return found


def dnc_listed(
    store: Store, cur: Any, tables: Mapping[str, str], account_id: int, phones: Iterable[str]
) -> set[str]:
    """Which of these phones (digits) are on the account's do-not-call list."""
    wanted = sorted({p for p in phones if p})
    found: set[str] = set()
    table = store.qualify(tables["dnc"])
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        marks = ", ".join([store.ph] * len(chunk))
        cur.execute(
            f"SELECT phone FROM {table} WHERE dnc_key IN ({marks})",
            [dnc_key(account_id, p) for p in chunk],
        )
        found.update(str(row_value(r, 0, "phone")) for r in cur.fetchall())
    return found


def uii_recorded_elsewhere(
    store: Store, cur: Any, tables: Mapping[str, str], account_id: int, uii: str, lead_id: int
) -> int | None:
    """The lead of another dial attempt with this UII in the account, if any."""
    ph = store.ph
    cur.execute(
        f"SELECT lead_id FROM {store.qualify(tables['calls'])} "
        f"WHERE account_id = {ph} AND uii = {ph} AND lead_id <> {ph}",
        (account_id, uii, lead_id),
    )
    row = cur.fetchone()
    return None if row is None else int(row_value(row, 0, "lead_id"))
