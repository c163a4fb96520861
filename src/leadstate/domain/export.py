"""An EMAIL_LEADS export (SPEC §4, §5) as an aggregate: its request, file and links.

Lifecycle: `selecting` (requested; its leads are being picked) → `writing` (the ZIP is
being written) → `ready` (stored; one email per recipient leaves through the outbox) →
`withdrawn` (a lead in it was deleted) or `purged` (no link can be used any more); or
`failed`. Each recipient's link works for `link_ttl` seconds from when that recipient's
email was sent. The events hold no personal data in clear: recipients are the caller's
addresses, criteria come with personal-data values replaced by a keyed hash, and the
leads are only counted (their ids live in a table of their own).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid5

from eventsourcing.domain import Aggregate, event

from leadstate.domain.errors import Conflict

EXPORT_NAMESPACE = UUID("9a4e6c1d-2f8b-4d3a-a7e5-6b0c9d1f2e84")

MAX_LINK_TTL = 86_400


class ExportStatus:
    """Where an export is in its life."""

    SELECTING = "selecting"
    WRITING = "writing"
    READY = "ready"
    WITHDRAWN = "withdrawn"
    PURGED = "purged"
    FAILED = "failed"

    CLOSED = frozenset({WITHDRAWN, PURGED, FAILED})


class LinkState:
    """What a recipient's link answers."""

    USABLE = "usable"
    UNKNOWN = "unknown"  # never issued: 404
    GONE = "gone"  # no longer available: 410


class Export(Aggregate):
    """One export of matched leads, mailed as links to its recipients."""

    @staticmethod
    def create_id(export_id: str) -> UUID:
        """The stream id of export `export_id`."""
        return uuid5(EXPORT_NAMESPACE, f"export:{export_id}")

    @event("Requested")
    def __init__(
        self,
        export_id: str,
        account_id: int,
        recipients: list[str],
        criteria: dict[str, Any],
        matched: int,
        link_ttl: int,
        at: datetime,
        actor: str,
        correlation_id: str,
    ) -> None:
        self.export_id = export_id
        self.account_id = account_id
        self.recipients = list(recipients)
        self.criteria = criteria
        self.matched = matched
        self.link_ttl = link_ttl
        self.requested_at = at
        self.status = ExportStatus.SELECTING
        self.row_count: int | None = None
        self.file_size: int | None = None
        self.ready_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.reason: str | None = None
        self.sent_at: list[datetime | None] = [None] * len(recipients)
        self.failed: list[str | None] = [None] * len(recipients)

    @classmethod
    def request(
        cls,
        export_id: str,
        account_id: int,
        recipients: list[str],
        criteria: dict[str, Any],
        matched: int,
        link_ttl: int,
        at: datetime,
        actor: str,
        correlation_id: str,
    ) -> Export:
        """A new export (links last at most a day: SPEC §4 promises "within 24 hours")."""
        if not recipients:
            raise ValueError("an export needs at least one recipient")
        if not 1 <= link_ttl <= MAX_LINK_TTL:
            raise ValueError(f"link_ttl must be 1 to {MAX_LINK_TTL} seconds")
        return cls(
            export_id=export_id,
            account_id=account_id,
            recipients=recipients,
            criteria=criteria,
            matched=matched,
            link_ttl=link_ttl,
            at=at,
            actor=actor,
            correlation_id=correlation_id,
        )

    # -- reading -----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once withdrawn, purged or failed: no link works and no file is kept."""
        return self.status in ExportStatus.CLOSED

    def link_deadline(self, recipient_no: int) -> datetime | None:
        """When a recipient's link stops working (None: its email has not gone yet)."""
        sent = self.sent_at[recipient_no]
        return None if sent is None else sent + timedelta(seconds=self.link_ttl)

    def link_state(self, recipient_no: int, now: datetime) -> str:
        """What recipient `recipient_no`'s link answers at `now`."""
        if not 0 <= recipient_no < len(self.recipients):
            return LinkState.UNKNOWN
        if self.status in (ExportStatus.WITHDRAWN, ExportStatus.PURGED):
            return LinkState.GONE
        if self.status != ExportStatus.READY:
            return LinkState.UNKNOWN  # no link was ever issued
        if self.failed[recipient_no] is not None:
            return LinkState.GONE
        deadline = self.link_deadline(recipient_no)
        if deadline is not None and now >= deadline:
            return LinkState.GONE
        return LinkState.USABLE

    def unusable(self, now: datetime) -> bool:
        """True when no recipient's link can be used any more (the file may be purged)."""
        if self.status != ExportStatus.READY:
            return self.closed
        return all(self.link_state(n, now) == LinkState.GONE for n in range(len(self.recipients)))

    # -- commands ----------------------------------------------------------------------

    def leads_selected(self, row_count: int, at: datetime) -> None:
        """Its leads were picked (their ids stored beside it); the file is written next."""
        if self.status != ExportStatus.SELECTING:
            raise Conflict(f"export {self.export_id} is {self.status}, not selecting")
        self._selected(row_count=row_count, at=at)

    @event("LeadsSelected")
    def _selected(self, row_count: int, at: datetime) -> None:
        self.status = ExportStatus.WRITING
        self.row_count = row_count

    def file_stored(self, row_count: int, file_size: int, sha256: str, at: datetime) -> None:
        """The ZIP is stored: the export is ready and its emails may leave."""
        if self.status != ExportStatus.WRITING:
            raise Conflict(f"export {self.export_id} is {self.status}, not being written")
        self._stored(row_count=row_count, file_size=file_size, sha256=sha256, at=at)

    @event("FileStored")
    def _stored(self, row_count: int, file_size: int, sha256: str, at: datetime) -> None:
        self.status = ExportStatus.READY
        self.row_count = row_count
        self.file_size = file_size
        self.ready_at = at

    def link_sent(self, recipient_no: int, at: datetime) -> bool:
        """Recipient `recipient_no`'s email went out at `at`; False if already recorded."""
        if self.sent_at[recipient_no] is not None or self.failed[recipient_no] is not None:
            return False
        self._sent(recipient_no=recipient_no, at=at)
        return True

    @event("LinkSent")
    def _sent(self, recipient_no: int, at: datetime) -> None:
        self.sent_at = [at if n == recipient_no else s for n, s in enumerate(self.sent_at)]

    def link_failed(self, recipient_no: int, reason: str, at: datetime) -> bool:
        """The email to `recipient_no` cannot be delivered (a permanent SMTP refusal)."""
        if self.sent_at[recipient_no] is not None or self.failed[recipient_no] is not None:
            return False
        self._link_failed(recipient_no=recipient_no, reason=reason, at=at)
        return True

    @event("LinkFailed")
    def _link_failed(self, recipient_no: int, reason: str, at: datetime) -> None:
        self.failed = [reason if n == recipient_no else f for n, f in enumerate(self.failed)]

    def withdraw(self, reason: str, at: datetime, actor: str, correlation_id: str) -> bool:
        """Withdraw and purge it (a lead in it was deleted); False if already closed."""
        if self.closed:
            return False
        self._withdraw(reason=reason, at=at, actor=actor, correlation_id=correlation_id)
        return True

    @event("Withdrawn")
    def _withdraw(self, reason: str, at: datetime, actor: str, correlation_id: str) -> None:
        self.status = ExportStatus.WITHDRAWN
        self.closed_at = at
        self.reason = reason

    def purge(self, at: datetime) -> bool:
        """Purge the file once no link can use it; False if some link still can."""
        if self.closed or not self.unusable(at):
            return False
        self._purge(at=at)
        return True

    @event("Purged")
    def _purge(self, at: datetime) -> None:
        self.status = ExportStatus.PURGED
        self.closed_at = at
        self.reason = "no link can be used any more"

    def fail(self, reason: str, at: datetime) -> bool:
        """Give up on an export that could not be selected or written."""
        if self.closed or self.status == ExportStatus.READY:
            return False
        self._fail(reason=reason, at=at)
        return True

    @event("Failed")
    def _fail(self, reason: str, at: datetime) -> None:
        self.status = ExportStatus.FAILED
        self.closed_at = at
        self.reason = reason
