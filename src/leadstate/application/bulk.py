"""Lead actions over selections (SPEC §2, §7): now for small selections, as a bulk job
above `LEADSTATE_BULK_SYNC_LIMIT`; each batch saved with its events (and a job's
progress) in one transaction."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from typing import Any, Protocol

from leadstate.application.batch import ActionRun, BatchOutcome, Withdraw
from leadstate.application.secrets import Secrets
from leadstate.application.service import Writes
from leadstate.application.views import ActionResult, job_view
from leadstate.domain import ActionParams, InvalidRequest, LeadAction, Meta, NotFound, utcnow
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.job import BulkJob, LeadIds
from leadstate.persistence.base import GuardFailed
from leadstate.projections.queries import Queries
from leadstate.requests.criteria import criteria_record
from leadstate.requests.params import params_record, parse_params


class Selecting(Protocol):
    """What selects an action's leads."""

    def matching_ids(self, account_id: int, criteria: SearchCriteria) -> list[int]: ...


class Exporting(Protocol):
    """What EMAIL_LEADS hands its export to."""

    def request(
        self, account_id: int, params: ActionParams, criteria: SearchCriteria, meta: Meta
    ) -> ActionResult: ...


class BulkActions:
    """Every lead action but the single-lead edits: decided in batches, saved atomically."""

    def __init__(
        self,
        writes: Writes,
        queries: Queries,
        secrets: Secrets,
        selecting: Selecting,
        exporting: Exporting,
        withdraw: Withdraw,
        refresh: Callable[[], bool],
        *,
        batch_size: int,
        bulk_sync_limit: int,
    ) -> None:
        self.writes = writes
        self.queries = queries
        self.secrets = secrets
        self.selecting = selecting
        self.exporting = exporting
        self.withdraw = withdraw
        self.refresh = refresh
        self.batch_size = batch_size
        self.bulk_sync_limit = bulk_sync_limit
        self._running_jobs: dict[str, BulkJob] = {}  # job id -> aggregate, between batches
        self.job_listeners: list[Callable[[], None]] = []  # told when a job is submitted

    # -- one request -------------------------------------------------------------------

    def check_action(
        self, account_id: int, action: LeadAction, params: ActionParams, criteria: SearchCriteria
    ) -> None:
        """What a request can be refused for before anything happens (SPEC §2)."""
        if action is not LeadAction.DIALER_REFRESH and not criteria.has_selector():
            raise InvalidRequest(
                "an action needs at least one selecting criterion besides 'suppressed'; "
                "to act on every lead of a campaign, give campaignIds"
            )
        if action is LeadAction.MOVE_TO_CAMPAIGN and params.list_id:
            target = self.queries.list_row(params.list_id)
            if (
                target is None
                or target["account_id"] != account_id
                or target["campaign_id"] != params.campaign_id
            ):
                raise InvalidRequest(
                    f"LIST_ID {params.list_id} is not a list of campaign {params.campaign_id}"
                )

    def apply_action(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        criteria: SearchCriteria,
        meta: Meta,
        progress: Callable[[int, int], None] | None = None,
    ) -> ActionResult:
        """Apply a lead action to every lead the criteria select, in batches, now."""
        result = self._act(account_id, action, params, criteria, meta, progress)
        assert isinstance(result, ActionResult)
        return result

    def perform_action(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        criteria: SearchCriteria,
        meta: Meta,
    ) -> ActionResult | dict[str, Any]:
        """An action as the API runs it: small selections now, large ones as a job (the
        job's view is answered)."""
        return self._act(account_id, action, params, criteria, meta, as_job_above_limit=True)

    def _act(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        criteria: SearchCriteria,
        meta: Meta,
        progress: Callable[[int, int], None] | None = None,
        *,
        as_job_above_limit: bool = False,
    ) -> ActionResult | dict[str, Any]:
        self.check_action(account_id, action, params, criteria)
        if action is LeadAction.DIALER_REFRESH:
            return ActionResult(action=action, dialer_refreshed=self.refresh())
        if action is LeadAction.EMAIL_LEADS:  # large exports are written in the background
            return self.exporting.request(account_id, params, criteria, meta)
        given = sorted(set(criteria.lead_ids))
        if criteria.only_lead_ids() and len(given) <= self.bulk_sync_limit:
            # No search: the batch's own read of the leads passes over missing ids.
            return self._apply(account_id, action, params, given, meta, progress, unselected=True)
        targets = self.selecting.matching_ids(account_id, criteria)
        if as_job_above_limit and len(targets) > self.bulk_sync_limit:
            return self._submit(account_id, action, params, criteria, targets, meta)
        return self._apply(account_id, action, params, targets, meta, progress)

    def _run(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        meta: Meta,
        *,
        merged: set[int] | None = None,
        list_id: int | None = None,
        unselected: bool = False,
    ) -> ActionRun:
        return ActionRun(
            self.queries,
            self.writes.allocate,
            self.withdraw,
            account_id,
            action,
            params,
            meta,
            merged=merged,
            list_id=list_id,
            unselected=unselected,
        )

    def _apply(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        targets: list[int],
        meta: Meta,
        progress: Callable[[int, int], None] | None = None,
        *,
        unselected: bool = False,
    ) -> ActionResult:
        result = ActionResult(action=action, total=len(targets))
        run = self._run(account_id, action, params, meta, unselected=unselected)
        for start in range(0, len(targets), self.batch_size):
            batch = targets[start : start + self.batch_size]

            def attempt(batch: list[int] = batch) -> BatchOutcome:
                outcome = run.decide(batch)
                self.writes.save(
                    *outcome.to_save,
                    guards=outcome.guards,
                    shared=outcome.shared,
                    rows=outcome.rows,
                )
                return outcome

            outcome = self.writes.retrying(attempt, on_guard=run.learn)
            run.commit(outcome, result)
            result.processed += len(batch) - outcome.absent
            if progress:
                progress(result.processed, result.total)
        return result

    # -- jobs --------------------------------------------------------------------------

    def submit_job(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        criteria: SearchCriteria,
        meta: Meta,
    ) -> dict[str, Any]:
        """Fix the target set of a bulk action now; a runner applies it in batches."""
        self.check_action(account_id, action, params, criteria)
        if action in (LeadAction.DIALER_REFRESH, LeadAction.EMAIL_LEADS):
            raise InvalidRequest(f"{action.value} does not run as a job")
        targets = self.selecting.matching_ids(account_id, criteria)
        return self._submit(account_id, action, params, criteria, targets, meta)

    def _submit(
        self,
        account_id: int,
        action: LeadAction,
        params: ActionParams,
        criteria: SearchCriteria,
        targets: list[int],
        meta: Meta,
    ) -> dict[str, Any]:
        job = BulkJob(
            job_id=uuid.uuid4().hex,
            account_id=account_id,
            action=action.value,
            params=params_record(action, params),
            criteria_hash=self.hash_criteria(criteria),
            targets=LeadIds(targets),
            actor=meta.actor,
            correlation_id=meta.correlation_id,
            at=meta.at,
        )
        job.complete_if_empty(meta.at)
        self.writes.save(job)
        for listener in self.job_listeners:
            listener()
        return self.get_job(account_id, job.job_id)

    def hash_criteria(self, criteria: SearchCriteria) -> str:
        """A keyed hash of the criteria: jobs never store personal data in clear."""
        canonical = json.dumps(criteria_record(criteria), sort_keys=True, default=str).encode()
        return self.secrets.hexdigest("criteria-hash", canonical)

    def get_job(self, account_id: int, job_id: str) -> dict[str, Any]:
        """A job's status and progress (SPEC §6 job object)."""
        return job_view(self.queries.job_row(account_id, job_id))

    def unfinished_jobs(self) -> list[str]:
        """Jobs still queued or running, oldest first."""
        return self.queries.unfinished_jobs()

    def _job(self, job_id: str) -> BulkJob:
        cached = self._running_jobs.get(job_id)
        if cached is not None:
            # The Submitted event holds the whole target set: fold only what is new.
            for event in self.writes.history(cached.id, cached.version):
                event.mutate(cached)
            return cached
        job = self.writes.load(BulkJob.create_id(job_id))
        if not isinstance(job, BulkJob):
            raise NotFound(f"job {job_id} not found")
        return job

    def run_job_batch(self, job_id: str) -> bool:
        """Apply the next batch of a job, saved with its progress; False once finished."""
        learned: list[GuardFailed] = []  # what this batch's guards found, across retries

        def attempt() -> bool:
            job = self._job(job_id)
            if job.finished:
                return False
            batch = job.next_batch(self.batch_size)
            action = LeadAction(job.action)
            meta = Meta(actor=job.actor, correlation_id=job.job_id, at=utcnow())
            run = self._run(
                job.account_id,
                action,
                parse_params(action, job.params),
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
                self.writes.save(
                    job,
                    *outcome.to_save,
                    guards=outcome.guards,
                    shared=outcome.shared,
                    rows=outcome.rows,
                )
            except BaseException:
                self._running_jobs.pop(job_id, None)  # holds the unsaved batch
                raise
            if job.finished:
                self._running_jobs.pop(job_id, None)
            else:
                self._running_jobs[job_id] = job
            return not job.finished

        more: bool = self.writes.retrying(attempt, on_guard=learned.append)
        return more

    def fail_job(self, job_id: str, reason: str) -> None:
        """Mark a job failed, saying why (a runner hit an error it cannot get past)."""
        self._running_jobs.pop(job_id, None)

        def attempt() -> None:
            job = self._job(job_id)
            job.fail(reason, utcnow())
            self.writes.save(job)

        self.writes.retrying(attempt)
