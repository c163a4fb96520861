"""The names of the infrastructure tables (their DDL: `persistence.schema`)."""

LEAD_KEYS = "ls_lead_keys"  # one data key per lead: contact data is sealed with it
COUNTERS = "ls_counters"  # id allocation, the swap generation, SQLite's writer lock row
PROJECTIONS = "ls_projections"  # each read model's live table, version and position
PROJECTION_ERRORS = "ls_projection_errors"  # why a read model stopped
REBUILDS = "ls_rebuilds"  # blue/green builds and their progress
REBUILD_PARTS = "ls_rebuild_parts"  # a build's parallel scan parts
LEASES = "ls_leases"
SECRETS = "ls_secrets"
API_KEYS = "ls_api_keys"
IDEMPOTENCY = "ls_idempotency"
IDEMPOTENCY_LEADS = "ls_idempotency_leads"
# Data, not derived from events (never rebuilt): an export's stored ZIP in chunks, the
# leadIds each export holds (for DELETE_LEADS, SPEC §5) and the email outbox.
EXPORT_FILES = "ls_export_files"
EXPORT_LEADS = "ls_export_leads"
OUTBOX = "ls_outbox"
# Rows of ls_counters that are not id counters.
GENERATION = "rm_generation"  # bumped whenever a read model's live table changes
