"""Campaign pass settings and lead lists (SPEC §1), each an aggregate of its own."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from leadstate.domain.errors import InvalidRequest

CAMPAIGN_NAMESPACE = UUID("0b7e4c9e-51d4-4f51-8f0e-9d4f3c2a7e21")
LIST_NAMESPACE = UUID("a4d8e2f1-7c3b-4e6a-9b1d-2f5c8e0a6d34")

DEFAULT_MAX_PASSES = 3
DEFAULT_PASS_DELAY_MIN = 60


class Campaign(Aggregate):
    """A campaign's pass settings; campaign ids are the client's, scoped by account."""

    @staticmethod
    def create_id(account_id: int, campaign_id: int) -> UUID:
        """The stream id of campaign `campaign_id` of account `account_id`."""
        return uuid5(CAMPAIGN_NAMESPACE, f"campaign:{account_id}:{campaign_id}")

    @event("Configured")
    def __init__(
        self, account_id: int, campaign_id: int, max_passes: int, pass_delay_min: int, actor: str
    ) -> None:
        self.account_id = account_id
        self.campaign_id = campaign_id
        self.max_passes = max_passes
        self.pass_delay_min = pass_delay_min

    @staticmethod
    def check_settings(max_passes: int, pass_delay_min: int) -> None:
        """Raise InvalidRequest unless both settings are sane."""
        if not 1 <= max_passes <= 1000:
            raise InvalidRequest("maxPasses must be between 1 and 1000")
        if not 0 <= pass_delay_min <= 525_600:
            raise InvalidRequest("passDelayMin must be between 0 and 525600 minutes")

    def change_settings(self, max_passes: int, pass_delay_min: int, actor: str) -> bool:
        """Change the pass settings; False if nothing changes."""
        self.check_settings(max_passes, pass_delay_min)
        if (max_passes, pass_delay_min) == (self.max_passes, self.pass_delay_min):
            return False
        self._change(max_passes=max_passes, pass_delay_min=pass_delay_min, actor=actor)
        return True

    @event("SettingsChanged")
    def _change(self, max_passes: int, pass_delay_min: int, actor: str) -> None:
        self.max_passes = max_passes
        self.pass_delay_min = pass_delay_min


class LeadList(Aggregate):
    """A list of leads: created by the loader or by MOVE with LIST_ID 0; never deleted."""

    @staticmethod
    def create_id(list_id: int) -> UUID:
        """The stream id of list `list_id` (listIds are unique in the service)."""
        return uuid5(LIST_NAMESPACE, f"list:{list_id}")

    @event("Created")
    def __init__(
        self,
        list_id: int,
        account_id: int,
        campaign_id: int,
        name: str,
        at: datetime,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.list_id = list_id
        self.account_id = account_id
        self.campaign_id = campaign_id
        self.name = name
        self.created_at = at
