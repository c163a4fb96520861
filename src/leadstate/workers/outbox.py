"""The durable email outbox (SPEC §4): rows written with the export event, sent by the
sender worker over SMTP (`LEADSTATE_SMTP_URL`), each marked sent exactly once.

- A row is written in the transaction that records the export's `FileStored` event, so
  an export is never ready without its emails queued, nor the other way round.
- One sender works at a time (the `outbox-sender` lease; a dead process's lease is taken
  over at once on its host, otherwise when it lapses). It sends due rows oldest first;
  after an SMTP success it records `LinkSent` on the export and marks the row sent in one
  transaction: the row is never picked again, across restarts too.
- SMTP down (connection refused, timeouts, 4xx): the row's attempts grow and it is due
  again after an exponential backoff (at most `LEADSTATE_OUTBOX_RETRY_MAX` seconds); the
  sender backs off as a whole likewise. A 5xx refusal of the recipient is final: the
  row is failed and that recipient's link answers 410.
- A crash between the SMTP server accepting a message and the mark being committed
  would send that email again on restart (SMTP offers no two-phase commit); the
  Message-ID is fixed per export and recipient, so a mail system can drop the copy.
"""

from __future__ import annotations

import logging
import random
import smtplib
import ssl
import time
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

from leadstate.application.exports import Exports
from leadstate.domain import utcnow
from leadstate.persistence.leases import Leases, new_owner
from leadstate.persistence.outbox import OutboxRows
from leadstate.settings import Settings
from leadstate.workers.base import Worker

log = logging.getLogger("leadstate.outbox")

LEASE = "outbox-sender"
LEASE_SECONDS = 15.0
BATCH = 50


class SmtpUrlError(ValueError):
    """`LEADSTATE_SMTP_URL` cannot be used."""


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send: `smtp://[user:pass@]host[:port][?starttls=true]` or
    `smtps://...` (TLS from the start)."""

    host: str
    port: int
    tls: bool = False
    starttls: bool = False
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpConfig:
        """Parse `LEADSTATE_SMTP_URL`."""
        parsed = urlparse(url)
        if parsed.scheme not in ("smtp", "smtps") or not parsed.hostname:
            raise SmtpUrlError(
                f"LEADSTATE_SMTP_URL must be smtp://host:port or smtps://...: {url!r}"
            )
        tls = parsed.scheme == "smtps"
        query = parse_qs(parsed.query)
        starttls = query.get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        try:
            port = parsed.port or (465 if tls else 25)
        except ValueError as error:
            raise SmtpUrlError(f"LEADSTATE_SMTP_URL has a bad port: {error}") from None
        return cls(
            host=parsed.hostname,
            port=port,
            tls=tls,
            starttls=starttls,
            username=unquote(parsed.username) if parsed.username else None,
            password=unquote(parsed.password) if parsed.password else None,
        )


class SmtpConnection:
    """One SMTP session for a sender pass, opened on first use."""

    def __init__(self, config: SmtpConfig, timeout: float) -> None:
        self.config = config
        self.timeout = timeout
        self._smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        config = self.config
        smtp: smtplib.SMTP
        if config.tls:
            smtp = smtplib.SMTP_SSL(
                config.host, config.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=self.timeout)
        try:
            if config.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def send(self, message: EmailMessage) -> None:
        """Send one message (raises smtplib/OS errors as they come)."""
        if self._smtp is None:
            self._smtp = self._open()
        try:
            self._smtp.send_message(message)
        except (smtplib.SMTPServerDisconnected, OSError):
            self.close()
            raise

    def close(self) -> None:
        """End the session (quietly: the messages are already accepted or not)."""
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def is_permanent(error: BaseException) -> bool:
    """True when retrying cannot help: the server refused the recipient with a 5xx."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in error.recipients.values()]
        return bool(codes) and all(500 <= int(code) < 600 for code in codes)
    return False


def backoff(attempts: int, ceiling: float) -> float:
    """Seconds to wait after `attempts` failures: 1, 2, 4 ... up to `ceiling`, jittered."""
    base: float = min(ceiling, float(2 ** min(attempts - 1, 20)))
    return float(max(0.1, base * random.uniform(0.8, 1.0)))


class OutboxSender(Worker):
    """Sends the outbox's due rows (a worker of `leadstate serve`, or `run_once` in tests)."""

    name = "outbox-sender"

    def __init__(
        self,
        exports: Exports,
        rows: OutboxRows,
        leases: Leases,
        settings: Settings,
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        super().__init__(poll_seconds=poll_seconds)
        self.exports = exports
        self.rows = rows
        self.leases = leases
        self.settings = settings
        self.owner = new_owner()
        self.sent = 0
        self._backoff_until = 0.0
        self._failures = 0

    def idle(self, seconds: float) -> None:
        """While SMTP is down, wait out the backoff instead of the poll interval."""
        remaining = self._backoff_until - time.monotonic()
        super().idle(remaining if remaining > 0 else seconds)

    def stopped(self) -> None:
        """Give the lease up."""
        try:
            self.leases.release(LEASE, self.owner)
        except Exception:
            log.exception("could not release the outbox lease")

    def run_once(self) -> bool:
        """Send every due row this sender can (holding the lease)."""
        self.send_due()
        return False

    def send_due(self) -> int:
        """Send every due row this sender can (holding the lease); how many were sent."""
        if time.monotonic() < self._backoff_until:
            return 0
        due = self.rows.due(BATCH)
        if not due or not self.leases.claim(LEASE, self.owner, LEASE_SECONDS):
            return 0
        config = SmtpConfig.from_url(self.settings.smtp_url)
        connection = SmtpConnection(config, self.settings.smtp_timeout)
        sent = 0
        try:
            for row in due:
                if self.stopping:
                    break
                outcome = self._send_row(connection, row)
                if outcome == "sent":
                    sent += 1
                elif outcome == "down":
                    break
        finally:
            connection.close()
        self.sent += sent
        return sent

    def _send_row(self, connection: SmtpConnection, row: Any) -> str:
        """Send one row: 'sent', 'failed' (final), 'skipped' or 'down' (retry later)."""
        export_id = str(row["export_id"])
        number = int(row["recipient_no"])
        message = self.exports.message(export_id, number)
        if message is None or not self.rows.pending(str(row["outbox_id"])):
            return "skipped"  # withdrawn meanwhile (its rows are gone) or already sent
        try:
            connection.send(message)
        except (smtplib.SMTPException, OSError) as error:
            if is_permanent(error):
                log.warning(
                    "email of export %s to recipient %d refused: %s", export_id, number, error
                )
                self.exports.mark_failed(
                    export_id, number, f"refused by the mail server: {error}"[:500]
                )
                return "failed"
            self._failures += 1
            pause = backoff(self._failures, self.settings.outbox_retry_max)
            self._backoff_until = time.monotonic() + pause
            log.warning("SMTP unavailable (%s); retrying in %.1f s", error, pause)
            attempts = int(row["attempts"]) + 1
            self.rows.retry_later(
                str(row["outbox_id"]),
                attempts,
                backoff(attempts, self.settings.outbox_retry_max),
                f"{type(error).__name__}: {error}",
            )
            return "down"
        self._failures = 0
        self._backoff_until = 0.0
        self.exports.mark_sent(export_id, number, utcnow())
        return "sent"
