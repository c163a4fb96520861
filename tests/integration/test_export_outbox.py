"""The export writer and the email outbox on both backends, with a real SMTP server
(aiosmtpd on loopback): background writes, retries while SMTP is down, each email once."""

from __future__ import annotations

import email
import tempfile
import threading
import time
import tracemalloc
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from leadstate.application.bootstrap import Leadstate
from leadstate.application.exports import write_zip
from leadstate.application.views import LEAD_VIEW_FIELDS
from leadstate.domain.export import ExportStatus
from leadstate.persistence.tables import OUTBOX
from leadstate.workers.exports import ExportWriter
from leadstate.workers.outbox import SmtpConfig, SmtpUrlError
from leadstate.workers.start import outbox_sender
from tests.e2e.support import free_port
from tests.integration._support import act, load, row


class Inbox:
    """An aiosmtpd handler keeping the recipients of every message it accepts."""

    def __init__(self) -> None:
        self.to: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept and keep the message's To."""
        with self.lock:
            self.to.append(str(email.message_from_bytes(envelope.content)["To"]))
        return "250 OK"


@pytest.fixture
def smtp_port() -> int:
    """A loopback port for the SMTP server of a test."""
    return free_port()


@pytest.fixture
def mail_app(make_app: Callable[..., Leadstate], smtp_port: int) -> Iterator[Leadstate]:
    """An application mailing through 127.0.0.1:`smtp_port`, quick to retry."""
    yield make_app(
        smtp_url=f"smtp://127.0.0.1:{smtp_port}", outbox_retry_max=0.2, bulk_sync_limit=3
    )


def outbox(app: Leadstate) -> list[dict[str, Any]]:
    """The outbox rows."""
    with app.store.read() as cur:
        cur.execute(f"SELECT * FROM {app.store.qualify(OUTBOX)} ORDER BY outbox_id")
        return [dict(r) for r in cur.fetchall()]


def export_ids(app: Leadstate) -> list[str]:
    """Every export's id."""
    with app.store.read() as cur:
        cur.execute(f"SELECT export_id FROM {app.store.qualify(app.tables['exports'])}")
        return [str(dict(r)["export_id"]) for r in cur.fetchall()]


def test_smtp_down_then_back_sends_each_email_once_across_senders(
    mail_app: Leadstate, smtp_port: int
) -> None:
    load(mail_app, [row(), row()])
    act(mail_app, "EMAIL_LEADS", {"campaignIds": [10]}, {"EMAIL_TO": "a@example.com,b@example.com"})
    assert [r["status"] for r in outbox(mail_app)] == ["pending", "pending"]

    down = outbox_sender(mail_app)
    assert down.send_due() == 0
    tried = outbox(mail_app)
    assert [r["status"] for r in tried] == ["pending", "pending"]
    assert tried[0]["attempts"] == 1 and "Error" in tried[0]["last_error"]
    down.stop()  # gives the lease up, as a stopping server does

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        time.sleep(0.3)  # the failed row's backoff
        restarted = outbox_sender(mail_app)
        assert restarted.send_due() == 2
        assert restarted.send_due() == 0
        restarted.stop()
        assert sorted(inbox.to) == ["a@example.com", "b@example.com"]
        assert [r["status"] for r in outbox(mail_app)] == ["sent", "sent"]
        export = mail_app.exports.get(export_ids(mail_app)[0])
        assert all(s is not None for s in export.sent_at), "each link's clock started"
    finally:
        controller.stop()


def test_a_large_export_is_written_in_the_background(mail_app: Leadstate) -> None:
    load(mail_app, [row() for _ in range(5)])
    result = act(mail_app, "EMAIL_LEADS", {"campaignIds": [10]}, {"EMAIL_TO": "c@example.com"})
    assert (result.total, result.processed) == (5, 0), "above the sync limit: not written yet"
    (export_id,) = export_ids(mail_app)
    assert mail_app.exports.get(export_id).status == ExportStatus.WRITING
    assert outbox(mail_app) == [], "no email before the file is stored"

    ExportWriter(mail_app.exports).run_once()
    export = mail_app.exports.get(export_id)
    assert (export.status, export.row_count) == (ExportStatus.READY, 5)
    assert [r["recipient"] for r in outbox(mail_app)] == ["c@example.com"]
    data = b"".join(mail_app.exports.open_link(mail_app.exports.links.token(export_id, 0)).chunks)
    assert data[:2] == b"PK"


def test_a_file_is_purged_once_no_link_can_use_it(
    mail_app: Leadstate,
) -> None:
    load(mail_app, [row()])
    act(mail_app, "EMAIL_LEADS", {"campaignIds": [10]}, {"EMAIL_TO": "d@example.com"})
    (export_id,) = export_ids(mail_app)
    later = mail_app.exports.get(export_id).requested_at
    # Nothing is due yet; a day after the email, its file is purged.
    assert mail_app.exports.purge_due(later) == 0
    mail_app.exports.mark_sent(export_id, 0, later)
    assert mail_app.exports.purge_due(later + timedelta(days=1, seconds=1)) == 1
    assert mail_app.exports.get(export_id).status == ExportStatus.PURGED
    assert outbox(mail_app) == []


def test_smtp_urls_are_checked() -> None:
    assert SmtpConfig.from_url("smtp://127.0.0.1:2525") == SmtpConfig("127.0.0.1", 2525)
    secure = SmtpConfig.from_url("smtps://u%40x:p@mail.example.com")
    assert (secure.port, secure.tls, secure.username, secure.password) == (
        465,
        True,
        "u@x",
        "p",
    )
    with pytest.raises(SmtpUrlError):
        SmtpConfig.from_url("http://mail.example.com")


def test_writing_an_export_keeps_memory_flat() -> None:
    header = list(LEAD_VIEW_FIELDS)

    def pages(rows: int) -> Iterator[list[dict[str, Any]]]:
        for start in range(0, rows, 2_000):
            yield [{k: f"{k}-{n}" for k in header} for n in range(start, min(rows, start + 2_000))]

    peaks = []
    for rows in (4_000, 40_000):
        tracemalloc.start()
        with tempfile.TemporaryFile() as target:
            assert write_zip(target, pages(rows)) == rows
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.2 + 1_000_000, f"memory grew with the rows: {peaks}"
