"""The vendor's request vocabulary parsed once into typed domain values: search criteria,
action params (and a bulk job's stored record of them), loader requests, dial attempts.
The API and the CLI parse with these; the domain never parses wire dicts."""
