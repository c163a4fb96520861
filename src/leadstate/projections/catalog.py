"""Small synchronous read models: lists, and campaigns' pass settings."""

from __future__ import annotations

import json
from typing import Any

from leadstate.domain import Campaign, LeadList
from leadstate.domain.job import BulkJob
from leadstate.persistence.base import micros

LIST_COLUMNS = ("list_id", "account_id", "campaign_id", "name", "created_at")
JOB_COLUMNS = (
    "job_id",
    "account_id",
    "lead_action",
    "status",
    "total",
    "processed",
    "update_count",
    "delete_count",
    "error_count",
    "errors",
    "failure",
    "submitted_at",
    "finished_at",
)
CAMPAIGN_COLUMNS = ("campaign_key", "account_id", "campaign_id", "max_passes", "pass_delay_min")


def list_row(lead_list: LeadList) -> tuple[Any, ...]:
    """The row of a list."""
    return (
        lead_list.list_id,
        lead_list.account_id,
        lead_list.campaign_id,
        lead_list.name,
        micros(lead_list.created_at),
    )


def campaign_key(account_id: int, campaign_id: int) -> str:
    """The key of a campaign's row."""
    return f"{account_id}:{campaign_id}"


def campaign_row(campaign: Campaign) -> tuple[Any, ...]:
    """The row of a campaign's settings."""
    return (
        campaign_key(campaign.account_id, campaign.campaign_id),
        campaign.account_id,
        campaign.campaign_id,
        campaign.max_passes,
        campaign.pass_delay_min,
    )


def job_row(job: BulkJob) -> tuple[Any, ...]:
    """The row of a bulk job (leadIds and reasons only: no personal data)."""
    return (
        job.job_id,
        job.account_id,
        job.action,
        job.status,
        job.total,
        job.processed,
        job.update_count,
        job.delete_count,
        job.error_count,
        json.dumps(job.errors),
        job.failure,
        micros(job.submitted_at),
        micros(job.finished_at),
    )
