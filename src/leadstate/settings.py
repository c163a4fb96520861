"""Configuration from the environment (SPEC §9), built once and passed down."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every `LEADSTATE_*` variable the service reads."""

    model_config = SettingsConfigDict(env_prefix="LEADSTATE_", extra="ignore")

    db: str = Field(
        default="./var/leadstate.db",
        description="A SQLite file path, or a postgresql://user:pass@host:port/db URL.",
    )
    pg_schema: str = Field(default="public", description="PostgreSQL schema for every table.")
    pg_random_page_cost: float | None = Field(
        default=1.1,
        gt=0,
        description="PostgreSQL: the planner's cost of a random page read in this service's "
        "sessions (the server's default, 4, is for spinning disks and makes it walk a whole "
        "table in leadId order rather than seek a campaign's leads); empty: the server's.",
    )
    sqlite_synchronous: str = Field(
        default="NORMAL",
        description="SQLite durability: NORMAL (WAL; a power cut may lose the last "
        "commits, never corrupts) or FULL (fsync every commit; slower writes).",
    )
    workers: int = Field(
        default_factory=lambda: os.cpu_count() or 1,
        ge=1,
        le=64,
        description="`leadstate serve` processes answering HTTP (default: one per core); "
        "each also runs the background workers, which leases keep to one at a time.",
    )
    api_key_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=300,
        description="Seconds a process trusts an API key it authenticated (0: check every "
        "request); a revocation in another process is honoured within this time.",
    )
    smtp_url: str = Field(default="smtp://127.0.0.1:25")
    public_url: str = Field(default="http://127.0.0.1:8000")
    export_ttl: int = Field(default=86_400, ge=1, le=86_400)
    smtp_from: str = Field(default="leadstate@localhost", description="Sender of export emails.")
    smtp_timeout: float = Field(default=10.0, gt=0, description="Seconds per SMTP operation.")
    outbox_retry_max: float = Field(
        default=300.0, gt=0, description="Longest wait (seconds) between tries while SMTP is down."
    )
    run_export_workers: bool = Field(
        default=True, description="Send export emails and write large exports in `serve`."
    )
    bulk_sync_limit: int = Field(default=1_000, ge=1)
    batch_size: int = Field(
        default=500, ge=1, le=10_000, description="Leads per transaction in bulk actions."
    )
    job_batch_pause_ms: int = Field(
        default=0,
        ge=0,
        description="Pause between a job's batches (tests use it to stop a job half-way).",
    )
    job_lease_seconds: float = Field(
        default=15.0,
        gt=0,
        description="How long a runner holds a job without renewing before another may take it.",
    )
    compact_interval_seconds: float = Field(
        default=300.0,
        gt=0,
        description="SQLite: after deletions, VACUUM the file at most this often, so no "
        "free page keeps a deleted lead's data.",
    )
    run_jobs: bool = Field(default=True, description="Run bulk jobs inside `leadstate serve`.")
    run_projections: bool = Field(
        default=True,
        description="Follow the asynchronous read models inside `leadstate serve` (one "
        "process at a time leads; the others stand by).",
    )
    dialer_refresh_wait_seconds: float = Field(
        default=10.0,
        ge=0,
        description="How long DIALER_REFRESH waits for every read model to reach the log's head.",
    )
    max_rows: int = Field(default=10_000, description="Largest page a search may ask for.")
    max_load_leads: int = Field(default=10_000, description="Most leads per loader request.")
    max_selection: int = Field(
        default=1_000_000, ge=1, description="Most leads one action may select (else 400)."
    )
    rate_limit_per_second: float = Field(
        default=0.0, ge=0, description="Requests per second per account and process (0: off)."
    )
    rate_limit_burst: int = Field(
        default=0, ge=0, description="Requests an account may save up (0: twice the rate)."
    )
    idempotency_wait_seconds: float = Field(
        default=30.0, gt=0, description="How long a retry waits for its first request to end."
    )
    log_level: str = Field(default="INFO", description="Level of `leadstate serve`'s JSON logs.")
    rebuild_page_size: int = Field(
        default=50_000,
        ge=1,
        description="Events read per page (and rows written per transaction) by projection "
        "rebuilds, the asynchronous follower and `leadstate verify`.",
    )
    rebuild_workers: int = Field(
        default=0,
        ge=0,
        le=64,
        description="Processes that scan the log in parallel in a rebuild (0: one per CPU, "
        "up to 4, when the log holds 200,000 events or more; else 1).",
    )

    @field_validator("sqlite_synchronous")
    @classmethod
    def _sync_mode(cls, value: str) -> str:
        mode = value.upper()
        if mode not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError("must be OFF, NORMAL, FULL or EXTRA")
        return mode

    @property
    def is_postgres(self) -> bool:
        """True when `db` is a PostgreSQL URL."""
        return self.db.startswith(("postgresql://", "postgres://"))

    def sqlite_path(self) -> Path:
        """The SQLite file (its folder is created when missing)."""
        path = Path(self.db)
        path.parent.mkdir(parents=True, exist_ok=True)
        return path
