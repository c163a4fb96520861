"""Read models: how events become rows (write path, rebuilds, the follower), their
queries, their bookkeeping. Never imports the application or the faces."""
