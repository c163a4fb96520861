-- read model: lead_search
-- version: 2
-- mode: synchronous (written in the same transaction as the events)
-- One row per live lead: the current status searched by SPEC §3. Times are UTC
-- microseconds since the epoch. No column holds a cancelled or paused lead's prior state.
-- Each *_key column holds NFC(casefold(NFD(value))) of the column before it: the key
-- exact, case-insensitive criteria compare (SPEC §3), computed by the service.
CREATE TABLE IF NOT EXISTS {table} (
    lead_id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    list_id BIGINT NOT NULL,
    extern_id TEXT NOT NULL,
    title TEXT,
    first_name TEXT,
    mid_name TEXT,
    last_name TEXT,
    suffix TEXT,
    address1 TEXT,
    address2 TEXT,
    city TEXT,
    state TEXT,
    zip TEXT,
    email TEXT,
    lead_phone TEXT,
    lead_phone_e164 TEXT,
    aux_phone TEXT,
    gate_keeper TEXT,
    aux_data1 TEXT,
    aux_data2 TEXT,
    aux_data3 TEXT,
    aux_data4 TEXT,
    aux_data5 TEXT,
    extended_lead_data TEXT,
    phone_norm TEXT NOT NULL,
    lead_state TEXT NOT NULL,
    lead_passes INTEGER NOT NULL,
    max_passes INTEGER,
    next_dial_time BIGINT,
    last_pass_dts BIGINT,
    last_pass_disposition TEXT,
    agent_disposition TEXT,
    last_pass_agent_id BIGINT,
    suppressed BOOLEAN NOT NULL,
    pending_agent_id BIGINT,
    lead_priority INTEGER NOT NULL,
    lead_timezone TEXT,
    caller_id TEXT,
    loaded_dts BIGINT NOT NULL,
    state_dts BIGINT NOT NULL,
    original_lead_id BIGINT,
    version INTEGER NOT NULL,
    first_name_key TEXT,
    last_name_key TEXT,
    address1_key TEXT,
    address2_key TEXT,
    city_key TEXT,
    zip_key TEXT,
    email_key TEXT,
    aux_data1_key TEXT,
    aux_data2_key TEXT,
    aux_data3_key TEXT,
    aux_data4_key TEXT,
    aux_data5_key TEXT,
    state_key TEXT,
    caller_id_key TEXT,
    agent_disposition_key TEXT,
    last_pass_disposition_key TEXT,
    lead_timezone_key TEXT
);
CREATE INDEX IF NOT EXISTS {name}_phone ON {table} (account_id, phone_norm);
CREATE INDEX IF NOT EXISTS {name}_extern ON {table} (account_id, extern_id);
CREATE INDEX IF NOT EXISTS {name}_campaign_state ON {table} (account_id, campaign_id, lead_state, lead_id);
CREATE INDEX IF NOT EXISTS {name}_list ON {table} (list_id);
CREATE INDEX IF NOT EXISTS {name}_account ON {table} (account_id, lead_id);
