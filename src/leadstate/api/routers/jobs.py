"""Bulk jobs (extension)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from leadstate.api.auth import API_PREFIX, ReadKey
from leadstate.api.deps import AccountId, ActionsDep
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import Job

router = APIRouter(prefix=f"{API_PREFIX}/jobs", tags=["Jobs"], responses=API_ERRORS)


@router.get(
    "/{jobId}",
    name="get_job",
    operation_id="getJob",
    summary="A bulk job's status and progress",
    response_model=Job,
    response_model_exclude_none=True,
)
def get_job(
    key: ReadKey,
    account: AccountId,
    actions: ActionsDep,
    jobId: Annotated[str, Path(max_length=64, description="The job's id.")],
) -> Job:
    """Status (`queued`, `running`, `done`, `failed`), leads processed of the total, the
    result so far and the skipped leads. Scope `leads:read`."""
    return Job.model_validate(actions.get_job(account, jobId))
