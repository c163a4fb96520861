-- read model: calls
-- version: 1
-- mode: synchronous (written in the same transaction as the lead's events)
-- One row per pass of a lead: each dial attempt (DialAttemptRecorded) and each manual
-- pass (ManualPassRecorded, kind MANUAL_PASS). No personal data: ids, dispositions,
-- talk time, times. Rows stay when their lead is deleted (SPEC §4, §5).
-- call_key is '<leadId>:<version of the event>'. Times are UTC microseconds.
CREATE TABLE IF NOT EXISTS {table} (
    call_key TEXT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    lead_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    uii TEXT,
    agent_id BIGINT,
    system_disposition TEXT NOT NULL,
    agent_disposition TEXT,
    talk_time INTEGER NOT NULL,
    start_time BIGINT NOT NULL,
    recorded_at BIGINT NOT NULL,
    lead_state TEXT NOT NULL,
    lead_passes INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS {name}_time ON {table} (account_id, start_time);
CREATE INDEX IF NOT EXISTS {name}_campaign ON {table} (account_id, campaign_id, start_time);
CREATE INDEX IF NOT EXISTS {name}_agent ON {table} (account_id, agent_id, start_time);
CREATE INDEX IF NOT EXISTS {name}_lead ON {table} (account_id, lead_id, start_time);
CREATE INDEX IF NOT EXISTS {name}_uii ON {table} (account_id, uii);
