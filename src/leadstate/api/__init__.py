"""The HTTP API: Engage Voice compatible lead endpoints and leadstate's extensions."""

from leadstate.api.app import create_app

__all__ = ["create_app"]
