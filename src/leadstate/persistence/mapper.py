"""A mapper that seals each event's `contact` with its lead's own key."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from leadstate.domain import ERASED_MARKER
from leadstate.persistence.crypto import Keyring, decrypt_contact, encrypt_contact, is_sealed


class KeyMissingError(RuntimeError):
    """A lead's key is needed to write its contact data, but there is none."""


class SealedContact(Mapping[str, Any]):
    """Contact data that is decrypted on first use, so bulk paths that never read it
    (most actions) never pay for it. Once the key is gone it reads as erased."""

    __slots__ = ("_keyring", "_lead_uuid", "_opened", "_sealed")

    def __init__(self, keyring: Keyring, lead_uuid: UUID, sealed: dict[str, Any]) -> None:
        self._keyring = keyring
        self._lead_uuid = lead_uuid
        self._sealed = sealed
        self._opened: dict[str, Any] | None = None

    def _open(self) -> dict[str, Any]:
        if self._opened is None:
            key = self._keyring.get(self._lead_uuid)
            self._opened = (
                {ERASED_MARKER: True}
                if key is None
                else decrypt_contact(key, self._lead_uuid, self._sealed)
            )
        return self._opened

    def __getitem__(self, name: str) -> Any:
        return self._open()[name]

    def get(self, name: str, default: Any = None) -> Any:
        """One field; faster than Mapping.get, which goes through a KeyError per miss."""
        return self._open().get(name, default)

    def copy(self) -> dict[str, Any]:
        """The opened contact data as a plain dict (decrypted once)."""
        return dict(self._open())

    def __iter__(self) -> Iterator[str]:
        return iter(self._open())

    def __len__(self) -> int:
        return len(self._open())

    def __repr__(self) -> str:
        return "SealedContact(...)"


class ShreddingMapper(Mapper[UUID]):
    """Encrypts the `contact` attribute of events with a per-lead key (SPEC §5).

    Decoding an event whose key was destroyed yields `{ERASED_MARKER: True}` in place
    of the contact data: the history stays, the personal data is gone.
    """

    keyring: Keyring

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        """Encode, sealing `contact` when the event carries any."""
        event_state = dict(vars(domain_event))
        originator_id = event_state.pop("originator_id")
        originator_version = event_state.pop("originator_version")
        contact = event_state.get("contact")
        if isinstance(contact, SealedContact):
            contact = dict(contact)
        if contact:
            key = self.keyring.get(originator_id)
            if key is None:
                raise KeyMissingError(f"no data key for stream {originator_id}")
            event_state["contact"] = encrypt_contact(key, originator_id, contact)
        class_version = getattr(type(domain_event), "class_version", 1)
        if class_version > 1:
            event_state["class_version"] = class_version
        stored_state = self.transcoder.encode(event_state)
        return StoredEvent(
            originator_id=originator_id,
            originator_version=originator_version,
            topic=get_topic(type(domain_event)),
            state=stored_state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        """Decode, opening `contact` with the lead's key or marking it erased."""
        domain_event = super().to_domain_event(stored_event)
        state: dict[str, Any] = domain_event.__dict__
        contact = state.get("contact")
        if is_sealed(contact):
            state["contact"] = SealedContact(
                self.keyring, state["originator_id"], cast(dict[str, Any], contact)
            )
        return domain_event
