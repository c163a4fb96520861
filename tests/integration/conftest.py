"""Integration fixtures: the service on each backend (`tests.backends`)."""

from tests.backends import app, backend, make_app, pg_schema, settings

__all__ = ["app", "backend", "make_app", "pg_schema", "settings"]
