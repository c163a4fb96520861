"""Leads and campaigns one at a time: search, one lead now or as it was, edits, campaign
pass settings, the accounts the store knows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadstate.application.guards import phones_not_in_campaign
from leadstate.application.service import Writes
from leadstate.application.views import CampaignSettings, erased, lead_view
from leadstate.domain import (
    DEFAULT_MAX_PASSES,
    DEFAULT_PASS_DELAY_MIN,
    SYSTEM_DISPOSITIONS,
    Campaign,
    Conflict,
    InvalidRequest,
    Lead,
    LeadState,
    Meta,
    NotFound,
)
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.edits import EditOptions, LeadEdit
from leadstate.persistence.apikeys import ApiKeys
from leadstate.persistence.base import GuardFailed
from leadstate.projections import lead_search
from leadstate.projections.queries import Queries


def event_time(domain_event: Any) -> datetime:
    """When an event happened: its action's time (`at`), else when it was recorded."""
    at = getattr(domain_event, "at", None)
    moment: datetime = at if isinstance(at, datetime) else domain_event.timestamp
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class Leads:
    """Single-lead queries and commands of every account."""

    def __init__(
        self,
        writes: Writes,
        queries: Queries,
        api_keys: ApiKeys,
        *,
        max_rows: int,
        max_selection: int,
    ) -> None:
        self.writes = writes
        self.queries = queries
        self.api_keys = api_keys
        self.max_rows = max_rows
        self.max_selection = max_selection

    # -- queries -------------------------------------------------------------------------

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
        if not 1 <= max_rows <= self.max_rows:
            raise InvalidRequest(f"maxRows must be between 1 and {self.max_rows}")
        rows = self.queries.search(
            account_id,
            criteria,
            order=lead_search.order_by(sort),
            limit=max_rows,
            offset=page * max_rows,
        )
        return self.views(rows)

    def views(self, rows: list[Any]) -> list[dict[str, Any]]:
        """Lead views of these rows, with their lists' names."""
        names = self.queries.list_names(r["list_id"] for r in rows)
        return [lead_view(r, names.get(r["list_id"])) for r in rows]

    def count(self, account_id: int, criteria: SearchCriteria) -> int:
        """How many leads match."""
        return self.queries.count(account_id, criteria)

    def matching_ids(self, account_id: int, criteria: SearchCriteria) -> list[int]:
        """Every matching leadId, in leadId order (more than `max_selection`: a 400)."""
        ids = self.queries.matching_ids(account_id, criteria, self.max_selection + 1)
        if len(ids) > self.max_selection:
            raise InvalidRequest(
                f"the criteria select more than {self.max_selection} leads, the most one action "
                "may change (LEADSTATE_MAX_SELECTION); narrow them, e.g. by campaignIds or listIds"
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
            return self.views([self.queries.lead_row(account_id, lead_id)])[0]
        return self._as_it_was(account_id, lead_id, version=version, as_of=as_of)

    def _as_it_was(
        self, account_id: int, lead_id: int, *, version: int | None, as_of: datetime | None
    ) -> dict[str, Any]:
        decoded = self.writes.history(Lead.create_id(lead_id), 0)
        if not decoded or getattr(decoded[0], "account_id", None) != account_id:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        last = decoded[-1].originator_version
        if version is not None and version > last:
            raise NotFound(f"lead {lead_id} has no version {version}: its last version is {last}")
        if as_of is not None and as_of.tzinfo is None:
            as_of = as_of.replace(tzinfo=UTC)
        lead: Lead | None = None
        for domain_event in decoded:
            if version is not None and domain_event.originator_version > version:
                break
            if as_of is not None and event_time(domain_event) > as_of:
                break
            lead = domain_event.mutate(lead)
        if lead is None:
            assert as_of is not None
            raise NotFound(
                f"lead {lead_id} did not exist yet at {as_of.isoformat()}: it was loaded at "
                f"{event_time(decoded[0]).isoformat()}"
            )
        row = dict(zip(lead_search.COLUMNS, lead_search.row_for(lead), strict=True))
        view = lead_view(row, self.queries.list_names([lead.list_id]).get(lead.list_id))
        view["deleted"] = lead.deleted
        view["version"] = lead.version
        return erased(view) if lead.personal_data_erased else view

    def _live_lead(self, account_id: int, lead_id: int) -> Lead:
        lead = self.writes.load(Lead.create_id(lead_id))
        if not isinstance(lead, Lead) or lead.account_id != account_id or lead.deleted:
            raise NotFound(f"lead {lead_id} not found in account {account_id}")
        return lead

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
        found = self.queries.accounts()
        found.update(int(k.account) for k in self.api_keys.list_keys() if k.account.isdigit())
        return sorted(found)

    # -- edits ---------------------------------------------------------------------------

    def edit_lead(
        self,
        account_id: int,
        lead_id: int,
        edit: LeadEdit,
        meta: Meta,
        options: EditOptions = EditOptions(),
        *,
        replace: bool = False,
    ) -> dict[str, Any]:
        """Edit a lead's contact fields and settings (PUT replaces, PATCH merges).

        The options' `campaign_id` and `list_id`, when given, must be the lead's (an
        edit moves no lead); `time_zone_option` NOT_APPLICABLE clears its time zone; with
        `duplicate_handling` REMOVE_ALL_EXISTING (REMOVE_FROM_LIST) a new phone another
        live lead of the campaign (list) has is a Conflict and nothing changes.
        """
        campaign_id, list_id = options.campaign_id, options.list_id
        time_zone_option = options.time_zone_option
        duplicate_handling = options.duplicate_handling
        if replace:
            edit = edit.replacing_contact()
        if time_zone_option in ("NPA_NXX", "ZIPCODE"):
            raise InvalidRequest(
                f"timezoneOption {time_zone_option} needs lookup data this server does not "
                "ship yet; use EXPLICIT (send leadTimezone) or NOT_APPLICABLE (clears it)"
            )
        if time_zone_option == "NOT_APPLICABLE":
            edit = edit.clearing_time_zone()

        def attempt() -> None:
            lead = self._live_lead(account_id, lead_id)
            if campaign_id is not None and lead.campaign_id != campaign_id:
                raise NotFound(f"lead {lead_id} not found in campaign {campaign_id}")
            if list_id is not None and lead.list_id != list_id:
                raise InvalidRequest(
                    f"lead {lead_id} is in list {lead.list_id}, not {list_id}: an edit moves "
                    "no lead; use the lead action MOVE_TO_CAMPAIGN"
                )
            phone_before = lead.phone
            lead.edit(edit, meta)
            guards = []
            if duplicate_handling in ("REMOVE_ALL_EXISTING", "REMOVE_FROM_LIST") and (
                lead.phone and lead.phone != phone_before
            ):
                in_list = lead.list_id if duplicate_handling == "REMOVE_FROM_LIST" else None
                guards.append(
                    phones_not_in_campaign(
                        self.queries,
                        account_id,
                        lead.campaign_id,
                        [lead.phone],
                        [lead.lead_id],
                        list_id=in_list,
                    )
                )
            try:
                self.writes.save(lead, guards=guards)
            except GuardFailed:
                where = "list" if duplicate_handling == "REMOVE_FROM_LIST" else "campaign"
                raise Conflict(
                    f"another lead of this {where} has the phone {lead.phone} "
                    f"(duplicateHandling {duplicate_handling}): nothing was changed"
                ) from None

        self.writes.retrying(attempt)
        return self.get_lead(account_id, lead_id)

    # -- campaigns -----------------------------------------------------------------------

    def get_campaign_settings(self, account_id: int, campaign_id: int) -> CampaignSettings:
        """A campaign's pass settings (defaults until changed)."""
        row = self.queries.campaign_row(account_id, campaign_id)
        if row is None:
            return CampaignSettings(campaign_id, DEFAULT_MAX_PASSES, DEFAULT_PASS_DELAY_MIN)
        return CampaignSettings(campaign_id, int(row["max_passes"]), int(row["pass_delay_min"]))

    def set_campaign_settings(
        self, account_id: int, campaign_id: int, max_passes: int, pass_delay_min: int, actor: str
    ) -> CampaignSettings:
        """Change a campaign's pass settings."""
        Campaign.check_settings(max_passes, pass_delay_min)

        def attempt() -> CampaignSettings:
            campaign = self.writes.load(Campaign.create_id(account_id, campaign_id))
            if isinstance(campaign, Campaign):
                campaign.change_settings(max_passes, pass_delay_min, actor)
            else:
                campaign = Campaign(
                    account_id=account_id,
                    campaign_id=campaign_id,
                    max_passes=max_passes,
                    pass_delay_min=pass_delay_min,
                    actor=actor,
                )
            self.writes.save(campaign)
            return CampaignSettings(campaign_id, campaign.max_passes, campaign.pass_delay_min)

        result: CampaignSettings = self.writes.retrying(attempt)
        return result
