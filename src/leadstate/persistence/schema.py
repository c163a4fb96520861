"""The infrastructure tables: everything beside the library's log that is not a read model.

Read models are defined by the top-level `projections/*.sql`; these tables hold data
and bookkeeping that no replay of the log can rebuild (keys, counters, leases, secrets,
API keys, idempotency records, export files and their outbox, rebuild progress). They
are created by the explicit migrate step, never by building an object.
"""

from __future__ import annotations

from leadstate.persistence.base import Store
from leadstate.persistence.tables import (
    API_KEYS,
    COUNTERS,
    EXPORT_FILES,
    EXPORT_LEADS,
    IDEMPOTENCY,
    IDEMPOTENCY_LEADS,
    LEAD_KEYS,
    LEASES,
    OUTBOX,
    PROJECTION_ERRORS,
    PROJECTIONS,
    REBUILD_PARTS,
    REBUILDS,
    SECRETS,
)


def infrastructure_sql(store: Store) -> str:
    """The DDL of every infrastructure table (idempotent)."""
    q = store.qualify
    blob = store.blob
    return f"""
    CREATE TABLE IF NOT EXISTS {q(LEAD_KEYS)} (
        lead_uuid TEXT PRIMARY KEY, data_key {blob} NOT NULL);
    CREATE TABLE IF NOT EXISTS {q(COUNTERS)} (
        name TEXT PRIMARY KEY, next_value BIGINT NOT NULL);
    CREATE TABLE IF NOT EXISTS {q(PROJECTIONS)} (
        name TEXT PRIMARY KEY, version INTEGER NOT NULL, table_name TEXT NOT NULL,
        position BIGINT NOT NULL DEFAULT 0, status TEXT NOT NULL DEFAULT 'live');
    CREATE TABLE IF NOT EXISTS {q(LEASES)} (
        name TEXT PRIMARY KEY, owner TEXT NOT NULL, expires_at DOUBLE PRECISION NOT NULL);
    CREATE TABLE IF NOT EXISTS {q(SECRETS)} (
        name TEXT PRIMARY KEY, secret TEXT NOT NULL);
    CREATE TABLE IF NOT EXISTS {q(API_KEYS)} (
        key_id TEXT PRIMARY KEY, token_hash TEXT NOT NULL, account TEXT NOT NULL,
        scopes TEXT NOT NULL, name TEXT NOT NULL, created_at BIGINT NOT NULL,
        revoked_at BIGINT);
    CREATE TABLE IF NOT EXISTS {q(IDEMPOTENCY)} (
        account_id BIGINT NOT NULL, idem_key TEXT NOT NULL,
        request_hash TEXT NOT NULL, owner TEXT NOT NULL, status TEXT NOT NULL,
        response_status INTEGER, response_headers TEXT, response_body {blob},
        created_at DOUBLE PRECISION NOT NULL,
        PRIMARY KEY (account_id, idem_key));
    CREATE INDEX IF NOT EXISTS {IDEMPOTENCY}_created ON {q(IDEMPOTENCY)} (created_at);
    CREATE TABLE IF NOT EXISTS {q(IDEMPOTENCY_LEADS)} (
        lead_uuid TEXT NOT NULL, account_id BIGINT NOT NULL, idem_key TEXT NOT NULL,
        PRIMARY KEY (lead_uuid, account_id, idem_key));
    CREATE INDEX IF NOT EXISTS {IDEMPOTENCY_LEADS}_record
        ON {q(IDEMPOTENCY_LEADS)} (account_id, idem_key);
    CREATE TABLE IF NOT EXISTS {q(EXPORT_FILES)} (
        export_id TEXT NOT NULL, seq INTEGER NOT NULL, data {blob} NOT NULL,
        PRIMARY KEY (export_id, seq));
    CREATE TABLE IF NOT EXISTS {q(EXPORT_LEADS)} (
        export_id TEXT NOT NULL, lead_id BIGINT NOT NULL, PRIMARY KEY (export_id, lead_id));
    CREATE INDEX IF NOT EXISTS {EXPORT_LEADS}_lead ON {q(EXPORT_LEADS)} (lead_id);
    CREATE TABLE IF NOT EXISTS {q(OUTBOX)} (
        outbox_id TEXT PRIMARY KEY, export_id TEXT NOT NULL, recipient_no INTEGER NOT NULL,
        recipient TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL,
        next_attempt_at DOUBLE PRECISION NOT NULL, last_error TEXT,
        created_at DOUBLE PRECISION NOT NULL, sent_at DOUBLE PRECISION);
    CREATE INDEX IF NOT EXISTS {OUTBOX}_due ON {q(OUTBOX)} (status, next_attempt_at);
    CREATE INDEX IF NOT EXISTS {OUTBOX}_export ON {q(OUTBOX)} (export_id);
    CREATE TABLE IF NOT EXISTS {q(REBUILDS)} (
        table_name TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        version INTEGER NOT NULL,
        status TEXT NOT NULL,
        phase TEXT NOT NULL,
        horizon BIGINT NOT NULL DEFAULT 0,
        cursor TEXT NOT NULL DEFAULT '',
        position BIGINT NOT NULL DEFAULT 0,
        done BIGINT NOT NULL DEFAULT 0,
        total BIGINT NOT NULL DEFAULT 0,
        rate DOUBLE PRECISION NOT NULL DEFAULT 0,
        started_at DOUBLE PRECISION NOT NULL,
        updated_at DOUBLE PRECISION NOT NULL,
        drop_after DOUBLE PRECISION,
        error TEXT);
    CREATE TABLE IF NOT EXISTS {q(REBUILD_PARTS)} (
        table_name TEXT NOT NULL,
        part INTEGER NOT NULL,
        cursor TEXT NOT NULL,
        upto TEXT NOT NULL,
        done BIGINT NOT NULL DEFAULT 0,
        finished INTEGER NOT NULL DEFAULT 0,
        error TEXT,
        PRIMARY KEY (table_name, part));
    CREATE TABLE IF NOT EXISTS {q(PROJECTION_ERRORS)} (
        name TEXT PRIMARY KEY, error TEXT NOT NULL, at DOUBLE PRECISION NOT NULL)
    """
