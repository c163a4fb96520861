"""EMAIL_LEADS end to end: a real `leadstate serve` and a real SMTP server on loopback
(aiosmtpd), links downloaded over HTTP (SPEC §4, §5, §6). Calls and DNC over HTTP too."""

from __future__ import annotations

import csv
import email
import io
import re
import sqlite3
import threading
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller

from tests.e2e.support import (
    ALL_SCOPES,
    Api,
    Server,
    create_key,
    free_port,
    new_account,
    row,
    server_env,
    start_server,
)

pytestmark = pytest.mark.slow

PUBLIC_URL = "https://leads.example.test"
_LINK = re.compile(r"(https?://\S+/exports/(\S+))")


@dataclass
class Inbox:
    """An aiosmtpd handler keeping every message it accepts."""

    messages: list[Message] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        """Accept and keep the message."""
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content))
        return "250 OK"

    def snapshot(self) -> list[Message]:
        """The messages so far."""
        with self.lock:
            return list(self.messages)

    def wait_for(self, count: int, timeout: float = 60.0) -> list[Message]:
        """At least `count` messages (fails after `timeout` seconds)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.snapshot()
            if len(got) >= count:
                return got
            time.sleep(0.1)
        raise AssertionError(f"expected {count} email(s), got {len(self.snapshot())}")


def smtp_server(port: int) -> tuple[Controller, Inbox]:
    """A real SMTP server on 127.0.0.1:`port`."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller, inbox


def link_of(message: Message) -> tuple[str, str]:
    """(link, token) of an export email."""
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    found = _LINK.search(payload.decode())
    assert found is not None, payload
    return found.group(1), found.group(2)


def unzip_csv(data: bytes) -> list[dict[str, str]]:
    """The rows of the one CSV inside an export's ZIP."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.namelist() == ["leads.csv"]
        text = archive.read("leads.csv").decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def email_leads(api: Api, criteria: dict[str, Any], to: str) -> httpx.Response:
    """`PUT .../campaignLeads/actions?leadAction=EMAIL_LEADS`."""
    return api.action_response("EMAIL_LEADS", criteria, {"EMAIL_TO": to})


def wait_until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    """Poll until `check()` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@dataclass
class MailSetup:
    """A server mailing through a real SMTP server."""

    server: Server
    inbox: Inbox
    db: Path

    def api(self) -> Api:
        """A client of a fresh account."""
        return Api(self.server.base_url, self.server.tokens["admin"], new_account())

    def outbox(self) -> list[tuple[Any, ...]]:
        """The outbox rows, read straight from the database."""
        with sqlite3.connect(self.db) as conn:
            return conn.execute(
                "SELECT recipient, status, attempts FROM ls_outbox ORDER BY outbox_id"
            ).fetchall()


def start_mail_setup(tmp: Path, **extra: str) -> tuple[MailSetup, Controller]:
    """aiosmtpd plus `leadstate serve` on SQLite, mailing through it."""
    port = free_port()
    controller, inbox = smtp_server(port)
    db = tmp / "leadstate.db"
    env = server_env(
        str(db),
        LEADSTATE_SMTP_URL=f"smtp://127.0.0.1:{port}",
        LEADSTATE_PUBLIC_URL=PUBLIC_URL,
        LEADSTATE_OUTBOX_RETRY_MAX="1",
        **extra,
    )
    token = create_key(env, "*", *ALL_SCOPES, cwd=tmp)
    server = start_server(env, tmp)
    server.tokens["admin"] = token
    return MailSetup(server, inbox, db), controller


@pytest.fixture(scope="module")
def mail(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MailSetup]:
    """One server and one SMTP server for the tests that need no special settings."""
    setup, controller = start_mail_setup(tmp_path_factory.mktemp("mail"))
    try:
        yield setup
    finally:
        setup.server.stop()
        controller.stop()


def test_two_recipients_get_one_email_each_and_the_link_downloads_the_matched_leads(
    mail: MailSetup,
) -> None:
    api = mail.api()
    matched = api.load(1, [row(firstName="Match", city="Lyon"), row(firstName="MATCH")])
    api.load(1, [row(firstName="Other")])
    api.load(2, [row(firstName="Match")])
    before = len(mail.inbox.snapshot())

    response = email_leads(
        api, {"campaignIds": [1], "firstName": "match"}, "ann@example.com, bob@example.com"
    )
    assert response.status_code == 200, response.text
    assert response.json()["leadActionType"] == "EMAIL_LEADS"

    messages = mail.inbox.wait_for(before + 2)[before:]
    assert sorted(m["To"] for m in messages) == ["ann@example.com", "bob@example.com"]
    links = [link_of(m) for m in messages]
    assert all(link.startswith(f"{PUBLIC_URL}/exports/") for link, _ in links)
    assert links[0][1] != links[1][1], "one link per recipient"
    for _link, token in links:
        download = httpx.get(f"{mail.server.base_url}/exports/{token}", timeout=60)
        assert download.status_code == 200, download.text
        assert download.headers["content-type"] == "application/zip"
        rows = unzip_csv(download.content)
        assert sorted(int(r["leadId"]) for r in rows) == sorted(matched["leadIds"])
        assert {r["firstName"] for r in rows} == {"Match", "MATCH"}
        assert {"leadId", "externId", "leadPhone", "leadState", "agentDispostion"} <= set(rows[0])
    time.sleep(2)
    assert len(mail.inbox.snapshot()) == before + 2, "each email went out once"
    assert all(status == "sent" for _, status, _ in mail.outbox())
    api.close()


def test_forged_or_unknown_links_are_404_and_a_bad_address_sends_nothing(
    mail: MailSetup,
) -> None:
    api = mail.api()
    api.load(1, [row()])
    base = mail.server.base_url
    for token in (
        "nonsense",
        f"{'a' * 32}.0.{'A' * 43}",
        f"{'0' * 32}.1.{'x' * 43}",
    ):
        response = httpx.get(f"{base}/exports/{token}")
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"

    before = len(mail.inbox.snapshot())
    outbox = mail.outbox()
    bad = email_leads(api, {"campaignIds": [1]}, "good@example.com,not an address")
    assert bad.status_code == 400
    assert "not an address" in bad.json()["error"]["message"]
    time.sleep(2)
    assert len(mail.inbox.snapshot()) == before and mail.outbox() == outbox, "nothing sent"

    done = email_leads(api, {"campaignIds": [1]}, "carol@example.com")
    assert done.status_code == 200
    message = mail.inbox.wait_for(before + 1)[before]
    _, token = link_of(message)
    export_id, number, signature = token.split(".")
    forged = f"{export_id}.{int(number) + 1}.{signature}"
    assert httpx.get(f"{base}/exports/{forged}").status_code == 404
    tampered = f"{export_id}.{number}.{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    assert httpx.get(f"{base}/exports/{tampered}").status_code == 404
    assert httpx.get(f"{base}/exports/{token}").status_code == 200
    api.close()


def test_deleting_a_lead_withdraws_its_exports_and_keeps_its_call_records(
    mail: MailSetup,
) -> None:
    api = mail.api()
    loaded = api.load(1, [row(firstName="Gone", email="gone@example.com"), row()])
    doomed, kept = loaded["leadIds"]
    phone = api.lead(doomed)["leadPhone"]
    call = api.http.post(
        api.path(f"/campaignLeads/{doomed}/calls"),
        json={"uii": "del-1", "agentId": 5, "systemDisposition": "NOANSWER", "talkTime": 9},
    )
    assert call.status_code == 200, call.text
    before = len(mail.inbox.snapshot())
    assert email_leads(api, {"leadIds": [doomed, kept]}, "dan@example.com").status_code == 200
    _, token = link_of(mail.inbox.wait_for(before + 1)[before])
    link = f"{mail.server.base_url}/exports/{token}"
    assert httpx.get(link).status_code == 200

    api.act("DELETE_LEADS", {"leadIds": [doomed]})
    gone = httpx.get(link)
    assert gone.status_code == 410
    assert gone.json()["error"]["message"] == "this export link is no longer available"
    assert "PK" not in gone.text

    records = api.http.get(api.path("/calls"), params={"leadId": doomed})
    assert records.status_code == 200
    assert [r["uii"] for r in records.json()] == ["del-1"]
    for personal in ("Gone", "gone@example.com", phone):
        assert personal not in records.text
    api.close()


def test_calls_dnc_and_the_dialable_queue_over_http(mail: MailSetup) -> None:
    api = mail.api()
    first, second, third = api.load(7, [row(leadPriority=1), row(leadPriority=5), row()])["leadIds"]
    queue = api.http.get(api.path("/campaigns/7/dialable"), params={"limit": 10})
    assert queue.status_code == 200
    assert [v["leadId"] for v in queue.json()] == [second, first, third]

    answered = api.http.post(
        api.path(f"/campaignLeads/{second}/calls"),
        json={"uii": "h-1", "agentId": 3, "systemDisposition": "ANSWER", "talkTime": 60},
    )
    assert answered.status_code == 200 and answered.json()["leadState"] == "COMPLETE"
    again = api.http.post(
        api.path(f"/campaignLeads/{second}/calls"),
        json={"uii": "h-2", "agentId": 3, "systemDisposition": "ANSWER", "talkTime": 60},
    )
    assert again.status_code == 409 and "not dialable" in again.json()["error"]["message"]
    bad = api.http.post(api.path(f"/campaignLeads/{first}/calls"), json={"uii": "h-3"})
    assert bad.status_code == 400

    phone = api.lead(third)["leadPhone"]
    api.act("MANUAL_LEADS", {"leadIds": [third]}, {"PASS_DISPOSITION": "STOP", "DO_NOT_CALL": True})
    assert api.lead(third)["leadState"] == "DO-NOT-CALL"
    reload = api.load(8, [row(leadPhone=phone)])
    assert reload["dncReturnedCount"] == 1 and reload["leadsInserted"] == 0
    assert "do-not-call" in reload["rejectedRows"][0]["message"]
    queue = api.http.get(api.path("/campaigns/7/dialable"))
    assert [v["leadId"] for v in queue.json()] == [first]
    calls = api.http.get(api.path("/calls"), params={"campaignId": 7}).json()
    assert [(c["kind"], c["leadId"]) for c in calls] == [
        ("DIAL_ATTEMPT", second),
        ("MANUAL_PASS", third),
    ]
    api.close()


def test_a_link_stops_working_its_ttl_after_the_email_was_sent(tmp_path: Path) -> None:
    setup, controller = start_mail_setup(tmp_path, LEADSTATE_EXPORT_TTL="4")
    try:
        api = setup.api()
        api.load(1, [row()])
        assert email_leads(api, {"campaignIds": [1]}, "erin@example.com").status_code == 200
        _, token = link_of(setup.inbox.wait_for(1)[0])
        link = f"{setup.server.base_url}/exports/{token}"
        assert httpx.get(link).status_code == 200
        time.sleep(5)
        late = httpx.get(link)
        assert late.status_code == 410
        assert "expired" not in late.text.lower()
        assert late.json()["error"]["message"] == "this export link is no longer available"

        # Once no link can use it, the file is purged.
        def purged() -> bool:
            with sqlite3.connect(setup.db) as conn:
                return conn.execute("SELECT COUNT(*) FROM ls_export_files").fetchone()[0] == 0

        wait_until(purged, timeout=30)
        api.close()
    finally:
        setup.server.stop()
        controller.stop()


def test_smtp_down_then_back_across_a_restart_sends_each_email_exactly_once(
    tmp_path: Path,
) -> None:
    port = free_port()  # nobody listens here yet: SMTP is down
    db = tmp_path / "leadstate.db"
    env = server_env(
        str(db),
        LEADSTATE_SMTP_URL=f"smtp://127.0.0.1:{port}",
        LEADSTATE_PUBLIC_URL=PUBLIC_URL,
        LEADSTATE_OUTBOX_RETRY_MAX="1",
    )
    token = create_key(env, "*", *ALL_SCOPES, cwd=tmp_path)
    first = start_server(env, tmp_path)
    controller: Controller | None = None
    second: Server | None = None
    try:
        api = Api(first.base_url, token, new_account())
        api.load(1, [row(), row()])
        response = email_leads(api, {"campaignIds": [1]}, "fay@example.com,gus@example.com")
        assert response.status_code == 200, "the request succeeds with SMTP down"
        api.close()

        def tried() -> bool:
            with sqlite3.connect(db) as conn:
                rows = conn.execute("SELECT status, attempts FROM ls_outbox").fetchall()
            return len(rows) == 2 and any(a >= 1 for _, a in rows)

        wait_until(tried)
        first.stop()

        controller, inbox = smtp_server(port)
        second = start_server(env, tmp_path)
        messages = inbox.wait_for(2)
        time.sleep(3)
        messages = inbox.snapshot()
        assert sorted(m["To"] for m in messages) == ["fay@example.com", "gus@example.com"]
        with sqlite3.connect(db) as conn:
            statuses = conn.execute("SELECT status FROM ls_outbox").fetchall()
        assert statuses == [("sent",), ("sent",)]
        for message in messages:
            _, link_token = link_of(message)
            assert httpx.get(f"{second.base_url}/exports/{link_token}").status_code == 200
    finally:
        first.stop()
        if second is not None:
            second.stop()
        if controller is not None:
            controller.stop()
