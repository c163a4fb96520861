"""The application service: the only door the API, the CLI and the jobs use.

Each command is get, decide, save. Read-model rows travel with the events into the same
transaction (see `leadstate.persistence`), so a search right after a command sees it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    RecordConflictError,
    StoredEvent,
)
from eventsourcing.utils import Environment, EnvType

from leadstate.actions import ActionRun, BatchOutcome
from leadstate.audit import AuditViews, aware, event_time
from leadstate.domain import (
    DEFAULT_MAX_PASSES,
    DEFAULT_PASS_DELAY_MIN,
    SYSTEM_DISPOSITIONS,
    ActionParams,
    Campaign,
    Conflict,
    InvalidRequest,
    Lead,
    LeadAction,
    LeadList,
    LeadState,
    Meta,
    NotFound,
    parse_params,
    utcnow,
)
from leadstate.domain.criteria import SearchCriteria, parse_criteria
from leadstate.domain.job import BulkJob, JobStatus, LeadIds
from leadstate.domain.lead import check_edit_fields
from leadstate.guards import DO_NOT_CALL, phones_not_in_campaign, phones_not_on_dnc
from leadstate.loader import LoadRequest, LoadResult, LoadRow, check_rows, reject_rows
from leadstate.metrics import count_events
from leadstate.persistence.base import Changes, Guard, GuardFailed, Store, row_value
from leadstate.persistence.crypto import Keyring
from leadstate.persistence.mapper import ShreddingMapper
from leadstate.persistence.transcodings import LeadIdsAsCompressed
from leadstate.projections import SyncProjection, definitions, lead_search, queries
from leadstate.projections.catalog import campaign_key
from leadstate.projections.lifecycle import ProjectionLifecycle
from leadstate.settings import Settings

T = TypeVar("T")

RETRY_SECONDS = 15.0  # how long a command keeps retrying version conflicts (then 409)
GUARD_RETRIES = 100  # decisions a command may remake after its guards found newer state
LOAD_CHUNK = 1000  # leads per transaction of a load

ERASED_VALUE = "[erased]"


@dataclass
class ActionResult:
    """The outcome of a lead action (the vendor's `LeadActionResult`, plus details)."""

    action: LeadAction
    update_count: int = 0
    delete_count: int = 0
    total: int = 0
    processed: int = 0
    dialer_refreshed: bool = False
    errors: list[dict[str, Any]] = field(default_factory=list)
    new_list_id: int | None = None

    @property
    def error_message(self) -> str | None:
        """A one-line summary of skipped leads, as the vendor's `errorMessage`."""
        if not self.errors:
            return None
        shown = ", ".join(f"{e['leadId']} ({e['reason']})" for e in self.errors[:20])
        more = f" and {len(self.errors) - 20} more" if len(self.errors) > 20 else ""
        return f"{len(self.errors)} lead(s) skipped: {shown}{more}"


@dataclass(frozen=True)
class CampaignSettings:
    """A campaign's pass settings."""

    campaign_id: int
    max_passes: int
    pass_delay_min: int


class LeadstateApp(AuditViews, ProjectionLifecycle, Application[UUID]):
    """Leads, lists and campaigns, event-sourced, with synchronous read models."""

    name = "leadstate"

    def __init__(self, settings: Settings, env: EnvType | None = None) -> None:
        self.settings = settings
        self.deleted_since_compaction = False
        self.last_compaction = 0.0
        base: dict[str, str] = {}
        if settings.is_postgres:
            base.update(settings.postgres_env())
        else:
            base["SQLITE_DBNAME"] = str(settings.sqlite_path())
            base["SQLITE_LOCK_TIMEOUT"] = "30"
        base.update(env or {})
        super().__init__(base)
        self.store = self._make_store()
        self.keyring = Keyring(self.store.load_keys, self.store.store_keys)
        assert isinstance(self.mapper, ShreddingMapper)
        self.mapper.keyring = self.keyring
        self.tables = self._setup_read_models()
        self.projection = SyncProjection(self.tables)
        self._running_jobs: dict[str, BulkJob] = {}  # job id -> aggregate, between batches
        self._rows_at_analyze = 0
        self._added_since_analyze = 0
        self._init_read_model_lifecycle()
        self.job_listeners: list[Callable[[], None]] = []
        from leadstate.apikeys import ApiKeys

        self.api_keys = ApiKeys(self.store)
        from leadstate.calls import Dialing
        from leadstate.exports import Exports

        self.dialing = Dialing(self)  # dial attempts, call records, DNC, dialable queue
        self.exports = Exports(self)  # EMAIL_LEADS exports, their files and links
        from leadstate.idempotency import IdempotencyStore

        self.idempotency = IdempotencyStore(self.store)  # Idempotency-Key records (§6)

    # -- construction ----------------------------------------------------------------

    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """SQLite or PostgreSQL, with our recorders."""
        if self.settings.is_postgres:
            from leadstate.persistence.postgres import LeadstatePostgresFactory

            return LeadstatePostgresFactory(env)
        from leadstate.persistence.sqlite import LeadstateSQLiteFactory, LeadstateSQLitePool

        factory = LeadstateSQLiteFactory(env)
        assert isinstance(factory.datastore.pool, LeadstateSQLitePool)
        factory.datastore.pool.synchronous = self.settings.sqlite_synchronous
        return factory

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        """The library's transcodings plus a compact one for job targets."""
        super().register_transcodings(transcoder)
        transcoder.register(LeadIdsAsCompressed())

    def construct_mapper(self) -> ShreddingMapper:
        """A mapper that encrypts contact data per lead."""
        return ShreddingMapper(transcoder=self.construct_transcoder())

    def _make_store(self) -> Store:
        if self.settings.is_postgres:
            from leadstate.persistence.postgres import LeadstatePostgresRecorder, PostgresStore

            assert isinstance(self.recorder, LeadstatePostgresRecorder)
            pg_store = PostgresStore(self.recorder.datastore, self.recorder.events_table_name)
            self.recorder.store = pg_store
            return pg_store
        from leadstate.persistence.sqlite import LeadstateSQLiteRecorder, SQLiteStore

        assert isinstance(self.recorder, LeadstateSQLiteRecorder)
        sqlite_store = SQLiteStore(self.recorder.datastore)
        self.recorder.store = sqlite_store
        return sqlite_store

    def _setup_read_models(self) -> dict[str, str]:
        self.store.script(self.store.infrastructure_sql())
        tables: dict[str, str] = {}
        for model in definitions():
            with self.store.read() as cur:
                cur.execute(
                    "SELECT table_name FROM "
                    f"{self.store.qualify('ls_projections')} WHERE name = {self.store.ph}",
                    (model.name,),
                )
                row = cur.fetchone()
            if row is not None:
                tables[model.name] = row[0] if not isinstance(row, dict) else row["table_name"]
                continue
            self.store.script(model.render(self.store.qualify(model.table), model.table))
            with self.store.write() as cur:
                ph = self.store.ph
                cur.execute(
                    f"INSERT INTO {self.store.qualify('ls_projections')} "
                    f"(name, version, table_name, position) VALUES ({ph}, {ph}, {ph}, {ph}) "
                    "ON CONFLICT (name) DO NOTHING",
                    (model.name, model.version, model.table, 0),
                )
            tables[model.name] = model.table
        return tables

    # -- saving ----------------------------------------------------------------------

    def save(  # type: ignore[override]
        self,
        *objs: Aggregate | DomainEventProtocol[UUID] | None,
        guards: Sequence[Guard] = (),
        **kwargs: Any,
    ) -> Any:
        """Save aggregates with their read-model rows and key changes, atomically, once
        `guards` found the shared state they check unchanged (else `GuardFailed`)."""
        aggregates = [o for o in objs if isinstance(o, Aggregate)]
        new_leads = [
            a.id
            for a in aggregates
            if isinstance(a, Lead)
            and a.pending_events
            and a.pending_events[0].originator_version == 1
        ]
        if new_leads:
            self.keyring.ensure(new_leads)
        changes: Changes = self.projection.changes_for(aggregates)
        changes.guards = list(guards)
        # Collected by hand: the library's collect_events() spends a fifth of a bulk
        # action in isinstance() checks against runtime Protocols.
        processing = ProcessingEvent[UUID]()
        for aggregate in aggregates:
            processing.events.extend(aggregate.collect_events())
            processing.aggregates[aggregate.id] = aggregate
        processing.events.extend(o for o in objs if o is not None and not isinstance(o, Aggregate))
        processing.saved_kwargs = {"changes": changes, **kwargs}
        recordings = self._record(processing)
        count_events(processing.events)
        self._notify(recordings)
        if changes.shred:
            self.keyring.forget(changes.shred)
            self.deleted_since_compaction = True
        return recordings

    def compact_if_due(self, min_interval: float) -> bool:
        """After deletions, rewrite the SQLite file so no free page keeps a deleted lead's
        data (SPEC §5); at most once per `min_interval` seconds. PostgreSQL: the operator's
        VACUUM FULL does the same (see README)."""
        if not self.deleted_since_compaction or self.settings.is_postgres:
            return False
        now = time.monotonic()
        if now - self.last_compaction < min_interval:
            return False
        from leadstate.persistence.sqlite import SQLiteStore

        assert isinstance(self.store, SQLiteStore)
        self.deleted_since_compaction = False
        self.last_compaction = now
        self.store.checkpoint()
        return True

    def _retrying(
        self,
        attempt: Callable[[], T],
        attempts: int = 8,
        *,
        on_guard: Callable[[GuardFailed], None] | None = None,
    ) -> T:
        """Run get-decide-save again when another writer got there first: at least
        `attempts` times and for up to `RETRY_SECONDS`, with short jittered pauses (a
        hot lead has many writers: each round one wins, so losers must keep trying);
        then a `Conflict` (409): the failed attempt saved nothing. A guard's finding is
        given to `on_guard` (when there is one) before deciding again."""
        deadline = time.monotonic() + RETRY_SECONDS
        tries = 0
        guarded = 0
        while True:
            try:
                return attempt()
            except GuardFailed as failed:
                guarded += 1
                if on_guard is None or guarded > GUARD_RETRIES:
                    raise
                on_guard(failed)
            except (RecordConflictError, IntegrityError) as error:
                tries += 1
                if tries >= attempts and time.monotonic() >= deadline:
                    raise Conflict(
                        "other writers kept changing the same lead(s) at the same moment: "
                        f"gave up after {tries} tries without saving this change; retry it"
                    ) from error
                time.sleep(random.uniform(0, min(0.05, 0.002 * 2 ** min(tries, 6))))

    def close(self) -> None:
        """Stop background work, then close every database connection."""
        super().close()
        self.store.close()

    # -- reading aggregates ----------------------------------------------------------

    def _fold(self, stored: Sequence[StoredEvent]) -> Any:
        aggregate: Any = None
        for item in stored:
            aggregate = self.mapper.to_domain_event(item).mutate(aggregate)  # type: ignore[attr-defined]
        return aggregate

    def _leads(self, lead_ids: Iterable[int]) -> dict[int, Lead]:
        """Many leads, folded from one query (deleted ones included)."""
        ids = {lead_id: Lead.create_id(lead_id) for lead_id in lead_ids}
        if not ids:
            return {}
        self.keyring.get_many(ids.values())
        streams = self.store.select_streams(list(ids.values()))
        out: dict[int, Lead] = {}
        for lead_id, stream_id in ids.items():
            events = streams.get(stream_id) or []
            if events:
                out[lead_id] = self._fold(events)
        return out

    def _current_leads(self, lead_ids: Iterable[int]) -> dict[int, Lead]:
        """Many live leads as of their read-model rows (snapshots; deleted ones absent)."""
        ids = list(lead_ids)
        out: dict[int, Lead] = {}
        table = self.store.qualify(self.tables["lead_search"])
        with self.store.read() as cur:
            for start in range(0, len(ids), 2000):
                chunk = ids[start : start + 2000]
                marks = ", ".join([self.store.ph] * len(chunk))
                cur.execute(
                    f"SELECT {', '.join(lead_search.COLUMNS)} FROM {table} "
                    f"WHERE lead_id IN ({marks})",
                    chunk,
                )
                for row in cur.fetchall():
                    values = tuple(row.values()) if isinstance(row, dict) else tuple(row)
                    lead = lead_search.lead_from_row(values)
                    out[lead.lead_id] = lead
        return out

    def _lead(self, account_id: int, lead_id: int) -> Lead:
        lead = self._leads([lead_id]).get(lead_id)
        if lead is None or lead.account_id != account_id or lead.deleted:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        return lead

    def _campaign_settings(self, account_id: int, campaign_id: int) -> CampaignSettings:
        with self.store.read() as cur:
            cur.execute(
                f"SELECT max_passes, pass_delay_min FROM {self.store.qualify(self.tables['campaigns'])} "
                f"WHERE campaign_key = {self.store.ph}",
                (campaign_key(account_id, campaign_id),),
            )
            row = cur.fetchone()
        if row is None:
            return CampaignSettings(campaign_id, DEFAULT_MAX_PASSES, DEFAULT_PASS_DELAY_MIN)
        values = list(row.values()) if isinstance(row, dict) else list(row)
        return CampaignSettings(campaign_id, int(values[0]), int(values[1]))

    def _list(self, list_id: int) -> dict[str, Any] | None:
        with self.store.read() as cur:
            cur.execute(
                "SELECT list_id, account_id, campaign_id, name FROM "
                f"{self.store.qualify(self.tables['lead_lists'])} WHERE list_id = {self.store.ph}",
                (list_id,),
            )
            row = cur.fetchone()
        if row is None:
            return None
        return dict(row) if isinstance(row, dict) else dict(zip(row.keys(), row, strict=True))

    # -- campaigns -------------------------------------------------------------------

    def get_campaign_settings(self, account_id: int, campaign_id: int) -> CampaignSettings:
        """A campaign's pass settings (defaults until changed)."""
        return self._campaign_settings(account_id, campaign_id)

    def set_campaign_settings(
        self, account_id: int, campaign_id: int, max_passes: int, pass_delay_min: int, actor: str
    ) -> CampaignSettings:
        """Change a campaign's pass settings."""
        Campaign.check_settings(max_passes, pass_delay_min)

        def attempt() -> CampaignSettings:
            stream = self.store.select_streams([Campaign.create_id(account_id, campaign_id)])
            events = next(iter(stream.values()))
            if events:
                campaign: Campaign = self._fold(events)
                campaign.change_settings(max_passes, pass_delay_min, actor)
            else:
                campaign = Campaign(
                    account_id=account_id,
                    campaign_id=campaign_id,
                    max_passes=max_passes,
                    pass_delay_min=pass_delay_min,
                    actor=actor,
                )
            self.save(campaign)
            return CampaignSettings(campaign_id, campaign.max_passes, campaign.pass_delay_min)

        return self._retrying(attempt)

    # -- loading ---------------------------------------------------------------------

    def load_leads(
        self,
        account_id: int,
        campaign_id: int,
        request: LoadRequest,
        meta: Meta,
        progress: Callable[[int], None] | None = None,
    ) -> LoadResult:
        """Load leads into a new list (or `listId`); bad rows are reported, good rows load."""
        if campaign_id <= 0:
            raise InvalidRequest("campaignId must be a positive number")
        if len(request.leads) > self.settings.max_load_leads:
            raise InvalidRequest(
                f"at most {self.settings.max_load_leads} leads per request; "
                f"got {len(request.leads)}"
            )
        if request.list_id is not None:
            existing = self._list(request.list_id)
            if (
                existing is None
                or existing["account_id"] != account_id
                or existing["campaign_id"] != campaign_id
            ):
                raise NotFound(f"list {request.list_id} not found in campaign {campaign_id}")
        result, good = check_rows(
            request,
            self._existing_phones(account_id, campaign_id, request),
            self.dialing.dnc_phones(account_id, (r.phone for r in request.parsed_rows())),
        )
        if not good:
            return result
        list_id = request.list_id
        new_list_name: str | None = None
        if list_id is None:  # created with the first leads saved, or not at all
            new_list_name = request.description or f"API load {meta.at.isoformat()}"
            list_id = self.store.allocate("list_id", 1)
        first_id = self.store.allocate("lead_id", len(good))
        lead_ids = {row.index: first_id + n for n, row in enumerate(good)}
        state = LeadState.PAUSED if request.list_state == "PAUSED" else LeadState.READY
        saved: list[int] = []
        for start in range(0, len(good), LOAD_CHUNK):
            chunk = good[start : start + LOAD_CHUNK]
            while chunk:
                leads = [
                    self._new_lead(
                        r, lead_ids[r.index], account_id, campaign_id, list_id, state, request, meta
                    )
                    for r in chunk
                ]
                lead_list = None
                if new_list_name is not None and not saved:
                    lead_list = LeadList(
                        list_id=list_id,
                        account_id=account_id,
                        campaign_id=campaign_id,
                        name=new_list_name,
                        at=meta.at,
                        actor=meta.actor,
                        correlation_id=meta.correlation_id,
                    )
                phones = [r.phone for r in chunk]
                guards = [phones_not_on_dnc(self.store, self.tables, account_id, phones)]
                if request.duplicate_handling == "REMOVE_ALL_EXISTING":
                    guards.append(
                        phones_not_in_campaign(
                            self.store,
                            self.tables,
                            account_id,
                            campaign_id,
                            phones,
                            lead_ids.values(),
                        )
                    )
                try:
                    self.save(lead_list, *leads, guards=guards)
                except GuardFailed as failed:
                    chunk = reject_rows(
                        request, result, chunk, failed.found, dnc=failed.reason == DO_NOT_CALL
                    )
                    continue
                saved.extend(lead.lead_id for lead in leads)
                if progress:
                    progress(len(saved))
                break
        if saved:
            result.list_id = list_id
        result.leads_inserted = len(saved)
        result.lead_ids = saved
        self.analyze_if_grown(len(saved))
        return result

    def analyze_if_grown(self, added: int) -> None:
        """Refresh the query planner's statistics of the lead-search table each time it
        has about doubled: without them SQLite walks the whole account in leadId order
        for a phone or externId search instead of using their indexes."""
        self._added_since_analyze += added
        if self._added_since_analyze <= max(1_000, self._rows_at_analyze):
            return
        self._rows_at_analyze = self.store.analyze(self.tables["lead_search"])
        self._added_since_analyze = 0

    def _new_lead(
        self,
        row: LoadRow,
        lead_id: int,
        account_id: int,
        campaign_id: int,
        list_id: int,
        state: LeadState,
        request: LoadRequest,
        meta: Meta,
    ) -> Lead:
        priority = 100 if request.dial_priority == "IMMEDIATE" else row.lead_priority
        return Lead(
            lead_id=lead_id,
            account_id=account_id,
            campaign_id=campaign_id,
            list_id=list_id,
            extern_id=row.extern_id,
            contact=row.contact,
            lead_state=state.value,
            lead_priority=priority,
            max_passes=row.max_passes,
            lead_timezone=row.lead_timezone if request.time_zone_option == "EXPLICIT" else None,
            caller_id=row.caller_id,
            pending_agent_id=row.reserve_agent,
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )

    def _existing_phones(self, account_id: int, campaign_id: int, request: LoadRequest) -> set[str]:
        if request.duplicate_handling != "REMOVE_ALL_EXISTING":
            return set()
        phones = sorted({r.phone for r in request.parsed_rows() if r.phone})
        return self._phones_in_campaign(account_id, campaign_id, phones)

    def _phones_in_campaign(
        self, account_id: int, campaign_id: int, phones: Sequence[str], exclude: Iterable[int] = ()
    ) -> set[str]:
        with self.store.read() as cur:
            return queries.phones_in_campaign(
                self.store, cur, self.tables, account_id, campaign_id, phones, exclude
            )

    # -- queries ---------------------------------------------------------------------

    def search(
        self,
        account_id: int,
        criteria: SearchCriteria,
        *,
        page: int = 0,
        max_rows: int = 100,
        sort: str | None = None,
    ) -> list[dict[str, Any]]:
        """One page of matching leads, as search-result views."""
        if page < 0:
            raise InvalidRequest("page must be 0 or more")
        if not 1 <= max_rows <= self.settings.max_rows:
            raise InvalidRequest(f"maxRows must be between 1 and {self.settings.max_rows}")
        order = lead_search.order_by(sort)
        lists = self.store.qualify(self.tables["lead_lists"])
        clause, params = lead_search.where(criteria, account_id, self.store.ph, lists)
        table = self.store.qualify(self.tables["lead_search"])
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT * FROM {table} WHERE {clause} ORDER BY {order} LIMIT {ph} OFFSET {ph}",
                (*params, max_rows, page * max_rows),
            )
            rows = [self._as_dict(r) for r in cur.fetchall()]
            names = self._list_names(cur, {r["list_id"] for r in rows})
        return [lead_search.view_of(r, names.get(r["list_id"])) for r in rows]

    def _account_row(
        self, cur: Any, model: str, key_column: str, key: Any, account_id: int
    ) -> dict[str, Any]:
        """The row of `model` with this key in this account, or NotFound."""
        ph = self.store.ph
        cur.execute(
            f"SELECT * FROM {self.store.qualify(self.tables[model])} "
            f"WHERE {key_column} = {ph} AND account_id = {ph}",
            (key, account_id),
        )
        row = cur.fetchone()
        if row is None:
            what = key_column.removesuffix("_id")
            raise NotFound(f"{what} {key} not found in account {account_id}")
        return self._as_dict(row)

    def _as_dict(self, row: Any) -> dict[str, Any]:
        return dict(row) if isinstance(row, dict) else dict(zip(row.keys(), row, strict=True))

    def _list_names(self, cur: Any, list_ids: set[int]) -> dict[int, str]:
        if not list_ids:
            return {}
        ph = self.store.ph
        marks = ", ".join([ph] * len(list_ids))
        cur.execute(
            f"SELECT list_id, name FROM {self.store.qualify(self.tables['lead_lists'])} "
            f"WHERE list_id IN ({marks})",
            tuple(list_ids),
        )
        return {self._as_dict(r)["list_id"]: self._as_dict(r)["name"] for r in cur.fetchall()}

    def count(self, account_id: int, criteria: SearchCriteria) -> int:
        """How many leads match."""
        lists = self.store.qualify(self.tables["lead_lists"])
        clause, params = lead_search.where(criteria, account_id, self.store.ph, lists)
        table = self.store.qualify(self.tables["lead_search"])
        with self.store.read() as cur:
            cur.execute(f"SELECT COUNT(*) AS n FROM {table} WHERE {clause}", params)
            row = cur.fetchone()
        return int(row["n"] if isinstance(row, dict) else row[0])

    def refresh_read_models(self) -> bool:
        """DIALER_REFRESH: wait until every read model has applied the log as it is now.

        True when they all did within `dialer_refresh_wait_seconds`.
        """
        head = self.store.max_position()
        return self.wait_for_projections(head, self.settings.dialer_refresh_wait_seconds)

    def matching_ids(self, account_id: int, criteria: SearchCriteria) -> list[int]:
        """Every matching leadId, in leadId order (more than `max_selection`: a 400)."""
        lists = self.store.qualify(self.tables["lead_lists"])
        clause, params = lead_search.where(criteria, account_id, self.store.ph, lists)
        table = self.store.qualify(self.tables["lead_search"])
        cap = self.settings.max_selection
        with self.store.read() as cur:
            cur.execute(
                f"SELECT lead_id FROM {table} WHERE {clause} ORDER BY lead_id LIMIT {cap + 1}",
                params,
            )
            ids = [int(r["lead_id"] if isinstance(r, dict) else r[0]) for r in cur.fetchall()]
        if len(ids) > cap:
            raise InvalidRequest(
                f"the criteria select more than {cap} leads, the most one action may change "
                "(LEADSTATE_MAX_SELECTION); narrow them, e.g. by campaignIds or listIds"
            )
        return ids

    def get_lead(
        self,
        account_id: int,
        lead_id: int,
        *,
        version: int | None = None,
        as_of: datetime | None = None,
    ) -> dict[str, Any]:
        """One lead as a search-result view; with `version`/`as_of`, rebuilt from its events."""
        if version is None and as_of is None:
            with self.store.read() as cur:
                data = self._account_row(cur, "lead_search", "lead_id", lead_id, account_id)
                names = self._list_names(cur, {data["list_id"]})
            return lead_search.view_of(data, names.get(data["list_id"]))
        return self._lead_as_of(account_id, lead_id, version=version, as_of=as_of)

    def _lead_as_of(
        self, account_id: int, lead_id: int, *, version: int | None, as_of: datetime | None
    ) -> dict[str, Any]:
        stream = self.store.select_streams([Lead.create_id(lead_id)])
        events = next(iter(stream.values()))
        self.keyring.get_many([Lead.create_id(lead_id)])
        decoded = [self.mapper.to_domain_event(stored) for stored in events]
        if not decoded or getattr(decoded[0], "account_id", None) != account_id:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        last = events[-1].originator_version
        if version is not None and version > last:
            raise NotFound(f"lead {lead_id} has no version {version}: its last version is {last}")
        as_of = aware(as_of) if as_of is not None else None
        lead: Lead | None = None
        for stored, domain_event in zip(events, decoded, strict=True):
            if version is not None and stored.originator_version > version:
                break
            if as_of is not None and event_time(domain_event) > as_of:
                break
            lead = domain_event.mutate(lead)  # type: ignore[attr-defined]
        if lead is None:
            assert as_of is not None
            raise NotFound(
                f"lead {lead_id} did not exist yet at {as_of.isoformat()}: it was loaded at "
                f"{event_time(decoded[0]).isoformat()}"
            )
        with self.store.read() as cur:
            names = self._list_names(cur, {lead.list_id})
        view = lead_search.view_of(self._row_dict(lead), names.get(lead.list_id))
        view["deleted"] = lead.deleted
        view["version"] = lead.version
        if lead.personal_data_erased:
            for key in lead_search.CONTACT_COLUMNS:
                if key in view:
                    view[key] = ERASED_VALUE
            view["extraData"] = ERASED_VALUE
        return view

    @staticmethod
    def _row_dict(lead: Lead) -> dict[str, Any]:
        return dict(zip(lead_search.COLUMNS, lead_search.row_for(lead), strict=True))

    # -- actions ---------------------------------------------------------------------

    def prepare_action(
        self,
        account_id: int,
        action_name: str,
        param_map: dict[str, Any] | None,
        criteria_body: Any,
    ) -> tuple[LeadAction, ActionParams, SearchCriteria]:
        """Validate everything up front: a bad request changes nothing (SPEC §2)."""
        action = LeadAction.parse(action_name)
        params = parse_params(action, param_map)
        criteria = parse_criteria(criteria_body)
        if action is not LeadAction.DIALER_REFRESH and not criteria.has_selector():
            raise InvalidRequest(
                "an action needs at least one selecting criterion besides 'suppressed'; "
                "to act on every lead of a campaign, give campaignIds"
            )
        if action is LeadAction.MOVE_TO_CAMPAIGN and params.list_id:
            target = self._list(params.list_id)
            if (
                target is None
                or target["account_id"] != account_id
                or target["campaign_id"] != params.campaign_id
            ):
                raise InvalidRequest(
                    f"LIST_ID {params.list_id} is not a list of campaign {params.campaign_id}"
                )
        return action, params, criteria

    def apply_action(
        self,
        account_id: int,
        action_name: str,
        param_map: dict[str, Any] | None,
        criteria_body: Any,
        meta: Meta,
        progress: Callable[[int, int], None] | None = None,
    ) -> ActionResult:
        """Apply a lead action to every lead the criteria select, in batches, now."""
        result = self._act(account_id, action_name, param_map, criteria_body, meta, progress)
        assert isinstance(result, ActionResult)
        return result

    def _apply(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        targets: list[int],
        meta: Meta,
        progress: Callable[[int, int], None] | None = None,
    ) -> ActionResult:
        result = ActionResult(action=action, total=len(targets))
        run = ActionRun(self, account_id, action, params, meta)
        size = self.settings.batch_size
        for start in range(0, len(targets), size):
            batch = targets[start : start + size]

            def attempt(batch: list[int] = batch) -> BatchOutcome:
                outcome = run.decide(batch)
                self.save(*outcome.to_save, guards=outcome.guards)
                return outcome

            run.commit(self._retrying(attempt, on_guard=run.learn), result)
            result.processed += len(batch)
            if progress:
                progress(result.processed, result.total)
        return result

    def perform_action(
        self,
        account_id: int,
        action_name: str,
        param_map: dict[str, Any] | None,
        criteria_body: Any,
        meta: Meta,
    ) -> ActionResult | dict[str, Any]:
        """An action as the API runs it: small selections now, large ones as a job."""
        return self._act(
            account_id, action_name, param_map, criteria_body, meta, as_job_above_limit=True
        )

    def _act(
        self,
        account_id: int,
        action_name: str,
        param_map: dict[str, Any] | None,
        criteria_body: Any,
        meta: Meta,
        progress: Callable[[int, int], None] | None = None,
        *,
        as_job_above_limit: bool = False,
    ) -> ActionResult | dict[str, Any]:
        action, params, criteria = self.prepare_action(
            account_id, action_name, param_map, criteria_body
        )
        if action is LeadAction.DIALER_REFRESH:
            return ActionResult(action=action, dialer_refreshed=self.refresh_read_models())
        if action is LeadAction.EMAIL_LEADS:  # large exports are written in the background
            return self.exports.request(account_id, params, criteria, criteria_body, meta)
        targets = self.matching_ids(account_id, criteria)
        if as_job_above_limit and len(targets) > self.settings.bulk_sync_limit:
            return self._submit_job(account_id, action, params, criteria_body, targets, meta)
        return self._apply(account_id, action, params, targets, meta, progress)

    def submit_job(
        self,
        account_id: int,
        action_name: str,
        param_map: dict[str, Any] | None,
        criteria_body: Any,
        meta: Meta,
    ) -> dict[str, Any]:
        """Fix the target set of a bulk action now; a runner applies it in batches."""
        action, params, criteria = self.prepare_action(
            account_id, action_name, param_map, criteria_body
        )
        if action in (LeadAction.DIALER_REFRESH, LeadAction.EMAIL_LEADS):
            raise InvalidRequest(f"{action.value} does not run as a job")
        targets = self.matching_ids(account_id, criteria)
        return self._submit_job(account_id, action, params, criteria_body, targets, meta)

    def _submit_job(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        criteria_body: Any,
        targets: list[int],
        meta: Meta,
    ) -> dict[str, Any]:
        job = BulkJob(
            job_id=uuid.uuid4().hex,
            account_id=account_id,
            action=action.value,
            params=params.as_record(action),
            criteria_hash=self.hash_criteria(criteria_body),
            targets=LeadIds(targets),
            actor=meta.actor,
            correlation_id=meta.correlation_id,
            at=meta.at,
        )
        job.complete_if_empty(meta.at)
        self.save(job)
        for listener in self.job_listeners:
            listener()
        return self.get_job(account_id, job.job_id)

    def hash_criteria(self, criteria_body: Any) -> str:
        """A keyed hash of the criteria: jobs never store personal data in clear."""
        canonical = json.dumps(criteria_body, sort_keys=True, default=str).encode()
        key = self.store.secret("criteria-hash").encode()
        return hmac.new(key, canonical, hashlib.sha256).hexdigest()

    def get_job(self, account_id: int, job_id: str) -> dict[str, Any]:
        """A job's status and progress (SPEC §6 job object)."""
        with self.store.read() as cur:
            data = self._account_row(cur, "jobs", "job_id", job_id, account_id)
        errors = json.loads(data["errors"])
        message = None
        if data["error_count"]:
            message = f"{data['error_count']} lead(s) skipped"
        if data["failure"]:
            message = f"job failed: {data['failure']}"
        return {
            "jobId": data["job_id"],
            "leadAction": data["lead_action"],
            "status": data["status"],
            "total": data["total"],
            "processed": data["processed"],
            "result": {
                "success": data["status"] != JobStatus.FAILED,
                "leadUpdateCount": data["update_count"],
                "leadDeleteCount": data["delete_count"],
                "redialDeleteCount": 0,
                "dialerRefreshed": False,
                "leadActionType": data["lead_action"],
                "errorMessage": message,
            },
            "errors": errors,
        }

    def unfinished_jobs(self) -> list[str]:
        """Jobs still queued or running, oldest first."""
        with self.store.read() as cur:
            cur.execute(
                f"SELECT job_id FROM {self.store.qualify(self.tables['jobs'])} "
                f"WHERE status IN ('queued', 'running') ORDER BY submitted_at"
            )
            return [str(self._as_dict(r)["job_id"]) for r in cur.fetchall()]

    def _job(self, job_id: str) -> BulkJob:
        stream_id = BulkJob.create_id(job_id)
        cached = self._running_jobs.get(job_id)
        if cached is not None:
            # The Submitted event holds the whole target set: fold only what is new.
            for stored in self.recorder.select_events(stream_id, gt=cached.version):
                self.mapper.to_domain_event(stored).mutate(cached)  # type: ignore[attr-defined]
            return cached
        stream = self.store.select_streams([stream_id])
        events = next(iter(stream.values()))
        if not events:
            raise NotFound(f"job {job_id} not found")
        job: BulkJob = self._fold(events)
        return job

    def run_job_batch(self, job_id: str) -> bool:
        """Apply the next batch of a job, saved with its progress; False once finished."""

        learned: list[GuardFailed] = []  # what this batch's guards found, across retries

        def attempt() -> bool:
            job = self._job(job_id)
            if job.finished:
                return False
            batch = job.next_batch(self.settings.batch_size)
            action = LeadAction(job.action)
            params = parse_params(action, job.params)
            meta = Meta(actor=job.actor, correlation_id=job.job_id, at=utcnow())
            run = ActionRun(
                self,
                job.account_id,
                action,
                params,
                meta,
                merged=job.merged,
                list_id=job.new_list_id,
            )
            for failed in learned:
                run.learn(failed)
            outcome = run.decide(batch)
            job.record_batch(
                count=len(batch),
                updated=outcome.updated,
                deleted=outcome.deleted,
                errors=outcome.errors,
                merged=outcome.merged,
                new_list_id=outcome.new_list_id,
                at=meta.at,
            )
            try:
                self.save(job, *outcome.to_save, guards=outcome.guards)
            except BaseException:
                self._running_jobs.pop(job_id, None)  # holds the unsaved batch
                raise
            if job.finished:
                self._running_jobs.pop(job_id, None)
            else:
                self._running_jobs[job_id] = job
            return not job.finished

        return self._retrying(attempt, on_guard=lambda failed: learned.append(failed))

    def fail_job(self, job_id: str, reason: str) -> None:
        """Mark a job failed, saying why (a runner hit an error it cannot get past)."""

        self._running_jobs.pop(job_id, None)

        def attempt() -> None:
            job = self._job(job_id)
            job.fail(reason, utcnow())
            self.save(job)

        self._retrying(attempt)

    def claim_lease(self, name: str, owner: str, ttl: float) -> bool:
        """Hold `name` for `owner` for `ttl` seconds (one runner per job or projection)."""
        return self.store.claim_lease(name, owner, ttl, time.time())

    def release_lease(self, name: str, owner: str) -> None:
        """Give a lease up."""
        self.store.release_lease(name, owner)

    def edit_lead(
        self,
        account_id: int,
        lead_id: int,
        campaign_id: int | None,
        changes: dict[str, Any],
        meta: Meta,
        *,
        replace: bool = False,
        list_id: int | None = None,
        time_zone_option: str | None = None,
        duplicate_handling: str | None = None,
    ) -> dict[str, Any]:
        """Edit a lead's contact fields and settings (PUT replaces, PATCH merges).

        `campaign_id` and `list_id`, when given, must be the lead's (an edit moves no
        lead); `time_zone_option` NOT_APPLICABLE clears its time zone; with
        `duplicate_handling` REMOVE_ALL_EXISTING (REMOVE_FROM_LIST) a new phone another
        live lead of the campaign (list) has is a Conflict and nothing changes.
        """
        checked = _check_edit(changes)
        if time_zone_option in ("NPA_NXX", "ZIPCODE"):
            raise InvalidRequest(
                f"timezoneOption {time_zone_option} needs lookup data this server does not "
                "ship yet; use EXPLICIT (send leadTimezone) or NOT_APPLICABLE (clears it)"
            )
        if time_zone_option == "NOT_APPLICABLE":
            if checked.get("leadTimezone") is not None:
                raise InvalidRequest(
                    "timezoneOption NOT_APPLICABLE clears the lead's time zone: "
                    "send no leadTimezone with it"
                )
            checked["leadTimezone"] = None

        def attempt() -> None:
            lead = self._lead(account_id, lead_id)
            if campaign_id is not None and lead.campaign_id != campaign_id:
                raise NotFound(f"lead {lead_id} not found in campaign {campaign_id}")
            if list_id is not None and lead.list_id != list_id:
                raise InvalidRequest(
                    f"lead {lead_id} is in list {lead.list_id}, not {list_id}: an edit moves "
                    "no lead; use the lead action MOVE_TO_CAMPAIGN"
                )
            wanted = dict(checked)
            if replace:
                for name in lead_search.CONTACT_COLUMNS:
                    wanted.setdefault(name, None)
            phone_before = lead.phone
            lead.edit(wanted, meta)
            guards = []
            if duplicate_handling in ("REMOVE_ALL_EXISTING", "REMOVE_FROM_LIST") and (
                lead.phone and lead.phone != phone_before
            ):
                in_list = lead.list_id if duplicate_handling == "REMOVE_FROM_LIST" else None
                guards.append(
                    phones_not_in_campaign(
                        self.store,
                        self.tables,
                        account_id,
                        lead.campaign_id,
                        [lead.phone],
                        [lead.lead_id],
                        list_id=in_list,
                    )
                )
            try:
                self.save(lead, guards=guards)
            except GuardFailed:
                where = "list" if duplicate_handling == "REMOVE_FROM_LIST" else "campaign"
                raise Conflict(
                    f"another lead of this {where} has the phone {lead.phone} "
                    f"(duplicateHandling {duplicate_handling}): nothing was changed"
                ) from None

        self._retrying(attempt)
        return self.get_lead(account_id, lead_id)

    @staticmethod
    def lead_states() -> list[str]:
        """The lead states, hyphen spelling."""
        return [s.value for s in LeadState]

    @staticmethod
    def system_dispositions() -> list[str]:
        """The system dispositions."""
        return list(SYSTEM_DISPOSITIONS)

    def accounts(self) -> list[int]:
        """Every account the store knows: with lists (hence leads), campaign settings, or
        an API key bound to it."""
        found: set[int] = set()
        with self.store.read() as cur:
            for model in ("lead_lists", "campaigns"):
                cur.execute(
                    f"SELECT DISTINCT account_id FROM {self.store.qualify(self.tables[model])}"
                )
                found.update(int(row_value(r, 0, "account_id")) for r in cur.fetchall())
        found.update(int(k.account) for k in self.api_keys.list_keys() if k.account.isdigit())
        return sorted(found)


def _check_edit(changes: dict[str, Any]) -> dict[str, Any]:
    check_edit_fields(changes)
    out: dict[str, Any] = {}
    for key, value in changes.items():
        if key in ("leadPriority", "maxPasses"):
            if (value is None and key == "leadPriority") or (
                value is not None
                and (
                    isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**31 - 1
                )
            ):
                raise InvalidRequest(f"{key} must be a whole number (int32)")
            if key == "maxPasses" and value is not None and value < 1:
                raise InvalidRequest("maxPasses must be 1 or more")
        elif key == "extendedLeadData":
            if value is not None and not isinstance(value, dict):
                raise InvalidRequest("extendedLeadData must be an object")
        elif value is not None and not isinstance(value, str):
            if isinstance(value, int | float) and not isinstance(value, bool):
                value = str(value)
            else:
                raise InvalidRequest(f"{key} must be a string")
        out[key] = value
    return out


def new_meta(actor: str, correlation_id: str | None = None) -> Meta:
    """A Meta stamped now, with a fresh correlation id unless one is given."""
    return Meta(actor=actor, correlation_id=correlation_id or uuid.uuid4().hex, at=utcnow())


__all__ = ["ActionResult", "CampaignSettings", "LeadstateApp", "new_meta"]
