"""Every SELECT of the read side, and its one row format: a mapping by column name.

`Queries` reads the live table of each read model (`tables`, kept current by the table
routing). Methods that take a `cur` run with the cursor they are given — a read
transaction's, or the write transaction of a save whose guard re-checks shared state
under its locks — and open their own read transaction otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from leadstate.domain import DIALABLE_STATES, NotFound
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.dnc import dnc_key
from leadstate.domain.statuses import LeadStatus
from leadstate.persistence.base import Row, Store, micros
from leadstate.persistence.tables import EXPORT_LEADS
from leadstate.projections import lead_search
from leadstate.projections.catalog import campaign_key
from leadstate.projections.outreach import CALL_COLUMNS


class Queries:
    """Reads of the read models of one store."""

    def __init__(self, store: Store, tables: Mapping[str, str]) -> None:
        self.store = store
        self.tables = tables

    def table(self, model: str) -> str:
        """The live table of read model `model`, as SQL."""
        return self.store.qualify(self.tables[model])

    @contextmanager
    def _cursor(self, cur: Any | None, *, latest: bool = False) -> Iterator[Any]:
        if cur is not None:
            yield cur
            return
        with self.store.read_latest() if latest else self.store.read() as own:
            yield own

    def lead_rows(self, lead_ids: Iterable[int], cur: Any | None = None) -> dict[int, Row]:
        """The lead-search rows of these leads (live ones only), by leadId."""
        ids = list(lead_ids)
        sql = (
            f"SELECT {', '.join(lead_search.COLUMNS)} FROM {self.table('lead_search')} "
            "WHERE lead_id IN ({marks})"
        )
        # Each row is one lead's state at its version (saves check the version again).
        with self._cursor(cur, latest=True) as c:
            return {int(r["lead_id"]): r for r in self.store.select_in(c, sql, ids)}

    def statuses(self, lead_ids: Iterable[int]) -> dict[int, LeadStatus]:
        """The statuses of these leads (live ones only) by leadId: what a batch decides by."""
        sql = (
            f"SELECT {', '.join(lead_search.STATUS_SELECT)} FROM {self.table('lead_search')} "
            "WHERE lead_id IN ({marks})"
        )
        with self._cursor(None, latest=True) as c:
            rows = self.store.select_in(c, sql, list(lead_ids), tuples=True)
        return {row[0]: lead_search.status_from_values(row) for row in rows}

    def lead_row(self, account_id: int, lead_id: int) -> Row:
        """A live lead's row in this account (NotFound otherwise)."""
        return self._account_row("lead_search", "lead_id", lead_id, account_id)

    def _where(self, criteria: SearchCriteria, account_id: int) -> tuple[str, list[Any]]:
        return lead_search.where(criteria, account_id, self.store.ph, self.table("lead_lists"))

    def search(
        self, account_id: int, criteria: SearchCriteria, *, order: str, limit: int, offset: int
    ) -> list[Row]:
        """One page of the matching leads' rows."""
        clause, params = self._where(criteria, account_id)
        ph = self.store.ph
        with self.store.read_latest() as cur:  # one statement
            cur.execute(
                f"SELECT * FROM {self.table('lead_search')} WHERE {clause} ORDER BY {order} "
                f"LIMIT {ph} OFFSET {ph}",
                (*params, limit, offset),
            )
            return list(cur.fetchall())

    def count(self, account_id: int, criteria: SearchCriteria) -> int:
        """How many leads match."""
        clause, params = self._where(criteria, account_id)
        with self.store.read_latest() as cur:  # one statement
            cur.execute(
                f"SELECT COUNT(*) AS n FROM {self.table('lead_search')} WHERE {clause}", params
            )
            return int(cur.fetchone()["n"])

    def matching_ids(self, account_id: int, criteria: SearchCriteria, limit: int) -> list[int]:
        """Up to `limit` matching leadIds, in leadId order."""
        clause, params = self._where(criteria, account_id)
        with self.store.read() as cur:
            cur.execute(
                f"SELECT lead_id FROM {self.table('lead_search')} WHERE {clause} "
                f"ORDER BY lead_id LIMIT {int(limit)}",
                params,
            )
            return [int(r["lead_id"]) for r in cur.fetchall()]

    def hold_matching(self, export_id: str, account_id: int, criteria: SearchCriteria) -> None:
        """Record every lead the criteria match now as held by the export, in one
        statement (its file is written from exactly these; SPEC §5)."""
        clause, params = self._where(criteria, account_id)
        ph = self.store.ph
        with self.store.write() as cur:
            cur.execute(
                f"INSERT INTO {self.store.qualify(EXPORT_LEADS)} (export_id, lead_id) "
                f"SELECT CAST({ph} AS TEXT), lead_id FROM {self.table('lead_search')} "
                f"WHERE {clause}",
                (export_id, *params),
            )

    def list_names(self, list_ids: Iterable[int], cur: Any | None = None) -> dict[int, str]:
        """The names of these lists."""
        ids = sorted(set(list_ids))
        if not ids:
            return {}
        sql = f"SELECT list_id, name FROM {self.table('lead_lists')} WHERE list_id IN ({{marks}})"
        with self._cursor(cur) as c:
            return {int(r["list_id"]): str(r["name"]) for r in self.store.select_in(c, sql, ids)}

    def list_row(self, list_id: int) -> Row | None:
        """A list's row (account, campaign, name), or None."""
        with self.store.read() as cur:
            cur.execute(
                "SELECT list_id, account_id, campaign_id, name FROM "
                f"{self.table('lead_lists')} WHERE list_id = {self.store.ph}",
                (list_id,),
            )
            row: Row | None = cur.fetchone()
            return row

    def accounts(self) -> set[int]:
        """Every account with lists (hence leads) or campaign settings."""
        found: set[int] = set()
        with self.store.read() as cur:
            for model in ("lead_lists", "campaigns"):
                cur.execute(f"SELECT DISTINCT account_id FROM {self.table(model)}")
                found.update(int(r["account_id"]) for r in cur.fetchall())
        return found

    def phones_in_campaign(
        self,
        account_id: int,
        campaign_id: int,
        phones: Sequence[str],
        exclude: Iterable[int] = (),
        *,
        list_id: int | None = None,
        cur: Any | None = None,
    ) -> set[str]:
        """Which of these phones (digits) live leads of the campaign (of its list `list_id`,
        when given) have, leaving out the leads `exclude` names (the ones being saved)."""
        excluded = set(exclude)
        in_list = f" AND list_id = {self.store.ph}" if list_id is not None else ""
        sql = (
            f"SELECT lead_id, phone_norm FROM {self.table('lead_search')} WHERE account_id = "
            f"{self.store.ph} AND campaign_id = {self.store.ph}{in_list} "
            "AND phone_norm IN ({marks})"
        )
        before = (account_id, campaign_id, *(() if list_id is None else (list_id,)))
        with self._cursor(cur) as c:
            rows = self.store.select_in(c, sql, sorted(set(phones)), before=before)
        return {str(r["phone_norm"]) for r in rows if int(r["lead_id"]) not in excluded}

    # -- campaigns and jobs -------------------------------------------------------------

    def campaign_row(self, account_id: int, campaign_id: int) -> Row | None:
        """A campaign's settings row, or None (defaults)."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT * FROM {self.table('campaigns')} WHERE campaign_key = {self.store.ph}",
                (campaign_key(account_id, campaign_id),),
            )
            row: Row | None = cur.fetchone()
            return row

    def job_row(self, account_id: int, job_id: str) -> Row:
        """A job's row in this account (NotFound otherwise)."""
        return self._account_row("jobs", "job_id", job_id, account_id)

    def unfinished_jobs(self) -> list[str]:
        """Jobs still queued or running, oldest first."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT job_id FROM {self.table('jobs')} "
                "WHERE status IN ('queued', 'running') ORDER BY submitted_at"
            )
            return [str(r["job_id"]) for r in cur.fetchall()]

    def job_figures(self) -> list[Row]:
        """Per job status: how many jobs, leads processed and leads targeted."""
        with self.store.read() as cur:
            cur.execute(
                "SELECT status, COUNT(*) AS n, COALESCE(SUM(processed), 0) AS p, "
                f"COALESCE(SUM(total), 0) AS t FROM {self.table('jobs')} GROUP BY status"
            )
            return list(cur.fetchall())

    def _account_row(self, model: str, key_column: str, key: Any, account_id: int) -> Row:
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT * FROM {self.table(model)} WHERE {key_column} = {ph} "
                f"AND account_id = {ph}",
                (key, account_id),
            )
            row: Row | None = cur.fetchone()
        if row is None:
            what = key_column.removesuffix("_id")
            raise NotFound(f"{what} {key} not found in account {account_id}")
        return row

    # -- calls, do-not-call, the dialable queue ----------------------------------------

    def dnc_listed(
        self, account_id: int, phones: Iterable[str], cur: Any | None = None
    ) -> set[str]:
        """Which of these phones (digits) are on the account's do-not-call list."""
        keys = [dnc_key(account_id, p) for p in sorted({p for p in phones if p})]
        sql = f"SELECT phone FROM {self.table('dnc')} WHERE dnc_key IN ({{marks}})"
        with self._cursor(cur) as c:
            return {str(r["phone"]) for r in self.store.select_in(c, sql, keys)}

    def dnc_rows(self, account_id: int) -> list[Row]:
        """The account's do-not-call list, by phone."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT phone, source, added_at FROM {self.table('dnc')} "
                f"WHERE account_id = {self.store.ph} ORDER BY phone",
                (account_id,),
            )
            return list(cur.fetchall())

    def uii_recorded_elsewhere(
        self, account_id: int, uii: str, lead_id: int, cur: Any | None = None
    ) -> int | None:
        """The lead of another dial attempt with this UII in the account, if any."""
        ph = self.store.ph
        with self._cursor(cur) as c:
            c.execute(
                f"SELECT lead_id FROM {self.table('calls')} "
                f"WHERE account_id = {ph} AND uii = {ph} AND lead_id <> {ph}",
                (account_id, uii, lead_id),
            )
            row = c.fetchone()
        return None if row is None else int(row["lead_id"])

    def calls(
        self,
        account_id: int,
        filters: Mapping[str, int | None],
        start: int | None,
        end: int | None,
        limit: int,
        offset: int,
    ) -> list[Row]:
        """Call records by column filters and start time (UTC micros), oldest first."""
        ph = self.store.ph
        clauses = [f"account_id = {ph}"]
        params: list[Any] = [account_id]
        for column, value in filters.items():
            if value is not None:
                clauses.append(f"{column} = {ph}")
                params.append(value)
        if start is not None:
            clauses.append(f"start_time >= {ph}")
            params.append(start)
        if end is not None:
            clauses.append(f"start_time < {ph}")
            params.append(end)
        with self.store.read() as cur:
            cur.execute(
                f"SELECT {', '.join(CALL_COLUMNS)} FROM {self.table('calls')} "
                f"WHERE {' AND '.join(clauses)} ORDER BY start_time, lead_id, call_key "
                f"LIMIT {ph} OFFSET {ph}",
                (*params, limit, offset),
            )
            return list(cur.fetchall())

    def dialable(
        self, account_id: int, campaign_id: int, limit: int, agent_id: int | None, now: datetime
    ) -> list[Row]:
        """The campaign's leads dialable now (SPEC §1), in dialing order."""
        ph = self.store.ph
        states = sorted(s.value for s in DIALABLE_STATES)
        params: list[Any] = [account_id, campaign_id, *states, False, micros(now)]
        params.append(agent_id if agent_id is not None else -1)
        with self.store.read() as cur:
            cur.execute(
                f"SELECT l.* FROM {self.table('lead_search')} l WHERE l.account_id = {ph} "
                f"AND l.campaign_id = {ph} AND l.lead_state IN ({self.store.marks(len(states))}) "
                f"AND l.suppressed = {ph} AND l.next_dial_time <= {ph} "
                f"AND (l.pending_agent_id IS NULL OR l.pending_agent_id = {ph}) "
                f"AND NOT EXISTS (SELECT 1 FROM {self.table('dnc')} d "
                "WHERE d.account_id = l.account_id AND d.phone = l.phone_norm) "
                f"ORDER BY l.lead_priority DESC, l.next_dial_time, l.lead_id LIMIT {ph}",
                (*params, limit),
            )
            return list(cur.fetchall())

    # -- exports ------------------------------------------------------------------------

    def export_row(self, account_id: int, export_id: str) -> Row:
        """An export's status row in this account (NotFound otherwise)."""
        return self._account_row("exports", "export_id", export_id, account_id)

    def exports_with_status(self, statuses: Sequence[str]) -> list[Row]:
        """Exports in these statuses, oldest first."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT * FROM {self.table('exports')} "
                f"WHERE status IN ({self.store.marks(len(statuses))}) ORDER BY requested_at",
                tuple(statuses),
            )
            return list(cur.fetchall())

    def export_page(self, export_id: str, account_id: int, after: int, limit: int) -> list[Row]:
        """The next page of an export's live leads' rows, by leadId after `after`."""
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT l.* FROM {self.store.qualify(EXPORT_LEADS)} e "
                f"JOIN {self.table('lead_search')} l ON l.lead_id = e.lead_id "
                f"WHERE e.export_id = {ph} AND l.account_id = {ph} AND e.lead_id > {ph} "
                f"ORDER BY e.lead_id LIMIT {ph}",
                (export_id, account_id, after, limit),
            )
            return list(cur.fetchall())

    def export_leads_gone(self, export_id: str, account_id: int) -> list[int]:
        """Leads an export holds that are no longer live."""
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT e.lead_id FROM {self.store.qualify(EXPORT_LEADS)} e "
                f"WHERE e.export_id = {ph} AND NOT EXISTS (SELECT 1 FROM "
                f"{self.table('lead_search')} l WHERE l.lead_id = e.lead_id "
                f"AND l.account_id = {ph})",
                (export_id, account_id),
            )
            return [int(r["lead_id"]) for r in cur.fetchall()]

    # -- the asynchronous read models ---------------------------------------------------

    def lead_counts(self, account_id: int, campaign_id: int | None) -> list[Row]:
        """Live leads per campaign, list, state and suppression."""
        ph = self.store.ph
        sql = (
            "SELECT campaign_id, list_id, lead_state, suppressed, lead_count FROM "
            f"{self.table('lead_counts')} WHERE account_id = {ph}"
        )
        params: list[Any] = [account_id]
        if campaign_id is not None:
            sql += f" AND campaign_id = {ph}"
            params.append(campaign_id)
        with self.store.read() as cur:
            cur.execute(sql + " ORDER BY campaign_id, list_id, lead_state, suppressed", params)
            return list(cur.fetchall())
