-- read model: lead_lists
-- version: 1
-- mode: synchronous
-- Lists by id: which account and campaign each belongs to, and its name.
CREATE TABLE IF NOT EXISTS {table} (
    list_id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS {name}_campaign ON {table} (account_id, campaign_id);
