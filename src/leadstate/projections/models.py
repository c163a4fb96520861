"""What each read model is made of, for rebuilds, the asynchronous follower and verify.

Every read model is a function of one aggregate type's folded state: a rebuild folds
each aggregate from its events and writes what `rows` says; verify folds the same way
and compares. The synchronous write path (`SyncProjection`) uses the very same row
functions (`lead_search.row_for`, `catalog.*_row`), so a rebuilt table equals the live
one by construction and verify checks that it does.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.domain import Aggregate
from eventsourcing.utils import get_topic

from leadstate.domain import Campaign, Lead, LeadList
from leadstate.domain.dnc import DncEntry
from leadstate.domain.export import Export
from leadstate.domain.job import BulkJob
from leadstate.persistence.base import Store, split_sql
from leadstate.projections import catalog, lead_search, outreach
from leadstate.projections.definitions import ReadModelDef

Row = tuple[Any, ...]

# Placeholders for a read model's auxiliary tables: `{table_members}` (qualified) and
# `{name_members}` (bare, for index names) become `<table>_members`.
_AUX = re.compile(r"\{(table|name)_([a-z0-9]+)\}")


class ProjectionError(RuntimeError):
    """A read model cannot apply an event; it stops and says why."""


def aux_tables(definition: ReadModelDef, table: str) -> list[str]:
    """The bare names of `table`'s auxiliary tables (dropped along with it)."""
    return sorted({f"{table}_{m.group(2)}" for m in _AUX.finditer(definition.ddl)})


def render(definition: ReadModelDef, store: Store, table: str) -> tuple[list[str], list[str]]:
    """The DDL of `definition` for table `table`: (table statements, index statements).

    Index statements are returned apart so that a rebuild can create them after its
    bulk insert (one sorted build instead of a b-tree insert per row).
    """

    def aux(match: re.Match[str]) -> str:
        bare = f"{table}_{match.group(2)}"
        return store.qualify(bare) if match.group(1) == "table" else bare

    sql = definition.render(store.qualify(table), table)
    sql = _AUX.sub(aux, sql)
    tables: list[str] = []
    indexes: list[str] = []
    for statement in split_sql(sql):
        head = " ".join(statement.split()[:3]).upper()
        (indexes if head.startswith(("CREATE INDEX", "CREATE UNIQUE INDEX")) else tables).append(
            statement
        )
    return tables, indexes


class ReadModelSpec(ABC):
    """One read model: the aggregates it is made from and how it writes them."""

    name: str
    aggregate: type[Aggregate]
    # Verify compares this model's rows, keyed by `key`, with `expected` (lead_counts,
    # which has no row per aggregate, is compared by its own totals instead).
    verified_by_rows: bool = True
    key: str
    columns: tuple[str, ...]

    def expected(self, aggregate: Any) -> dict[Any, Row | None]:
        """The rows this aggregate makes, by key (a None row: it must have none)."""
        raise NotImplementedError(f"{self.name} is not verified row by row")

    def stream_for(self, key: Any) -> UUID:
        """The stream whose aggregate makes the row with this key."""
        raise NotImplementedError(f"{self.name} is not verified row by row")

    def upsert_sql(self, store: Store, table: str) -> str:
        """The upsert (by `key`) of this model's rows into `table`."""
        return store.upsert_sql(store.qualify(table), self.columns, self.key)

    @property
    def topic_prefix(self) -> str:
        """Every event topic of the model's aggregate starts with this."""
        return get_topic(self.aggregate) + "."

    @abstractmethod
    def write_scan(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Insert the rows of aggregates folded in full (a rebuild's bulk phase)."""

    def finish_scan(self, store: Store, cur: Any, table: str) -> None:
        """After the bulk phase: derive whatever is derived from the inserted rows."""
        return None

    @abstractmethod
    def write_tail(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Bring the rows of these aggregates (folded up to a position) up to date."""


@dataclass(frozen=True)
class TableSpec(ReadModelSpec):
    """A read model with one row per live aggregate (the synchronous ones)."""

    name: str
    aggregate: type[Aggregate]
    key: str
    columns: tuple[str, ...]
    row: Callable[[Any], Row | None]
    key_of: Callable[[Any], Any]
    stream_of: Callable[[Any], UUID]

    def write_scan(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Plain inserts: the new table holds no row of these aggregates yet."""
        rows = [r for r in map(self.row, aggregates) if r is not None]
        if rows:
            at = self.columns.index(self.key)
            rows.sort(key=lambda r: r[at])  # appends to the key's b-tree, mostly
            store.insert_rows(cur, store.qualify(table), self.columns, rows)

    def expected(self, aggregate: Any) -> dict[Any, Row | None]:
        """One row (or none) per aggregate."""
        return {self.key_of(aggregate): self.row(aggregate)}

    def stream_for(self, key: Any) -> UUID:
        """See `stream_of`."""
        return self.stream_of(key)

    def write_tail(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Upsert live aggregates' rows, delete those of aggregates that left."""
        rows: list[Row] = []
        gone: list[tuple[Any]] = []
        for aggregate in aggregates:
            row = self.row(aggregate)
            if row is None:
                gone.append((self.key_of(aggregate),))
            else:
                rows.append(row)
        if gone:
            cur.executemany(
                f"DELETE FROM {store.qualify(table)} WHERE {self.key} = {store.ph}", gone
            )
        if rows:
            cur.executemany(self.upsert_sql(store, table), rows)


def _lead_row(lead: Lead) -> Row | None:
    if lead.deleted:
        return None
    contact = lead.contact
    if not isinstance(contact, dict):
        # Open sealed contact data once: row_for looks up every contact field.
        copy = getattr(contact, "copy", None)
        lead.contact = copy() if copy is not None else dict(contact)
    return lead_search.row_for(lead)


def _campaign_stream(key: str) -> UUID:
    account, campaign = key.split(":")
    return Campaign.create_id(int(account), int(campaign))


LEAD_SEARCH = TableSpec(
    name="lead_search",
    aggregate=Lead,
    key=lead_search.KEY,
    columns=lead_search.COLUMNS,
    row=_lead_row,
    key_of=lambda lead: lead.lead_id,
    stream_of=lambda key: Lead.create_id(int(key)),
)
LEAD_LISTS = TableSpec(
    name="lead_lists",
    aggregate=LeadList,
    key="list_id",
    columns=catalog.LIST_COLUMNS,
    row=catalog.list_row,
    key_of=lambda lead_list: lead_list.list_id,
    stream_of=lambda key: LeadList.create_id(int(key)),
)
CAMPAIGNS = TableSpec(
    name="campaigns",
    aggregate=Campaign,
    key="campaign_key",
    columns=catalog.CAMPAIGN_COLUMNS,
    row=catalog.campaign_row,
    key_of=lambda campaign: catalog.campaign_key(campaign.account_id, campaign.campaign_id),
    stream_of=_campaign_stream,
)
JOBS = TableSpec(
    name="jobs",
    aggregate=BulkJob,
    key="job_id",
    columns=catalog.JOB_COLUMNS,
    row=catalog.job_row,
    key_of=lambda job: job.job_id,
    stream_of=lambda key: BulkJob.create_id(str(key)),
)

DNC = TableSpec(
    name="dnc",
    aggregate=DncEntry,
    key="dnc_key",
    columns=outreach.DNC_COLUMNS,
    row=outreach.dnc_row,
    key_of=lambda entry: entry.key,
    stream_of=lambda key: DncEntry.create_id(int(str(key).split(":")[0]), str(key).split(":")[1]),
)
EXPORTS = TableSpec(
    name="exports",
    aggregate=Export,
    key="export_id",
    columns=outreach.EXPORT_COLUMNS,
    row=outreach.export_row,
    key_of=lambda export: export.export_id,
    stream_of=lambda key: Export.create_id(str(key)),
)


class CallsSpec(ReadModelSpec):
    """`calls`: every call record of every lead, deleted ones included (no personal data)."""

    name = "calls"
    aggregate = Lead
    key = "call_key"
    columns = outreach.CALL_COLUMNS

    def expected(self, aggregate: Any) -> dict[Any, Row | None]:
        """Every call record of the lead."""
        return {row[0]: row for row in outreach.call_rows(aggregate)}

    def stream_for(self, key: Any) -> UUID:
        """A call key is '<leadId>:<version>'."""
        return Lead.create_id(int(str(key).split(":")[0]))

    def write_scan(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Every call record of these leads."""
        rows = [r for lead in aggregates for r in outreach.call_rows(lead)]
        if rows:
            store.insert_rows(cur, store.qualify(table), self.columns, rows)

    def write_tail(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Upsert these leads' call records (a deletion removes none)."""
        rows = [r for lead in aggregates for r in outreach.call_rows(lead)]
        if rows:
            cur.executemany(self.upsert_sql(store, table), rows)


CALLS = CallsSpec()

Bucket = tuple[int, int, int, str, bool]
MEMBER_COLUMNS = ("lead_id", "account_id", "campaign_id", "list_id", "lead_state", "suppressed")
COUNT_COLUMNS = ("account_id", "campaign_id", "list_id", "lead_state", "suppressed")


def bucket_from_row(row: Mapping[str, Any]) -> Bucket:
    """The bucket a members or counts row names."""
    return (
        int(row["account_id"]),
        int(row["campaign_id"]),
        int(row["list_id"]),
        str(row["lead_state"]),
        bool(row["suppressed"]),
    )


def bucket_of(lead: Lead | None) -> Bucket | None:
    """Where a lead is counted (None: a deleted lead is not counted)."""
    if lead is None or lead.deleted:
        return None
    return (lead.account_id, lead.campaign_id, lead.list_id, lead.lead_state, bool(lead.suppressed))


class CountsSpec(ReadModelSpec):
    """`lead_counts`: live leads per account, campaign, list, state and suppression.

    The members table remembers each lead's bucket, so an event moves the lead from
    its old bucket to its new one; the counts and the position move in one transaction.
    """

    name = "lead_counts"
    aggregate = Lead
    verified_by_rows = False

    @staticmethod
    def members(table: str) -> str:
        """The auxiliary table of `table`."""
        return f"{table}_members"

    def write_scan(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Members of live leads; the counts are summed once the scan is done."""
        rows = [(lead.lead_id, *b) for lead in aggregates if (b := bucket_of(lead)) is not None]
        if rows:
            marks = store.marks(len(MEMBER_COLUMNS))
            cur.executemany(
                f"INSERT INTO {store.qualify(self.members(table))} "
                f"({', '.join(MEMBER_COLUMNS)}) VALUES ({marks})",
                rows,
            )

    def finish_scan(self, store: Store, cur: Any, table: str) -> None:
        """The counts, summed from the members in one statement."""
        cols = ", ".join(COUNT_COLUMNS)
        cur.execute(
            f"INSERT INTO {store.qualify(table)} ({cols}, lead_count) "
            f"SELECT {cols}, COUNT(*) FROM {store.qualify(self.members(table))} GROUP BY {cols}"
        )

    def write_tail(self, store: Store, cur: Any, table: str, aggregates: Sequence[Any]) -> None:
        """Move each lead from its recorded bucket to its bucket now."""
        self.apply_buckets(
            store, cur, table, {lead.lead_id: bucket_of(lead) for lead in aggregates}
        )

    def apply_buckets(
        self, store: Store, cur: Any, table: str, wanted: Mapping[int, Bucket | None]
    ) -> None:
        """Set each lead's bucket to `wanted[lead_id]`, adjusting the counts."""
        if not wanted:
            return
        ph = store.ph
        members = store.qualify(self.members(table))
        sql = f"SELECT {', '.join(MEMBER_COLUMNS)} FROM {members} WHERE lead_id IN ({{marks}})"
        before = {
            int(row["lead_id"]): bucket_from_row(row)
            for row in store.select_in(cur, sql, list(wanted))
        }
        delta: Counter[Bucket] = Counter()
        upserts: list[tuple[Any, ...]] = []
        deletes: list[tuple[int]] = []
        for lead_id, bucket in wanted.items():
            old = before.get(lead_id)
            if old == bucket:
                continue
            if old is not None:
                delta[old] -= 1
            if bucket is None:
                deletes.append((lead_id,))
            else:
                delta[bucket] += 1
                upserts.append((lead_id, *bucket))
        if deletes:
            cur.executemany(f"DELETE FROM {members} WHERE lead_id = {ph}", deletes)
        if upserts:
            sets = ", ".join(f"{c} = excluded.{c}" for c in MEMBER_COLUMNS[1:])
            cur.executemany(
                f"INSERT INTO {members} ({', '.join(MEMBER_COLUMNS)}) "
                f"VALUES ({', '.join([ph] * len(MEMBER_COLUMNS))}) "
                f"ON CONFLICT (lead_id) DO UPDATE SET {sets}",
                upserts,
            )
        changed = [(*bucket, n) for bucket, n in delta.items() if n]
        if not changed:
            return
        counts = store.qualify(table)
        cols = ", ".join(COUNT_COLUMNS)
        cur.executemany(
            f"INSERT INTO {counts} ({cols}, lead_count) VALUES ({', '.join([ph] * 6)}) "
            f"ON CONFLICT ({cols}) DO UPDATE SET lead_count = {counts}.lead_count + "
            "excluded.lead_count",
            changed,
        )
        cur.execute(f"SELECT {cols}, lead_count FROM {counts} WHERE lead_count < 0")
        negative = cur.fetchall()
        if negative:
            raise ProjectionError(
                f"lead_counts would go negative for {len(negative)} bucket(s), e.g. "
                f"{dict(negative[0])}: its members table disagrees with the log"
            )
        cur.execute(f"DELETE FROM {counts} WHERE lead_count = 0")


LEAD_COUNTS = CountsSpec()

SPECS: dict[str, ReadModelSpec] = {
    spec.name: spec
    for spec in (LEAD_SEARCH, LEAD_LISTS, CAMPAIGNS, JOBS, CALLS, DNC, EXPORTS, LEAD_COUNTS)
}
ASYNC_READ_MODELS = ("lead_counts",)


def spec_for(name: str) -> ReadModelSpec:
    """The spec of read model `name` (KeyError names the known ones)."""
    try:
        return SPECS[name]
    except KeyError:
        raise KeyError(f"no read model {name!r}; known: {', '.join(SPECS)}") from None
