"""Background work beside requests, on one loop (`base.Worker`): bulk jobs, the export
writer, the email outbox, the asynchronous read models. `start_workers` starts the
ones the settings ask for, one way for `leadstate serve` and the CLI."""
