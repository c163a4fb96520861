"""The `eventsourcing.Application` of leadstate: saving, retrying, loading aggregates.

Everything else in `leadstate.application` is a collaborator that receives `Writes` (the
save, retry and load functions of this one object) and the read-side `Queries`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, DomainEventProtocol
from eventsourcing.persistence import (
    ApplicationRecorder,
    InfrastructureFactory,
    IntegrityError,
    Mapper,
    RecordConflictError,
    StoredEvent,
)
from eventsourcing.utils import Environment

from leadstate import metrics
from leadstate.domain import Conflict, Lead
from leadstate.persistence.base import Changes, Guard, GuardFailed, TableChanges
from leadstate.persistence.crypto import new_key
from leadstate.persistence.engine import LOG_NAME, Engine
from leadstate.projections.sync import SyncProjection

T = TypeVar("T")

RETRY_SECONDS = 15.0  # how long a command keeps retrying version conflicts (then 409)
GUARD_RETRIES = 100  # decisions a command may remake after its guards found newer state


class LeadstateApp(Application[UUID]):
    """Leads, lists, campaigns, jobs, DNC entries and exports, event-sourced; every save
    writes the synchronous read models' rows in the events' transaction."""

    name = LOG_NAME

    def __init__(self, engine: Engine, projection: SyncProjection) -> None:
        self.engine = engine
        self.projection = projection
        self.deleted_since_compaction = False
        self.last_compaction = 0.0
        super().__init__({"CREATE_TABLE": "no"})

    # The library builds its parts from these: the engine already has them.
    def construct_factory(self, env: Environment) -> InfrastructureFactory[Any]:
        """The engine's factory."""
        return self.engine.factory

    def construct_mapper(self) -> Mapper[UUID]:
        """The engine's mapper (contact data sealed per lead)."""
        return self.engine.mapper

    def construct_recorder(self) -> ApplicationRecorder:
        """The engine's recorder (read-model rows in the events' transaction)."""
        recorder: ApplicationRecorder = self.engine.recorder
        return recorder

    # -- saving ----------------------------------------------------------------------

    def save(  # type: ignore[override]
        self,
        *objs: Aggregate | DomainEventProtocol[UUID] | None,
        guards: Sequence[Guard] = (),
        shared: Sequence[tuple[UUID, int, DomainEventProtocol[UUID]]] = (),
        rows: Sequence[TableChanges] = (),
    ) -> None:
        """Save aggregates with their read-model rows and key changes, atomically, once
        `guards` found the shared state they check unchanged (else `GuardFailed`).

        `shared` adds events decided for many streams at once (stream, version, event:
        one event object, encoded once, for every stream it was decided for) and `rows`
        their read-model changes, in the same transaction."""
        aggregates = [o for o in objs if isinstance(o, Aggregate)]
        changes: Changes = self.projection.changes_for(aggregates)
        changes.guards = list(guards)
        changes.tables.extend(rows)
        changes.new_keys = {  # written with the leads' first events, in their transaction
            a.id: new_key()
            for a in aggregates
            if isinstance(a, Lead)
            and a.pending_events
            and a.pending_events[0].originator_version == 1
        }
        self.engine.keyring.hold(changes.new_keys)
        # Collected by hand: the library's collect_events() spends a fifth of a bulk
        # action in isinstance() checks against runtime Protocols.
        events: list[DomainEventProtocol[UUID]] = []
        for aggregate in aggregates:
            events.extend(aggregate.collect_events())
        events.extend(o for o in objs if o is not None and not isinstance(o, Aggregate))
        stored = [self.mapper.to_stored_event(e) for e in events]
        encoded: dict[int, StoredEvent] = {}
        for stream_id, version, event in shared:
            once = encoded.get(id(event))
            if once is None:
                once = encoded[id(event)] = self.mapper.to_stored_event(event)
            stored.append(StoredEvent(stream_id, version, once.topic, once.state))
        try:
            self.recorder.insert_events(stored, changes=changes)
        except BaseException:
            self.engine.keyring.forget(changes.new_keys)
            raise
        metrics.count_events([*events, *(event for _, _, event in shared)])
        if changes.shred:
            self.engine.keyring.forget(changes.shred)
            self.deleted_since_compaction = True

    def retrying(
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

    def compact_if_due(self, min_interval: float) -> bool:
        """After deletions, rewrite the storage so that no free page keeps a deleted lead's
        data (SPEC §5), at most once per `min_interval` seconds."""
        if not self.deleted_since_compaction:
            return False
        now = time.monotonic()
        if now - self.last_compaction < min_interval:
            return False
        self.deleted_since_compaction = False
        self.last_compaction = now
        return self.engine.store.compact()

    # -- reading aggregates ----------------------------------------------------------

    def load(self, stream_id: UUID) -> Any:
        """One aggregate folded from its events (None when it has none)."""
        return self.engine.load(stream_id)

    def history(self, stream_id: UUID, after: int = 0) -> list[Any]:
        """A stream's events after version `after`, decoded."""
        return self.engine.history(stream_id, after)

    def allocate(self, counter: str, count: int) -> int:
        """`count` consecutive new ids of `counter` (leadIds, listIds); the first."""
        return self.engine.store.allocate(counter, count)

    def writes(self) -> Writes:
        """What collaborators need of this object."""
        return Writes(self.save, self.retrying, self.load, self.history, self.allocate)


@dataclass(frozen=True)
class Writes:
    """What a collaborator needs of the application: save, retry on conflicts, load an
    aggregate or a stream's history, allocate ids."""

    save: Callable[..., Any]
    retrying: Callable[..., Any]
    load: Callable[[UUID], Any]
    history: Callable[[UUID, int], list[Any]]
    allocate: Callable[[str, int], int]
