-- read model: jobs
-- version: 1
-- mode: synchronous
-- Bulk jobs: status and progress, for GET .../jobs/{jobId} and for resuming on start.
CREATE TABLE IF NOT EXISTS {table} (
    job_id TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    lead_action TEXT NOT NULL,
    status TEXT NOT NULL,
    total BIGINT NOT NULL,
    processed BIGINT NOT NULL,
    update_count BIGINT NOT NULL,
    delete_count BIGINT NOT NULL,
    error_count BIGINT NOT NULL,
    errors TEXT NOT NULL,
    failure TEXT,
    submitted_at BIGINT NOT NULL,
    finished_at BIGINT
);
CREATE INDEX IF NOT EXISTS {name}_status ON {table} (status);
