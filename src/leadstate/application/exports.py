"""EMAIL_LEADS exports (SPEC §4, §5).

A request records an `Export` (caller, recipients, the criteria with personal-data
values replaced by a keyed hash, how many leads matched), then stores the matched
leadIds beside it in one INSERT ... SELECT (what DELETE_LEADS looks up to withdraw
exports), then writes the ZIP: pages of the read model by leadId into a temporary file
(one CSV with the search view's columns), stored in the database in 1 MiB chunks so any
server can serve it; memory stays flat whatever the size. Small exports are written
within the request; larger ones (more than `LEADSTATE_BULK_SYNC_LIMIT` leads) by the
export writer worker, which also resumes an export whose writer died. The `FileStored`
event and one outbox row per recipient commit together; the outbox sender mails the
links (`export_links`). Once no link can be used the file is purged; a deletion of a
lead the export holds withdraws and purges it at once.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import IO, Any

from leadstate.application.export_links import ExportLinks, LinkGone, LinkUnknown
from leadstate.application.service import Writes
from leadstate.application.views import LEAD_VIEW_FIELDS, ActionResult, export_view, lead_view
from leadstate.domain import ActionParams, LeadAction, Meta, NotFound, utcnow
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.export import Export, ExportStatus, LinkState
from leadstate.persistence.base import Row, micros
from leadstate.persistence.files import ExportFiles, FileGone
from leadstate.persistence.leases import Leases
from leadstate.projections.queries import Queries

log = logging.getLogger("leadstate.exports")

PAGE_ROWS = 2_000
CSV_NAME = "leads.csv"
STALE_SELECTING_SECONDS = 600.0
WRITE_LEASE_SECONDS = 60.0
WRITE_ATTEMPTS = 3


@dataclass(frozen=True)
class ExportFile:
    """A stored export ready to stream."""

    export_id: str
    filename: str
    size: int
    chunks: Iterator[bytes]


def csv_value(value: Any) -> str:
    """One CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_zip(target: IO[bytes], pages: Iterable[Iterable[dict[str, Any]]]) -> int:
    """Write one CSV of the views in `pages` into a ZIP on `target`, streaming; rows written."""
    count = 0
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
        archive.open(CSV_NAME, "w", force_zip64=True) as raw,
    ):
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(LEAD_VIEW_FIELDS)
        for page in pages:
            for view in page:
                writer.writerow([csv_value(view.get(column)) for column in LEAD_VIEW_FIELDS])
                count += 1
        text.flush()
        text.detach()
    return count


def _links_over(row: Row, now: datetime) -> bool:
    """From an exports row: True when every link is failed or past its time (the
    aggregate decides; this only spares folding the exports still in use)."""
    now_micros = micros(now) or 0
    ttl = int(row["link_ttl"]) * 1_000_000
    sent = json.loads(row["sent_at"])
    failed = json.loads(row["failed"])
    return all(
        f is not None or (s is not None and s + ttl <= now_micros)
        for s, f in zip(sent, failed, strict=True)
    )


class Exports:
    """Export requests, their files and links, withdrawal and purge."""

    def __init__(
        self,
        writes: Writes,
        queries: Queries,
        files: ExportFiles,
        leases: Leases,
        links: ExportLinks,
        *,
        link_ttl: int,
        write_now_limit: int,
    ) -> None:
        self.writes = writes
        self.queries = queries
        self.files = files
        self.leases = leases
        self.links = links
        self.link_ttl = min(link_ttl, 86_400)
        self.write_now_limit = write_now_limit
        # Called when an export needs writing in the background, or has emails to send.
        self.listeners: list[Callable[[], None]] = []

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()

    # -- aggregates --------------------------------------------------------------------

    def find(self, export_id: str) -> Export | None:
        """An export as its events make it, or None."""
        export = self.writes.load(Export.create_id(export_id))
        return export if isinstance(export, Export) else None

    def get(self, export_id: str) -> Export:
        """An export as its events make it (NotFound if there is none)."""
        export = self.find(export_id)
        if export is None:
            raise NotFound(f"export {export_id} not found")
        return export

    def _change(self, export_id: str, command: Callable[[Export], object]) -> Export:
        """Get, decide with `command`, save if it recorded anything (retried on conflict)."""

        def attempt() -> Export:
            export = self.get(export_id)
            command(export)
            if export.pending_events:
                self.writes.save(export)
            return export

        changed: Export = self.writes.retrying(attempt)
        return changed

    # -- requesting --------------------------------------------------------------------

    def request(
        self, account_id: int, params: ActionParams, criteria: SearchCriteria, meta: Meta
    ) -> ActionResult:
        """EMAIL_LEADS: record the export, fix its leads, write it now when small."""
        export = Export.request(
            export_id=uuid.uuid4().hex,
            account_id=account_id,
            recipients=list(params.email_to),
            criteria=self.links.hashed_criteria(criteria),
            matched=self.queries.count(account_id, criteria),
            link_ttl=self.link_ttl,
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )
        self.writes.save(export)
        self.queries.hold_matching(export.export_id, account_id, criteria)
        selected = self.files.held_count(export.export_id)
        now = utcnow()
        self._change(export.export_id, lambda e: e.leads_selected(selected, now))
        result = ActionResult(action=LeadAction.EMAIL_LEADS, total=selected)
        if selected <= self.write_now_limit:
            self.write(export.export_id)
            result.processed = selected
        else:
            log.info(
                "export %s of %d leads is written in the background", export.export_id, selected
            )
        self._notify()
        return result

    # -- writing -----------------------------------------------------------------------

    def _views(self, export: Export) -> Iterator[list[dict[str, Any]]]:
        """The export's leads as search views, a page at a time, by leadId."""
        names: dict[int, str] = {}
        after = 0
        while True:
            rows = self.queries.export_page(export.export_id, export.account_id, after, PAGE_ROWS)
            if not rows:
                return
            names.update(self.queries.list_names({r["list_id"] for r in rows} - set(names)))
            yield [lead_view(r, names.get(r["list_id"])) for r in rows]
            after = int(rows[-1]["lead_id"])

    def write(self, export_id: str, stop: threading.Event | None = None) -> bool:
        """Write and store an export's file, then mark it ready (its emails may leave).

        One writer at a time per export (a lease). False when there was nothing to do
        or it was withdrawn meanwhile (its partial file is dropped).
        """
        lease = self.leases.lease(f"export-write:{export_id}", WRITE_LEASE_SECONDS)
        if not lease.claim():
            return False
        try:
            return self._write(export_id, stop, lease.renew)
        finally:
            lease.release()

    def _write(
        self, export_id: str, stop: threading.Event | None, renew: Callable[[], None]
    ) -> bool:
        export = self.get(export_id)
        if export.status != ExportStatus.WRITING:
            return False

        def pages() -> Iterator[list[dict[str, Any]]]:
            for n, page in enumerate(self._views(export)):
                if stop is not None and stop.is_set():
                    raise InterruptedError(f"export {export_id} interrupted; it resumes later")
                if n % 50 == 49:
                    renew()
                yield page

        stored = self._write_file(export, pages)
        if stored is None:
            self._fail(export_id, "its leads kept being deleted while it was written")
            return False
        rows, size, sha256 = stored

        def stored_unless_withdrawn(export: Export) -> None:
            if export.status == ExportStatus.WRITING:
                export.file_stored(rows, size, sha256, utcnow())

        if self._change(export_id, stored_unless_withdrawn).status != ExportStatus.READY:
            self.files.drop_file(export_id)  # withdrawn meanwhile: its data goes at once
            return False
        self._notify()
        return True

    def _write_file(
        self, export: Export, pages: Callable[[], Iterator[list[dict[str, Any]]]]
    ) -> tuple[int, int, str] | None:
        """Write the ZIP and store it: (rows, size, sha256); None if leads kept vanishing."""
        for _ in range(WRITE_ATTEMPTS):
            with tempfile.TemporaryFile(prefix="leadstate-export-") as scratch:
                rows = write_zip(scratch, pages())
                gone = self.queries.export_leads_gone(export.export_id, export.account_id)
                if gone:
                    # Deleted while this file was being written: write it again without them.
                    self.files.drop_leads(export.export_id, gone)
                    continue
                size, sha256 = self.files.store_file(export.export_id, scratch)
                return rows, size, sha256
        return None

    def pending_writes(self) -> list[str]:
        """Exports waiting for their file, oldest first."""
        return [
            str(r["export_id"]) for r in self.queries.exports_with_status([ExportStatus.WRITING])
        ]

    def write_pending(self, stop: threading.Event | None = None) -> int:
        """Write every export waiting for its file (the background writer); how many."""
        done = 0
        for export_id in self.pending_writes():
            if stop is not None and stop.is_set():
                break
            try:
                if self.write(export_id, stop):
                    done += 1
            except InterruptedError:
                raise
            except Exception as error:
                log.exception("export %s could not be written", export_id)
                self._fail(export_id, f"{type(error).__name__}: {error}")
        return done

    def _fail(self, export_id: str, reason: str) -> bool:
        """Give up on an export, saying why; True if this closed it."""
        return self._change(export_id, lambda e: e.fail(reason, utcnow())).closed

    # -- deletion, purge -----------------------------------------------------------------

    def withdraw_holding(self, lead_ids: list[int], meta: Meta) -> list[Any]:
        """The unclosed exports holding any of these leads, withdrawn (to save with the
        leads' deletion: their file, leadIds and unsent emails go in that transaction)."""
        out: list[Any] = []
        for export_id in sorted(self.files.holding(lead_ids)):
            export = self.find(export_id)
            if export is not None and export.withdraw(
                "a lead it holds was deleted", meta.at, meta.actor, meta.correlation_id
            ):
                out.append(export)
        return out

    def purge_due(self, now: datetime | None = None) -> int:
        """Purge the files no link can use any more; fail exports stuck selecting; drop
        file chunks a dead writer left behind. How many exports were closed."""
        moment = now or utcnow()
        rows = self.queries.exports_with_status([ExportStatus.READY, ExportStatus.SELECTING])
        closed = 0
        stale = micros(moment - timedelta(seconds=STALE_SELECTING_SECONDS)) or 0
        for row in rows:
            export_id = str(row["export_id"])
            if row["status"] == ExportStatus.READY:
                if (
                    _links_over(row, moment)
                    and self._change(export_id, lambda e: e.purge(moment)).closed
                ):
                    closed += 1
            elif int(row["requested_at"]) < stale and self._fail(
                export_id, "interrupted before its leads were selected; ask for it again"
            ):
                closed += 1
        for export_id in self.files.with_files():
            export = self.find(export_id)
            if export is None or export.closed:
                self.files.drop_file(export_id)
        return closed

    # -- downloads and emails ------------------------------------------------------------

    def open_link(self, token: str, now: datetime | None = None) -> ExportFile:
        """The file a link may download now; LinkUnknown (404) or LinkGone (410)."""
        export_id, number = self.links.read_token(token)
        export = self.find(export_id)
        if export is None:
            raise LinkUnknown("no such export link")
        state = export.link_state(number, now or utcnow())
        if state == LinkState.UNKNOWN:
            raise LinkUnknown("no such export link")
        if state == LinkState.GONE:
            raise LinkGone("this export link is no longer available")
        chunks = self.files.chunk_count(export_id)
        if chunks == 0:
            raise LinkGone("this export link is no longer available")
        return ExportFile(
            export_id=export_id,
            filename=f"leads-{export_id}.zip",
            size=int(export.file_size or 0),
            chunks=self._chunks(export_id, chunks),
        )

    def _chunks(self, export_id: str, count: int) -> Iterator[bytes]:
        try:
            yield from self.files.chunks(export_id, count)
        except FileGone:
            # Purged while being downloaded: end with an error, not a truncated file.
            raise LinkGone("this export link is no longer available") from None

    def message(self, export_id: str, recipient_no: int) -> EmailMessage | None:
        """The email of one recipient (None when the export is closed: nothing to send)."""
        export = self.find(export_id)
        if export is None or export.closed or export.status != ExportStatus.READY:
            return None
        return self.links.message(export, recipient_no)

    def mark_sent(self, export_id: str, recipient_no: int, at: datetime) -> None:
        """Record that recipient `recipient_no`'s email left (its link's clock starts)."""
        self._change(export_id, lambda e: e.link_sent(recipient_no, at))

    def mark_failed(self, export_id: str, recipient_no: int, reason: str) -> None:
        """Record that recipient `recipient_no`'s address was refused for good."""
        self._change(export_id, lambda e: e.link_failed(recipient_no, reason, utcnow()))

    def view(self, account_id: int, export_id: str) -> dict[str, Any]:
        """An export's status (no addresses, no criteria)."""
        return export_view(self.queries.export_row(account_id, export_id))
