"""Read-model administration (extension, scope `admin`): status and blue/green rebuilds."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Security
from pydantic import BaseModel, Field

from leadstate.api.auth import ADMIN_PREFIX, authorized
from leadstate.api.deps import ReadModelsDep
from leadstate.api.errors import ApiError
from leadstate.api.routers import API_ERRORS
from leadstate.persistence.apikeys import ALL_ACCOUNTS, ApiKey

router = APIRouter(prefix=f"{ADMIN_PREFIX}/projections", tags=["Admin"], responses=API_ERRORS)


async def operator_key(key: Annotated[ApiKey, Security(authorized, scopes=["admin"])]) -> ApiKey:
    """An `admin` key for all accounts: read models serve every account at once."""
    if key.account != ALL_ACCOUNTS:
        raise ApiError(403, "read models serve every account: use an admin key for all accounts")
    return key


AdminKey = Annotated[ApiKey, Depends(operator_key)]


class RebuildProgress(BaseModel):
    """Where a rebuild of a read model is."""

    table: str = Field(description="The table being built beside the live one.")
    version: int = Field(description="The definition version it is built from.")
    phase: str = Field(
        description="`scan` (replaying the log), `catch-up`, `swap`, `staged` (built for a "
        "newer version, swapped in when the new code starts) or `interrupted (…)`."
    )
    done: int = Field(description="Events replayed so far.")
    total: int = Field(description="Events in the log when the rebuild started.")
    position: int = Field(description="The log position the new table has reached.")
    head: int = Field(description="The log's current last position.")
    eventsPerSecond: float = Field(description="Replay speed.")
    etaSeconds: float | None = Field(description="Seconds left at that speed (null: unknown).")
    percent: float = Field(description="`done` of `total`, in percent.")


class ProjectionView(BaseModel):
    """A read model: where it is in the log, and any rebuild of it."""

    name: str = Field(description="The read model, e.g. `lead_search`, `lead_counts`.")
    mode: Literal["synchronous", "asynchronous"] = Field(
        description="Synchronous models are written with the events; asynchronous ones "
        "follow the log."
    )
    version: int = Field(description="The version of the definition serving now.")
    table: str = Field(description="The table serving now.")
    status: Literal["live", "rebuilding", "failed"] = Field(description="Its state.")
    position: int = Field(description="The last log position applied.")
    lag: int = Field(description="Events of the log not applied yet.")
    progress: RebuildProgress | None = Field(
        description="A running, interrupted or staged rebuild (null: none)."
    )
    error: str | None = Field(description="Why it stopped, when `status` is `failed`.")

    @classmethod
    def of(cls, status: dict[str, Any]) -> ProjectionView:
        """The API view of `ReadModels.projection_status()` entries."""
        return cls.model_validate(status)


@router.get(
    "",
    operation_id="getProjections",
    summary="Every read model's status and rebuild progress",
    response_model=list[ProjectionView],
)
def get_projections(key: AdminKey, read_models: ReadModelsDep) -> list[ProjectionView]:
    """One object per read model: status, position, lag and the progress (position,
    events/s, ETA) of a rebuild. Scope `admin`."""
    return [ProjectionView.of(s) for s in read_models.projection_status()]


@router.post(
    "/{name}/rebuild",
    operation_id="rebuildProjection",
    summary="Start a blue/green rebuild of a read model",
    status_code=202,
    response_model=ProjectionView,
)
def rebuild_projection(
    key: AdminKey,
    read_models: ReadModelsDep,
    name: Annotated[str, Path(max_length=64, description="The read model's name.")],
) -> ProjectionView:
    """Replays the whole log into a fresh table while the service keeps serving from the
    old one, catches up and swaps atomically. Answers at once with the read model's
    status; follow it with `GET /admin/projections`. A rebuild already running is not
    started twice. Scope `admin`."""
    return ProjectionView.of(read_models.start_rebuild(name))
