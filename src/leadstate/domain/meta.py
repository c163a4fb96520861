"""Who asked for a change, and whether an event's contact data was erased."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import uuid4

from leadstate.domain.values import utcnow

# Set by the persistence layer on events whose contact data was crypto-shredded.
ERASED_MARKER = "__erased__"


@dataclass(frozen=True)
class Meta:
    """Who asked for a change, and under which request or job."""

    actor: str
    correlation_id: str
    at: datetime

    @classmethod
    def now(cls, actor: str, correlation_id: str | None = None) -> Meta:
        """A Meta stamped now, with a fresh correlation id unless one is given."""
        return cls(actor=actor, correlation_id=correlation_id or uuid4().hex, at=utcnow())


def is_erased(contact: Mapping[str, Any]) -> bool:
    """True when the contact data of an event was crypto-shredded."""
    return bool(contact.get(ERASED_MARKER))
