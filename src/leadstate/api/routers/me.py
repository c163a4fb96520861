"""The calling API key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from leadstate.api.auth import ME_PATH, AnyKey, require_scope
from leadstate.api.deps import KeysDep
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import ApiKeyView
from leadstate.application import views

router = APIRouter(tags=["Keys"], responses=API_ERRORS)


@router.get(ME_PATH, operation_id="getMe", summary="The calling key", response_model=ApiKeyView)
def get_me(
    key: AnyKey,
    api_keys: KeysDep,
    keyId: Annotated[
        str | None, Query(max_length=64, description="Another key's id (scope `admin`).")
    ] = None,
) -> ApiKeyView:
    """The calling key's id, accounts and scopes; any valid key may ask about itself.
    With `keyId` naming another key, scope `admin`."""
    if keyId is None or keyId == key.key_id:
        return ApiKeyView.model_validate(views.api_key(key))
    require_scope(key, "admin")
    return ApiKeyView.model_validate(views.api_key(api_keys.get(keyId)))
