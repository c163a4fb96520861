"""EMAIL_LEADS exports (SPEC §4, §5): `LeadstateApp.exports`.

A request records an `Export` (caller, recipients, the criteria with personal-data
values replaced by a keyed hash, how many leads matched), then stores the matched
leadIds beside it in one INSERT ... SELECT (`ls_export_leads`: what DELETE_LEADS looks
up to withdraw exports), then writes the ZIP. Writing pages through the read model by
leadId into a temporary file (`zipfile`, one CSV with the search view's columns), then
stores the file in the database in 1 MiB chunks so any server can serve it; memory stays
flat whatever the size. Small exports are written within the request; larger ones (more
than `LEADSTATE_BULK_SYNC_LIMIT` leads) by the export writer of `leadstate serve`, which
also resumes an export whose writer died. The `FileStored` event and one outbox row per
recipient commit together; the outbox sender (`leadstate.outbox`) mails the links.

A link is `LEADSTATE_PUBLIC_URL/exports/{token}`: the token names the export and the
recipient and is signed with an installation secret (HMAC-SHA256). It works until
`link_ttl` seconds after that recipient's email was sent; once no link can be used the
file is purged. A deletion of a lead the export holds withdraws and purges it at once.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import hmac
import io
import json
import logging
import re
import tempfile
import threading
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import IO, TYPE_CHECKING, Any

from leadstate.domain import (
    ActionParams,
    Conflict,
    DomainError,
    LeadAction,
    Meta,
    NotFound,
    normalize_phone,
    utcnow,
)
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.export import Export, ExportStatus, LinkState
from leadstate.domain.values import text_key
from leadstate.projections import lead_search
from leadstate.projections.outreach import EXPORT_FILES, EXPORT_LEADS, infrastructure_sql

if TYPE_CHECKING:
    from leadstate.application import ActionResult, LeadstateApp

log = logging.getLogger("leadstate.exports")

CHUNK_BYTES = 1 << 20
PAGE_ROWS = 2_000
CSV_NAME = "leads.csv"
STALE_SELECTING_SECONDS = 600.0
WRITE_LEASE_SECONDS = 60.0
WRITE_ATTEMPTS = 3

# Criteria whose values are personal data (SPEC §5): kept only as keyed hashes.
PERSONAL_CRITERIA = frozenset(
    {
        "firstName",
        "lastName",
        "address1",
        "address2",
        "city",
        "zip",
        "emailAddress",
        "auxData1",
        "auxData2",
        "auxData3",
        "auxData4",
        "auxData5",
        "leadPhoneNum",
        "leadPhoneNumbers",
        "physicalStates",
    }
)
_PHONE_CRITERIA = frozenset({"leadPhoneNum", "leadPhoneNumbers"})
_TOKEN = re.compile(r"^([0-9a-f]{32})\.([0-9]{1,4})\.([A-Za-z0-9_-]{43})$")


class LinkUnknown(NotFound):
    """A forged, malformed or never-issued export link (HTTP 404)."""


class LinkGone(DomainError):
    """An export link that no longer works: its time is up or the export was withdrawn
    (HTTP 410). The message never says "expired" (SPEC §6)."""


@dataclass(frozen=True)
class ExportFile:
    """A stored export ready to stream."""

    export_id: str
    filename: str
    size: int
    chunks: Iterator[bytes]


def csv_header() -> list[str]:
    """The CSV's columns: the search view's fields, in its order."""
    return list(lead_search.view_of(dict.fromkeys(lead_search.COLUMNS), None))


def csv_value(value: Any) -> str:
    """One CSV cell."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def write_zip(target: IO[bytes], pages: Iterable[Iterable[dict[str, Any]]]) -> int:
    """Write one CSV of the views in `pages` into a ZIP on `target`, streaming; rows written."""
    header = csv_header()
    count = 0
    with (
        zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as archive,
        archive.open(CSV_NAME, "w", force_zip64=True) as raw,
    ):
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        writer = csv.writer(text)
        writer.writerow(header)
        for page in pages:
            for view in page:
                writer.writerow([csv_value(view.get(column)) for column in header])
                count += 1
        text.flush()
        text.detach()
    return count


class Exports:
    """Export requests, their files and links, withdrawal and purge."""

    def __init__(self, app: LeadstateApp) -> None:
        self.app = app
        self.store = app.store
        self.store.script(infrastructure_sql(self.store))
        self._secrets: dict[str, bytes] = {}
        # Called when an export needs writing in the background, or has emails to send.
        self.listeners: list[Callable[[], None]] = []

    def _notify(self) -> None:
        for listener in self.listeners:
            listener()

    # -- hashing and links -------------------------------------------------------------

    def _secret(self, name: str) -> bytes:
        """An installation secret (created on first use, then never changed): cached."""
        key = self._secrets.get(name)
        if key is None:
            key = self._secrets[name] = self.store.secret(name).encode()
        return key

    def _keyed(self, name: str, value: str) -> str:
        digest = hmac.new(self._secret(name), value.encode(), hashlib.sha256).hexdigest()
        return "hmac-sha256:" + digest

    def hashed_criteria(self, body: Any) -> dict[str, Any]:
        """The criteria as stored in the export's event: personal-data values (names,
        addresses, phones, emails, aux data) replaced by a keyed hash of their
        normalised value, so equal criteria hash alike and none can be read back."""
        if not isinstance(body, dict):
            return {}

        def one(name: str, value: Any) -> Any:
            if value is None:
                return None
            text = str(value).strip()
            text = normalize_phone(text) if name in _PHONE_CRITERIA else text_key(text)
            return self._keyed("criteria-hash", text)

        out: dict[str, Any] = {}
        for name, value in body.items():
            if name in PERSONAL_CRITERIA:
                out[name] = (
                    [one(name, v) for v in value] if isinstance(value, list) else one(name, value)
                )
            else:
                out[name] = value
        return out

    def _signature(self, export_id: str, recipient_no: int) -> str:
        payload = f"{export_id}.{recipient_no}".encode()
        digest = hmac.new(self._secret("export-links"), payload, hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def token(self, export_id: str, recipient_no: int) -> str:
        """The signed token of one recipient's link."""
        return f"{export_id}.{recipient_no}.{self._signature(export_id, recipient_no)}"

    def link(self, export_id: str, recipient_no: int) -> str:
        """The URL mailed to recipient `recipient_no`."""
        base = self.app.settings.public_url.rstrip("/")
        return f"{base}/exports/{self.token(export_id, recipient_no)}"

    def read_token(self, token: str) -> tuple[str, int]:
        """(export id, recipient number) of a genuine token; LinkUnknown otherwise."""
        match = _TOKEN.match(token)
        if match is None:
            raise LinkUnknown("no such export link")
        export_id, number = match.group(1), int(match.group(2))
        if not hmac.compare_digest(match.group(3), self._signature(export_id, number)):
            raise LinkUnknown("no such export link")
        return export_id, number

    # -- aggregates --------------------------------------------------------------------

    def _export(self, export_id: str) -> Export | None:
        stream = self.store.select_streams([Export.create_id(export_id)])
        events = next(iter(stream.values()))
        if not events:
            return None
        export: Export = self.app._fold(events)
        return export

    def get(self, export_id: str) -> Export:
        """An export as its events make it (NotFound if there is none)."""
        export = self._export(export_id)
        if export is None:
            raise NotFound(f"export {export_id} not found")
        return export

    def _change(self, export_id: str, command: Callable[[Export], object]) -> Export:
        """Get, decide with `command`, save if it recorded anything (retried on conflict)."""

        def attempt() -> Export:
            export = self.get(export_id)
            command(export)
            if export.pending_events:
                self.app.save(export)
            return export

        return self.app._retrying(attempt)

    # -- requesting ----------------------------------------------------------------------

    def request(
        self,
        account_id: int,
        params: ActionParams,
        criteria: SearchCriteria,
        criteria_body: Any,
        meta: Meta,
    ) -> ActionResult:
        """EMAIL_LEADS: record the export, fix its leads, write it now when small."""
        from leadstate.application import ActionResult

        matched = self.app.count(account_id, criteria)
        export = Export.request(
            export_id=uuid.uuid4().hex,
            account_id=account_id,
            recipients=list(params.email_to),
            criteria=self.hashed_criteria(criteria_body),
            matched=matched,
            link_ttl=min(self.app.settings.export_ttl, 86_400),
            at=meta.at,
            actor=meta.actor,
            correlation_id=meta.correlation_id,
        )
        self.app.save(export)
        selected = self._select(export.export_id, account_id, criteria)
        now = utcnow()
        self._change(export.export_id, lambda e: e.leads_selected(selected, now))
        result = ActionResult(action=LeadAction.EMAIL_LEADS, total=selected)
        if selected <= self.app.settings.bulk_sync_limit:
            self.write(export.export_id)
            result.processed = selected
        else:
            log.info(
                "export %s of %d leads is written in the background", export.export_id, selected
            )
        self._notify()
        return result

    def _select(self, export_id: str, account_id: int, criteria: SearchCriteria) -> int:
        """Store the matched leadIds beside the export (one statement); how many."""
        ph = self.store.ph
        lists = self.store.qualify(self.app.tables["lead_lists"])
        clause, params = lead_search.where(criteria, account_id, ph, lists)
        with self.store.write() as cur:
            cur.execute(
                f"INSERT INTO {self.store.qualify(EXPORT_LEADS)} (export_id, lead_id) "
                f"SELECT CAST({ph} AS TEXT), lead_id FROM "
                f"{self.store.qualify(self.app.tables['lead_search'])} WHERE {clause}",
                (export_id, *params),
            )
            cur.execute(
                f"SELECT COUNT(*) AS n FROM {self.store.qualify(EXPORT_LEADS)} "
                f"WHERE export_id = {ph}",
                (export_id,),
            )
            return int(self.app._as_dict(cur.fetchone())["n"])

    # -- writing -------------------------------------------------------------------------

    def _views(self, export: Export) -> Iterator[list[dict[str, Any]]]:
        """The export's leads as search views, a page at a time, by leadId."""
        ph = self.store.ph
        leads = self.store.qualify(self.app.tables["lead_search"])
        held = self.store.qualify(EXPORT_LEADS)
        names: dict[int, str] = {}
        after = 0
        while True:
            with self.store.read() as cur:
                cur.execute(
                    f"SELECT l.* FROM {held} e JOIN {leads} l ON l.lead_id = e.lead_id "
                    f"WHERE e.export_id = {ph} AND l.account_id = {ph} AND e.lead_id > {ph} "
                    f"ORDER BY e.lead_id LIMIT {ph}",
                    (export.export_id, export.account_id, after, PAGE_ROWS),
                )
                rows = [self.app._as_dict(r) for r in cur.fetchall()]
                missing = {r["list_id"] for r in rows} - set(names)
                names.update(self.app._list_names(cur, missing))
            if not rows:
                return
            yield [lead_search.view_of(r, names.get(r["list_id"])) for r in rows]
            after = int(rows[-1]["lead_id"])

    def _gone_leads(self, export_id: str, account_id: int) -> list[int]:
        """Leads the export holds that are no longer live (deleted while it was written)."""
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT e.lead_id FROM {self.store.qualify(EXPORT_LEADS)} e "
                f"WHERE e.export_id = {ph} AND NOT EXISTS (SELECT 1 FROM "
                f"{self.store.qualify(self.app.tables['lead_search'])} l "
                f"WHERE l.lead_id = e.lead_id AND l.account_id = {ph})",
                (export_id, account_id),
            )
            return [int(self.app._as_dict(r)["lead_id"]) for r in cur.fetchall()]

    def _drop_leads(self, export_id: str, lead_ids: list[int]) -> None:
        ph = self.store.ph
        with self.store.write() as cur:
            cur.executemany(
                f"DELETE FROM {self.store.qualify(EXPORT_LEADS)} "
                f"WHERE export_id = {ph} AND lead_id = {ph}",
                [(export_id, lead_id) for lead_id in lead_ids],
            )

    def _drop_file(self, export_id: str) -> None:
        with self.store.write() as cur:
            cur.execute(
                f"DELETE FROM {self.store.qualify(EXPORT_FILES)} WHERE export_id = {self.store.ph}",
                (export_id,),
            )

    def _store_file(self, export_id: str, source: IO[bytes]) -> tuple[int, str]:
        """Copy the finished ZIP into the database in chunks; (size, sha256)."""
        self._drop_file(export_id)
        source.seek(0)
        digest = hashlib.sha256()
        size = 0
        seq = 0
        ph = self.store.ph
        sql = (
            f"INSERT INTO {self.store.qualify(EXPORT_FILES)} (export_id, seq, data) "
            f"VALUES ({ph}, {ph}, {ph})"
        )
        while True:
            block = source.read(CHUNK_BYTES)
            if not block:
                break
            digest.update(block)
            size += len(block)
            with self.store.write() as cur:
                cur.execute(sql, (export_id, seq, block))
            seq += 1
        return size, digest.hexdigest()

    def write(self, export_id: str, stop: threading.Event | None = None) -> bool:
        """Write and store an export's file, then mark it ready (its emails may leave).

        One writer at a time per export (a lease). False when there was nothing to do
        or it was withdrawn meanwhile (its partial file is dropped).
        """
        lease = f"export-write:{export_id}"
        owner = uuid.uuid4().hex
        if not self.app.claim_lease(lease, owner, WRITE_LEASE_SECONDS):
            return False
        try:
            return self._write(export_id, stop, lambda: self._renew(lease, owner))
        finally:
            self.app.release_lease(lease, owner)

    def _renew(self, lease: str, owner: str) -> None:
        if not self.app.claim_lease(lease, owner, WRITE_LEASE_SECONDS):
            raise RuntimeError(f"lost the lease {lease}")

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
        try:
            self._change(export_id, lambda e: e.file_stored(rows, size, sha256, utcnow()))
        except Conflict:
            self._drop_file(export_id)  # withdrawn meanwhile: its data goes at once
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
                gone = self._gone_leads(export.export_id, export.account_id)
                if gone:
                    # Deleted while this file was being written: write it again without them.
                    self._drop_leads(export.export_id, gone)
                    continue
                size, sha256 = self._store_file(export.export_id, scratch)
                return rows, size, sha256
        return None

    def pending_writes(self) -> list[str]:
        """Exports waiting for their file, oldest first."""
        table = self.store.qualify(self.app.tables["exports"])
        with self.store.read() as cur:
            cur.execute(
                f"SELECT export_id FROM {table} WHERE status = {self.store.ph} "
                "ORDER BY requested_at",
                (ExportStatus.WRITING,),
            )
            return [str(self.app._as_dict(r)["export_id"]) for r in cur.fetchall()]

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

    def withdraw_holding(self, lead_ids: Iterable[int], meta: Meta) -> list[Export]:
        """The unclosed exports holding any of these leads, withdrawn (to save with the
        leads' deletion: their file, leadIds and unsent emails go in that transaction)."""
        ids = list(lead_ids)
        found: set[str] = set()
        ph = self.store.ph
        with self.store.read() as cur:
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                cur.execute(
                    f"SELECT DISTINCT export_id FROM {self.store.qualify(EXPORT_LEADS)} "
                    f"WHERE lead_id IN ({', '.join([ph] * len(chunk))})",
                    chunk,
                )
                found.update(str(self.app._as_dict(r)["export_id"]) for r in cur.fetchall())
        out: list[Export] = []
        for export_id in sorted(found):
            export = self._export(export_id)
            if export is not None and export.withdraw(
                "a lead it holds was deleted", meta.at, meta.actor, meta.correlation_id
            ):
                out.append(export)
        return out

    def purge_due(self, now: datetime | None = None) -> int:
        """Purge the files no link can use any more; fail exports stuck selecting; drop
        file chunks a dead writer left behind. How many exports were closed."""
        moment = now or utcnow()
        table = self.store.qualify(self.app.tables["exports"])
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT export_id, status, requested_at, sent_at, failed, link_ttl FROM {table} "
                f"WHERE status IN ({ph}, {ph})",
                (ExportStatus.READY, ExportStatus.SELECTING),
            )
            rows = [self.app._as_dict(r) for r in cur.fetchall()]
            cur.execute(f"SELECT DISTINCT export_id FROM {self.store.qualify(EXPORT_FILES)}")
            stored = [str(self.app._as_dict(r)["export_id"]) for r in cur.fetchall()]
        closed = 0
        stale = lead_search.micros(moment - timedelta(seconds=STALE_SELECTING_SECONDS)) or 0
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
        for export_id in stored:
            export = self._export(export_id)
            if export is None or export.closed:
                self._drop_file(export_id)
        return closed

    # -- downloads and emails ------------------------------------------------------------

    def open_link(self, token: str, now: datetime | None = None) -> ExportFile:
        """The file a link may download now; LinkUnknown (404) or LinkGone (410)."""
        export_id, number = self.read_token(token)
        export = self._export(export_id)
        if export is None:
            raise LinkUnknown("no such export link")
        state = export.link_state(number, now or utcnow())
        if state == LinkState.UNKNOWN:
            raise LinkUnknown("no such export link")
        if state == LinkState.GONE:
            raise LinkGone("this export link is no longer available")
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT COUNT(*) AS n FROM {self.store.qualify(EXPORT_FILES)} "
                f"WHERE export_id = {ph}",
                (export_id,),
            )
            chunks = int(self.app._as_dict(cur.fetchone())["n"])
        if chunks == 0:
            raise LinkGone("this export link is no longer available")
        return ExportFile(
            export_id=export_id,
            filename=f"leads-{export_id}.zip",
            size=int(export.file_size or 0),
            chunks=self._chunks(export_id, chunks),
        )

    def _chunks(self, export_id: str, count: int) -> Iterator[bytes]:
        ph = self.store.ph
        table = self.store.qualify(EXPORT_FILES)
        for seq in range(count):
            with self.store.read() as cur:
                cur.execute(
                    f"SELECT data FROM {table} WHERE export_id = {ph} AND seq = {ph}",
                    (export_id, seq),
                )
                row = cur.fetchone()
            if row is None:
                # Purged while being downloaded: end with an error, not a truncated file.
                raise LinkGone("this export link is no longer available")
            yield bytes(self.app._as_dict(row)["data"])

    def message(self, export_id: str, recipient_no: int) -> EmailMessage | None:
        """The email of one recipient (None when the export is closed: nothing to send)."""
        export = self._export(export_id)
        if export is None or export.closed or export.status != ExportStatus.READY:
            return None
        hours = export.link_ttl / 3600
        span = f"{hours:g} hours" if hours >= 1 else f"{export.link_ttl} seconds"
        message = EmailMessage()
        message["From"] = self.app.settings.smtp_from
        message["To"] = export.recipients[recipient_no]
        message["Subject"] = f"Lead export of account {export.account_id} is ready"
        message["Message-ID"] = f"<export-{export_id}-{recipient_no}@leadstate>"
        message.set_content(
            f"An export of {export.row_count} lead(s) of account {export.account_id} was "
            f"requested on {export.requested_at.isoformat()}.\n\n"
            f"Download it (a ZIP holding one CSV) here:\n\n"
            f"    {self.link(export_id, recipient_no)}\n\n"
            f"The link is yours alone and works for {span} from when this email was sent; "
            "then the file is deleted.\n"
        )
        return message

    def mark_sent(self, export_id: str, recipient_no: int, at: datetime) -> None:
        """Record that recipient `recipient_no`'s email left (its link's clock starts)."""
        self._change(export_id, lambda e: e.link_sent(recipient_no, at))

    def mark_failed(self, export_id: str, recipient_no: int, reason: str) -> None:
        """Record that recipient `recipient_no`'s address was refused for good."""
        self._change(export_id, lambda e: e.link_failed(recipient_no, reason, utcnow()))

    def view(self, account_id: int, export_id: str) -> dict[str, Any]:
        """An export's status (no addresses, no criteria)."""
        table = self.store.qualify(self.app.tables["exports"])
        ph = self.store.ph
        with self.store.read() as cur:
            cur.execute(
                f"SELECT * FROM {table} WHERE export_id = {ph} AND account_id = {ph}",
                (export_id, account_id),
            )
            row = cur.fetchone()
        if row is None:
            raise NotFound(f"export {export_id} not found in account {account_id}")
        data = self.app._as_dict(row)
        return {
            "exportId": data["export_id"],
            "status": data["status"],
            "matched": data["matched"],
            "rowCount": data["row_count"],
            "fileSize": data["file_size"],
            "recipients": data["recipients"],
            "sentAt": [lead_search.iso(s) for s in json.loads(data["sent_at"])],
            "requestedAt": lead_search.iso(data["requested_at"]),
            "readyAt": lead_search.iso(data["ready_at"]),
            "closedAt": lead_search.iso(data["closed_at"]),
            "reason": data["reason"],
        }


def _links_over(row: dict[str, Any], now: datetime) -> bool:
    """From an exports row: True when every link is failed or past its time (the
    aggregate decides; this only spares folding the exports still in use)."""
    now_micros = lead_search.micros(now) or 0
    ttl = int(row["link_ttl"]) * 1_000_000
    sent = json.loads(row["sent_at"])
    failed = json.loads(row["failed"])
    return all(
        f is not None or (s is not None and s + ttl <= now_micros)
        for s, f in zip(sent, failed, strict=True)
    )


class ExportWriter:
    """Writes large exports in the background and purges the files links can no longer
    use (in `leadstate serve`); wakes when an export is requested here."""

    def __init__(self, app: LeadstateApp, *, poll_seconds: float = 2.0) -> None:
        self.app = app
        self.poll_seconds = poll_seconds
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        app.exports.listeners.append(self._wake.set)

    def start(self) -> None:
        """Run in a daemon thread."""
        self._thread = threading.Thread(target=self.run_forever, name="export-writer", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current page; an interrupted export resumes on the next start."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run_once(self) -> int:
        """Write what waits, then purge what is due; how many exports changed."""
        done = self.app.exports.write_pending(self._stop)
        return done + self.app.exports.purge_due()

    def run_forever(self) -> None:
        """Work until stopped."""
        while not self._stop.is_set():
            try:
                self.run_once()
            except InterruptedError:
                return
            except Exception:
                log.exception("export writer pass failed; retrying")
            self._wake.wait(self.poll_seconds)
            self._wake.clear()
