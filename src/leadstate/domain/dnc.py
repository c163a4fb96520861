"""The do-not-call list (SPEC §4): one small aggregate per phone of an account.

An entry is created by the event that puts the phone on the list (a manual pass with
DO_NOT_CALL, or a dial attempt with APP_DNC) and saved in the same transaction as that
lead event. It names no lead and carries no contact data but the phone itself: a
do-not-call request outlives the lead by design, so deleting the lead leaves it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from leadstate.domain.values import normalize_phone

DNC_NAMESPACE = UUID("c3b5d0e2-8a41-4f7c-b9e6-1d2a7f4c8e53")

SOURCE_MANUAL_PASS = "MANUAL_PASS"
SOURCE_APP_DNC = "APP_DNC"


def dnc_key(account_id: int, phone: str) -> str:
    """The key of an account's entry for `phone` (digits, SPEC §1 phone rules)."""
    return f"{account_id}:{normalize_phone(phone)}"


class DncEntry(Aggregate):
    """One phone on one account's do-not-call list."""

    @staticmethod
    def create_id(account_id: int, phone: str) -> UUID:
        """The stream id of `phone` on account `account_id`'s list."""
        return uuid5(DNC_NAMESPACE, f"dnc:{dnc_key(account_id, phone)}")

    @event("Added")
    def __init__(self, account_id: int, phone: str, source: str, at: datetime, actor: str) -> None:
        self.account_id = account_id
        self.phone = phone
        self.source = source
        self.added_at = at

    @classmethod
    def add(cls, account_id: int, phone: str, source: str, at: datetime, actor: str) -> DncEntry:
        """A new entry for `phone` (normalised); the caller checks it is not listed yet."""
        digits = normalize_phone(phone)
        if not digits:
            raise ValueError("a do-not-call entry needs a phone")
        return cls(account_id=account_id, phone=digits, source=source, at=at, actor=actor)

    @property
    def key(self) -> str:
        """The read-model key of this entry."""
        return dnc_key(self.account_id, self.phone)
