"""The root of every tier: nothing heavy here, so `make test-unit` imports no database
driver and opens nothing. The tiers that touch a database import `tests.backends`."""
