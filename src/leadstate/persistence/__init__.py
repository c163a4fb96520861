"""Storage: what the library does not do for us, one module per engine where they differ
(stores, recorders), and the infrastructure tables (keys, leases, counters, idempotency,
export files, the outbox). Never imports anything above it but the settings."""
