"""Export downloads: `GET /exports/{token}`, the link an EMAIL_LEADS email holds.

No bearer token: the signed link is the credential (SPEC §6). A forged or unknown link
is a 404, one whose time is up or whose export was withdrawn a 410; neither says more.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import StreamingResponse

from leadstate.api.deps import ExportsDep
from leadstate.api.errors import ApiError
from leadstate.api.schemas import ErrorResponse
from leadstate.application.export_links import LinkGone, LinkUnknown

router = APIRouter(tags=["Exports"])


@router.get(
    "/exports/{token}",
    operation_id="downloadExport",
    summary="Download an export (the link from its email)",
    response_class=StreamingResponse,
    responses={
        200: {
            "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
            "description": "A ZIP holding one CSV.",
        },
        404: {"model": ErrorResponse, "description": "No such export link."},
        410: {"model": ErrorResponse, "description": "The link is no longer available."},
        "4XX": {"model": ErrorResponse, "description": "Another client error."},
    },
)
def download_export(
    exports: ExportsDep,
    token: Annotated[str, Path(description="The token of the emailed link.")],
) -> StreamingResponse:
    """The export's ZIP (one CSV of the matched leads, the search view's columns),
    streamed. Works for `LEADSTATE_EXPORT_TTL` seconds after the email was sent."""
    try:
        found = exports.open_link(token)
    except LinkUnknown as error:
        raise ApiError(404, error.message) from None
    except LinkGone as error:
        raise ApiError(410, error.message) from None
    headers = {
        "Content-Disposition": f'attachment; filename="{found.filename}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if found.size:
        headers["Content-Length"] = str(found.size)
    return StreamingResponse(found.chunks, media_type="application/zip", headers=headers)
