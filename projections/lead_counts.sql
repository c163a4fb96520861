-- read model: lead_counts
-- version: 1
-- mode: asynchronous (follows the log from ls_projections.position; one follower at a time)
-- How many live leads each account has per campaign, list, state and suppression.
-- {table_members} holds each live lead's bucket, so that an event can move a lead from
-- one bucket to another (decrement the old, increment the new) exactly once.
CREATE TABLE IF NOT EXISTS {table} (
    account_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    list_id BIGINT NOT NULL,
    lead_state TEXT NOT NULL,
    suppressed BOOLEAN NOT NULL,
    lead_count BIGINT NOT NULL,
    PRIMARY KEY (account_id, campaign_id, list_id, lead_state, suppressed)
);
CREATE TABLE IF NOT EXISTS {table_members} (
    lead_id BIGINT PRIMARY KEY,
    account_id BIGINT NOT NULL,
    campaign_id BIGINT NOT NULL,
    list_id BIGINT NOT NULL,
    lead_state TEXT NOT NULL,
    suppressed BOOLEAN NOT NULL
);
