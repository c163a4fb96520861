-- read model: dnc
-- version: 1
-- mode: synchronous (written in the same transaction as the lead event that adds it)
-- Each account's do-not-call list: one row per DncEntry aggregate (a phone, digits).
-- It names no lead and outlives the leads (SPEC §4).
CREATE TABLE IF NOT EXISTS {table} (
    dnc_key TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    phone TEXT NOT NULL,
    source TEXT NOT NULL,
    added_at BIGINT NOT NULL
);
CREATE INDEX IF NOT EXISTS {name}_phone ON {table} (account_id, phone);
