"""Campaign pass settings (extension)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Path

from leadstate.api.auth import API_PREFIX, ReadKey, WriteKey
from leadstate.api.bodies import CampaignSettingsUpdate
from leadstate.api.deps import AccountId, LeadsDep
from leadstate.api.routers import API_ERRORS
from leadstate.api.schemas import INT32_MAX, CampaignSettingsView
from leadstate.application.views import campaign_settings

router = APIRouter(prefix=f"{API_PREFIX}/campaigns", tags=["Campaigns"], responses=API_ERRORS)

CampaignIdPath = Annotated[int, Path(ge=1, le=INT32_MAX, description="The campaign's id.")]


@router.get(
    "/{campaignId}/settings",
    operation_id="getCampaignSettings",
    summary="A campaign's pass settings",
    response_model=CampaignSettingsView,
)
def get_campaign_settings(
    key: ReadKey, account: AccountId, leads: LeadsDep, campaignId: CampaignIdPath
) -> CampaignSettingsView:
    """`maxPasses` and `passDelayMin` (defaults 3 and 60 until set). Scope `leads:read`."""
    return CampaignSettingsView.model_validate(
        campaign_settings(leads.get_campaign_settings(account, campaignId))
    )


@router.put(
    "/{campaignId}/settings",
    operation_id="putCampaignSettings",
    summary="Change a campaign's pass settings",
    response_model=CampaignSettingsView,
)
def put_campaign_settings(
    key: WriteKey,
    account: AccountId,
    leads: LeadsDep,
    campaignId: CampaignIdPath,
    settings: Annotated[CampaignSettingsUpdate, Body()],
) -> CampaignSettingsView:
    """Set `maxPasses` (1 to 1000) and `passDelayMin` (0 to 525600 minutes), both
    required. Scope `leads:write`."""
    changed = leads.set_campaign_settings(
        account, campaignId, settings.maxPasses, settings.passDelayMin, actor=key.key_id
    )
    return CampaignSettingsView.model_validate(campaign_settings(changed))
