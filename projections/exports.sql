-- read model: exports
-- version: 1
-- mode: synchronous (written in the same transaction as the Export's events)
-- One row per EMAIL_LEADS export: status, counts and when each recipient's email left
-- (sent_at / failed: JSON lists by recipient number). No addresses, no criteria, no
-- lead data. The file, the export's leadIds and the outbox are tables of their own
-- (ls_export_files, ls_export_leads, ls_outbox): data, not derived from events.
CREATE TABLE IF NOT EXISTS {table} (
    export_id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    status TEXT NOT NULL,
    matched BIGINT NOT NULL,
    row_count BIGINT,
    file_size BIGINT,
    recipients INTEGER NOT NULL,
    sent_at TEXT NOT NULL,
    failed TEXT NOT NULL,
    link_ttl INTEGER NOT NULL,
    requested_at BIGINT NOT NULL,
    ready_at BIGINT,
    closed_at BIGINT,
    reason TEXT,
    version INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS {name}_status ON {table} (status);
