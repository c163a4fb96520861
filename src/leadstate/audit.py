"""Audit replays (SPEC §6, §7): a lead's history, and verify — the log against the read models.

`AuditViews` is a mixin of `LeadstateApp`. History shows the log as it happened (also
for a deleted lead), with personal data shown as erased once the lead's key is gone.
`Verifier` folds every aggregate from the whole log, reading it in aggregate order a
large page at a time (memory stays flat), and compares what each read model should hold
with what it holds: missing rows, extra rows and differing columns.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from leadstate.domain import Lead, NotFound, is_erased
from leadstate.domain.job import LeadIds
from leadstate.persistence.base import Store
from leadstate.projections import registry
from leadstate.projections.models import (
    COUNT_COLUMNS,
    LEAD_COUNTS,
    SPECS,
    Bucket,
    ReadModelSpec,
    bucket_of,
)
from leadstate.projections.replay import fold, page_mapper, scan_streams

if TYPE_CHECKING:
    from leadstate.application import LeadstateApp

ERASED = "[erased]"
_HIDDEN = {"originator_id", "originator_version", "timestamp", "originator_topic"}


def jsonable(value: Any) -> Any:
    """A value of an event as JSON: times ISO-8601, ids as strings, sets as sorted lists."""
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


def event_time(domain_event: Any) -> datetime:
    """When an event happened: its action's time (`at`), else when it was recorded."""
    at = getattr(domain_event, "at", None)
    moment = at if isinstance(at, datetime) else domain_event.timestamp
    return cast(datetime, moment)


def aware(moment: datetime) -> datetime:
    """A time with an offset (naive times are taken as UTC)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def history_entry(domain_event: Any) -> dict[str, Any]:
    """One event as the history endpoint shows it."""
    state = {k: v for k, v in vars(domain_event).items() if k not in _HIDDEN}
    actor = state.pop("actor", None)
    correlation_id = state.pop("correlation_id", None)
    state.pop("at", None)
    contact = state.get("contact")
    if isinstance(contact, Mapping):
        state["contact"] = ERASED if is_erased(contact) else dict(contact)
    return {
        "type": type(domain_event).__name__,
        "version": domain_event.originator_version,
        "time": event_time(domain_event).isoformat(),
        "actor": actor,
        "correlationId": correlation_id,
        "data": jsonable(state),
    }


class AuditViews:
    """`lead_history` and `verify_read_models` for `LeadstateApp`."""

    def lead_history(self, account_id: int, lead_id: int) -> list[dict[str, Any]]:
        """Every event of a lead in order (SPEC §6 `GET .../campaignLeads/{leadId}/history`).

        Deleted leads keep their history; their personal data shows as "[erased]".
        """
        app = cast("LeadstateApp", self)
        stream_id = Lead.create_id(lead_id)
        events = app.store.select_streams([stream_id])[stream_id]
        if not events:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        app.keyring.get_many([stream_id])
        decoded = [app.mapper.to_domain_event(stored) for stored in events]
        if getattr(decoded[0], "account_id", None) != account_id:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        return [history_entry(e) for e in decoded]

    def verify_read_models(
        self,
        *,
        page: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> list[Difference]:
        """Replay the whole log and report every difference with the read models."""
        app = cast("LeadstateApp", self)
        return Verifier(app, page=page, on_progress=on_progress).run()


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
        app: LeadstateApp,
        *,
        page: int | None = None,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.app = app
        self.store: Store = app.store
        self.page = page or app.settings.rebuild_page_size
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
        table = self.store.qualify(self.app.tables[spec.name])

        def read(c: Any) -> None:
            for start in range(0, len(keys), 500):
                chunk = keys[start : start + 500]
                marks = ", ".join([self.store.ph] * len(chunk))
                c.execute(
                    f"SELECT {', '.join(spec.columns)} FROM {table} WHERE {spec.key} IN ({marks})",
                    chunk,
                )
                for row in c.fetchall():
                    values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
                    found[values[spec.columns.index(spec.key)]] = values

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
            events = self.store.select_streams([stream_id])[stream_id]
            if spec.aggregate is Lead:
                self.app.keyring.get_many([stream_id])
            aggregate = fold(self.app.mapper, events) if events else None
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
                    f"FROM {store.qualify('ls_projections')} p "
                    f"LEFT JOIN {store.qualify(table)} c ON 1 = 1 WHERE p.name = {store.ph} "
                    f"ORDER BY {cols}",
                    (LEAD_COUNTS.name,),
                )
                rows = cur.fetchall()
            counts: Counter[Bucket] = Counter()
            position = 0
            same = True
            for row in rows:
                values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
                position = int(values[0])
                same = same and values[1] == table
                if values[2] is None:
                    continue
                bucket = (
                    int(values[2]),
                    int(values[3]),
                    int(values[4]),
                    str(values[5]),
                    bool(values[6]),
                )
                counts[bucket] += int(values[7])
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
        mapper, keys = page_mapper(self.app.mapper, store)
        for page in scan_streams(store, horizon=horizon, after="", prefix="", page=self.page):
            keys.load_page([cast(UUID, stream[0][1].originator_id) for stream in page.streams])
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
            table = store.qualify(self.app.tables[spec.name])
            with store.read() as cur:
                cur.execute(f"SELECT {spec.key} FROM {table}")
                present = [r[spec.key] if isinstance(r, dict) else r[0] for r in cur.fetchall()]
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


def differences_summary(differences: Iterable[Difference]) -> dict[str, int]:
    """How many differences each read model has."""
    return dict(Counter(d.model for d in differences))


__all__ = [
    "ERASED",
    "AuditViews",
    "Difference",
    "Verifier",
    "aware",
    "differences_summary",
    "event_time",
    "history_entry",
    "jsonable",
]
