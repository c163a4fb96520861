"""A mapper that seals each event's `contact` with its lead's own key."""

from __future__ import annotations

from typing import Any, cast
from uuid import UUID

from eventsourcing.domain import DomainEventProtocol
from eventsourcing.persistence import Mapper, StoredEvent
from eventsourcing.utils import get_topic

from leadstate.domain import ERASED_MARKER
from leadstate.persistence.crypto import Keyring, decrypt_contact, encrypt_contact, is_sealed


class KeyMissingError(RuntimeError):
    """A lead's key is needed to write its contact data, but there is none."""


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
            lead_uuid = state["originator_id"]
            key = self.keyring.get(lead_uuid)
            state["contact"] = (
                {ERASED_MARKER: True}
                if key is None
                else decrypt_contact(key, lead_uuid, cast(dict[str, Any], contact))
            )
        return domain_event
