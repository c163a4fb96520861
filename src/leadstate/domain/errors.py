"""Domain errors: each carries a message meant for the person who sent the request."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidRequest(DomainError):
    """Bad input: unknown action, missing or mistyped parameter, bad date (HTTP 400)."""


class NotFound(DomainError):
    """No such lead, list or campaign in this account (HTTP 404)."""


class Conflict(DomainError):
    """The request cannot apply to the current state (HTTP 409)."""


class Skipped(DomainError):
    """An action may not touch this lead; the others proceed (SPEC §2)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
