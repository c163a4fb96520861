"""Verify: replay the whole log and compare it with every read model (SPEC §7).

The log is read in aggregate order a large page at a time (memory stays flat); each
aggregate is folded and what each read model should hold is compared with what it
holds: missing rows, extra rows and differing columns. The read models move on while
verify runs, so a difference counts only when it lasts (re-checked on a fresh fold).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from leadstate.domain import Lead
from leadstate.domain.job import LeadIds
from leadstate.persistence.engine import Engine
from leadstate.persistence.tables import PROJECTIONS
from leadstate.projections import registry
from leadstate.projections.models import (
    COUNT_COLUMNS,
    LEAD_COUNTS,
    SPECS,
    Bucket,
    ReadModelSpec,
    bucket_from_row,
    bucket_of,
)
from leadstate.projections.replay import page_mapper, scan_streams


def jsonable(value: Any) -> Any:
    """A value of an event or a row as JSON: times ISO-8601, ids as strings, sets as
    sorted lists, job targets as lists."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(jsonable(v) for v in value)
    if isinstance(value, LeadIds | list | tuple):
        return [jsonable(v) for v in value]
    return value


@dataclass(frozen=True)
class Difference:
    """One way a read model disagrees with the log."""

    model: str
    key: Any
    kind: str  # missing | extra | columns
    columns: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    def describe(self) -> str:
        """One line for a human."""
        what = f"{self.model} {self.key}"
        if self.kind == "missing":
            return f"{what}: row missing"
        if self.kind == "extra":
            return f"{what}: extra row (nothing in the log makes it)"
        shown = "; ".join(
            f"{column}: expected {expected!r}, found {found!r}"
            for column, (expected, found) in sorted(self.columns.items())
        )
        return f"{what}: {shown}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready."""
        return {
            "model": self.model,
            "key": self.key,
            "kind": self.kind,
            "columns": {
                k: {"expected": jsonable(e), "found": jsonable(f)}
                for k, (e, f) in self.columns.items()
            },
        }


def _same(expected: Any, found: Any) -> bool:
    if isinstance(expected, bool) or isinstance(found, bool):
        if expected is None or found is None:
            return expected is None and found is None
        return bool(expected) == bool(found)
    return bool(expected == found)


class Verifier:
    """Folds the whole log and compares it with every read model's rows."""

    RECHECKS = 3

    def __init__(
        self,
        engine: Engine,
        tables: Mapping[str, str],
        *,
        page: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.tables = tables
        self.store = engine.store
        self.page = page or engine.settings.rebuild_page_size
        self.on_progress = on_progress
        self.table_specs = [s for s in SPECS.values() if s.verified_by_rows]
        self.differences: list[Difference] = []

    # -- reading actual rows -----------------------------------------------------------

    def _rows(
        self, spec: ReadModelSpec, keys: list[Any], cur: Any | None = None
    ) -> dict[Any, tuple[Any, ...]]:
        found: dict[Any, tuple[Any, ...]] = {}
        if not keys:
            return found
        table = self.store.qualify(self.tables[spec.name])

        def read(c: Any) -> None:
            sql = f"SELECT {', '.join(spec.columns)} FROM {table} WHERE {spec.key} IN ({{marks}})"
            for row in self.store.select_in(c, sql, keys):
                found[row[spec.key]] = tuple(row[column] for column in spec.columns)

        if cur is not None:
            read(cur)
        else:
            with self.store.read() as own:
                read(own)
        return found

    def _compare(
        self,
        spec: ReadModelSpec,
        key: Any,
        expected: tuple[Any, ...] | None,
        found: tuple[Any, ...] | None,
    ) -> Difference | None:
        if expected is None and found is None:
            return None
        if expected is None:
            return Difference(spec.name, key, "extra")
        if found is None:
            return Difference(spec.name, key, "missing")
        columns = {
            column: (e, f)
            for column, e, f in zip(spec.columns, expected, found, strict=True)
            if not _same(e, f)
        }
        return Difference(spec.name, key, "columns", columns) if columns else None

    def _recheck(self, spec: ReadModelSpec, key: Any) -> Difference | None:
        """Fold one aggregate afresh and read its row, for keys that differed: the
        read models move on while verify runs, so only a lasting difference counts."""
        difference: Difference | None = None
        for attempt in range(self.RECHECKS):
            stream_id = spec.stream_for(key)
            with self.store.read() as cur:
                found = self._rows(spec, [key], cur).get(key)
            aggregate = self.engine.load(stream_id)
            expected = spec.expected(aggregate).get(key) if aggregate is not None else None
            difference = self._compare(spec, key, expected, found)
            if difference is None:
                return None
            if attempt < self.RECHECKS - 1:
                time.sleep(0.05 * (attempt + 1))
        return difference

    # -- the counts --------------------------------------------------------------------

    def _counts_snapshot(self) -> tuple[int, Counter[Bucket]]:
        """lead_counts' live table's rows and its position, as of one moment.

        The table is the one `ls_projections` names (a swap may have just changed it),
        read in one statement with the position; retried if a swap came in between.
        """
        store = self.store
        cols = ", ".join(COUNT_COLUMNS)
        for _attempt in range(10):
            table = registry.registrations(store)[LEAD_COUNTS.name].table_name
            with store.read() as cur:
                cur.execute(
                    f"SELECT p.position AS position, p.table_name AS table_name, "
                    f"{', '.join('c.' + c for c in COUNT_COLUMNS)}, c.lead_count AS lead_count "
                    f"FROM {store.qualify(PROJECTIONS)} p "
                    f"LEFT JOIN {store.qualify(table)} c ON 1 = 1 WHERE p.name = {store.ph} "
                    f"ORDER BY {cols}",
                    (LEAD_COUNTS.name,),
                )
                rows = cur.fetchall()
            counts: Counter[Bucket] = Counter()
            position = 0
            same = True
            for row in rows:
                position = int(row["position"])
                same = same and row["table_name"] == table
                if row["account_id"] is None:
                    continue
                counts[bucket_from_row(row)] += int(row["lead_count"])
            if same:
                return position, counts
        raise RuntimeError("lead_counts kept being swapped while verify read it")

    # -- the run -----------------------------------------------------------------------

    def run(self) -> list[Difference]:
        """Every difference between the log and the read models (empty: all agree)."""
        store = self.store
        counts_position, counts_found = self._counts_snapshot()
        horizon = store.max_position()
        counts_expected: Counter[Bucket] = Counter()
        live_keys: dict[str, set[Any]] = {spec.name: set() for spec in self.table_specs}
        suspects: list[tuple[ReadModelSpec, Any]] = []
        done = 0
        if self.on_progress:
            self.on_progress(0, horizon)
        mapper, keys = page_mapper(self.engine.mapper, store)
        for page in scan_streams(store, horizon=horizon, after="", prefix="", page=self.page):
            keys.load_scan_page([UUID(str(stream[0][1].originator_id)) for stream in page.streams])
            expected: dict[str, dict[Any, tuple[Any, ...] | None]] = {
                s.name: {} for s in self.table_specs
            }
            for stream in page.streams:
                aggregate: Any = None
                bucket: Bucket | None = None
                for position, stored in stream:
                    aggregate = mapper.to_domain_event(stored).mutate(aggregate)  # type: ignore[attr-defined]
                    # Folds mutate in place: take the bucket as of lead_counts' position now.
                    if position <= counts_position and isinstance(aggregate, Lead):
                        bucket = bucket_of(aggregate)
                if bucket is not None:
                    counts_expected[bucket] += 1
                for spec in self.table_specs:
                    if isinstance(aggregate, spec.aggregate):
                        for key, row in spec.expected(aggregate).items():
                            expected[spec.name][key] = row
                            if row is not None:
                                live_keys[spec.name].add(key)
            for spec in self.table_specs:
                wanted = expected[spec.name]
                found = self._rows(spec, list(wanted))
                for key, row in wanted.items():
                    if self._compare(spec, key, row, found.get(key)) is not None:
                        suspects.append((spec, key))
            done += page.events
            if self.on_progress:
                self.on_progress(min(done, horizon), horizon)
        for spec in self.table_specs:
            table = store.qualify(self.tables[spec.name])
            with store.read() as cur:
                cur.execute(f"SELECT {spec.key} FROM {table}")
                present = [r[spec.key] for r in cur.fetchall()]
            suspects.extend((spec, k) for k in present if k not in live_keys[spec.name])
        for spec, key in suspects:
            difference = self._recheck(spec, key)
            if difference is not None:
                self.differences.append(difference)
        self._compare_counts(counts_expected, counts_found)
        if self.on_progress:
            self.on_progress(horizon, horizon)
        return self.differences

    def _compare_counts(self, expected: Counter[Bucket], found: Counter[Bucket]) -> None:
        for bucket in sorted(set(expected) | set(found)):
            e, f = expected.get(bucket, 0), found.get(bucket, 0)
            if e == f:
                continue
            key = dict(zip(COUNT_COLUMNS, bucket, strict=True))
            if f == 0:
                self.differences.append(Difference(LEAD_COUNTS.name, key, "missing"))
            elif e == 0:
                self.differences.append(Difference(LEAD_COUNTS.name, key, "extra"))
            else:
                self.differences.append(
                    Difference(LEAD_COUNTS.name, key, "columns", {"lead_count": (e, f)})
                )
