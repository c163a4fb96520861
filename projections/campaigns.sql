-- read model: campaigns
-- version: 1
-- mode: synchronous
-- Campaign pass settings that differ from the defaults.
CREATE TABLE IF NOT EXISTS {table} (
    campaign_key TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    max_passes INTEGER NOT NULL,
    pass_delay_min INTEGER NOT NULL
);
