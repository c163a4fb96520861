"""DELETE_LEADS makes a lead's personal data unrecoverable (SPEC §5), down to the bytes."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import psycopg
import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.application.views import ERASED_VALUE
from leadstate.domain import Lead, NotFound
from leadstate.domain.edits import EditOptions
from leadstate.requests.edits import parse_edit
from leadstate.settings import Settings
from tests.backends import PG_URL, open_service
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    act,
    ids,
    lead,
    load,
    meta,
    raw_row,
    row,
    search,
    unique,
    unique_phone,
)

BULK_VICTIMS = 1000
PERSONAL_VIEW_FIELDS = ("firstName", "lastName", "email", "leadPhone", "address1", "city")


class Victim:
    """A lead whose every personal field is a string found nowhere else."""

    def __init__(self) -> None:
        self.phone = unique_phone()
        self.fields = {
            "firstName": unique("Fn"),
            "lastName": unique("Ln"),
            "email": f"{unique('mail')}@example.org",
            "address1": unique("Addr"),
            "address2": unique("Apt"),
            "city": unique("City"),
            "auxData1": unique("Aux"),
        }
        self.edited_address = unique("Moved")

    def secrets(self) -> dict[str, bytes]:
        """Every personal value the storage must no longer hold, as bytes to look for."""
        found = {name: value.encode() for name, value in self.fields.items()}
        found["leadPhone"] = self.phone.encode()
        found["edited address1"] = self.edited_address.encode()
        return found


def tokens(stored: bytes) -> set[str]:
    """Every string `unique()` makes with the bulk test's prefixes, and every 10-digit
    window of a digit run, found in `stored`: many values looked up in one pass.

    No prefix starts with a hex digit, so a match never eats into the next value even
    where SQLite stores columns back to back."""
    found = {m.decode() for m in re.findall(rb"(?:Fn|Ln|City|Kept|m)[0-9a-f]{16}", stored)}
    for run in re.findall(rb"[0-9]{10,}", stored):
        found.update(run[i : i + 10].decode() for i in range(len(run) - 9))
    return found


def scan_sqlite(directory: Path) -> bytes:
    """The bytes of every SQLite file (database, WAL, shared memory) in `directory`."""
    files = [p for p in directory.iterdir() if p.name.endswith((".db", ".db-wal", ".db-shm"))]
    assert any(p.name.endswith(".db") for p in files), files
    return b"".join(p.read_bytes() for p in files)


def scan_postgres(schema: str) -> bytes:
    """`pg_dump` of the schema, taken after `VACUUM FULL` of each of its tables."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
            ).fetchall()
        ]
        assert tables
        for table in tables:
            conn.execute(f'VACUUM FULL "{schema}"."{table}"')
    dump = subprocess.run(
        ["pg_dump", f"--dbname={PG_URL}", f"--schema={schema}", "--no-owner"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    return dump.stdout


def scan(settings: Settings, app: Leadstate, tmp_path: Path) -> bytes:
    """Close the application and return everything its database holds, as bytes."""
    if settings.is_postgres:
        app.close()
        return scan_postgres(settings.pg_schema)
    assert app.store.compact()  # SQLite: VACUUM and truncate the WAL
    app.close()
    return scan_sqlite(tmp_path)


def test_a_deleted_leads_personal_data_is_nowhere_in_the_database(
    settings: Settings, tmp_path: Path
) -> None:
    app = open_service(settings)
    victim = Victim()
    live_name = unique("Alive")
    victim_id, live_id = load(
        app,
        [
            row(phone=f"+1 ({victim.phone[:3]}) {victim.phone[3:6]}-{victim.phone[6:]}")
            | victim.fields,
            row(firstName=live_name),
        ],
    ).lead_ids
    # A life before deletion: edits (events with contact data), passes, searches.
    app.leads.edit_lead(ACCOUNT, victim_id, parse_edit({"address1": victim.edited_address}), meta())
    act(app, "MANUAL_LEADS", {"leadIds": [victim_id]}, {"PASS_DISPOSITION": "NA", "REQUEUE": True})
    act(app, "SUPPRESS_LEADS", {"firstName": victim.fields["firstName"]})
    assert ids(app, {"leadPhoneNum": victim.phone}) == [victim_id]
    assert ids(app, {"emailAddress": victim.fields["email"]}) == [victim_id]

    result = act(app, "DELETE_LEADS", {"leadIds": [victim_id]})

    assert result.delete_count == 1
    assert raw_row(app, victim_id) is None
    with pytest.raises(NotFound):
        lead(app, victim_id)
    assert search(app, {"leadPhoneNum": victim.phone}) == []
    keys = app.store.qualify("ls_lead_keys")
    with app.store.read() as cur:
        cur.execute(
            f"SELECT COUNT(*) AS n FROM {keys} WHERE lead_uuid = {app.store.ph}",
            (Lead.create_id(victim_id).hex,),
        )
        found = cur.fetchone()
    assert found["n"] == 0, "the key is destroyed"
    assert lead(app, live_id)["firstName"] == live_name

    everything = scan(settings, app, tmp_path)

    assert live_name.encode() in everything, "the scan sees what the database holds"
    leftovers = [name for name, value in victim.secrets().items() if value in everything]
    assert leftovers == [], f"personal data of the deleted lead still stored: {leftovers}"


def test_deleting_many_leads_after_a_bulk_load_leaves_none_of_their_data(
    settings: Settings, tmp_path: Path
) -> None:
    """Many page splits (random phones and names interleaved with kept leads) leave stale
    copies of index cells in SQLite pages; a checkpoint must not keep any of them."""
    app = open_service(settings)
    victims = [
        row(
            phone=unique_phone(),
            firstName=unique("Fn"),
            lastName=unique("Ln"),
            email=f"{unique('m')}@example.org",
            city=unique("City"),
        )
        for _ in range(BULK_VICTIMS)
    ]
    kept = [row(firstName=unique("Kept")) for _ in victims]
    loaded = load(app, [r for pair in zip(victims, kept, strict=True) for r in pair]).lead_ids
    victim_ids = loaded[0::2]

    result = act(app, "DELETE_LEADS", {"leadIds": victim_ids})

    assert result.delete_count == len(victims)
    stored = tokens(scan(settings, app, tmp_path))
    assert all(k["firstName"] in stored for k in kept), "the scan sees what the database holds"
    leftovers = [
        f"{name}={value}"
        for victim in victims
        for name, value in victim.items()
        if name != "externId" and (value in stored or value.split("@")[0] in stored)
    ]
    assert leftovers == [], f"{len(leftovers)} personal values still stored: {leftovers[:5]}"


def test_the_history_of_a_deleted_lead_shows_its_actions_with_personal_fields_erased(
    app: Leadstate,
) -> None:
    victim = Victim()
    victim_id = load(app, [row(phone=victim.phone) | victim.fields]).lead_ids[0]
    act(app, "PAUSE_LEADS", {"leadIds": [victim_id]})
    app.leads.edit_lead(
        ACCOUNT,
        victim_id,
        parse_edit({"address1": victim.edited_address}),
        meta(),
        EditOptions(campaign_id=CAMPAIGN),
    )
    before = app.leads.get_lead(ACCOUNT, victim_id, version=2)
    assert (before["leadState"], before["firstName"]) == ("PAUSED", victim.fields["firstName"])

    act(app, "DELETE_LEADS", {"leadIds": [victim_id]})

    history = [app.leads.get_lead(ACCOUNT, victim_id, version=v) for v in (1, 2, 3, 4)]
    assert [h["version"] for h in history] == [1, 2, 3, 4]
    assert [h["leadState"] for h in history] == ["READY", "PAUSED", "PAUSED", "PAUSED"]
    assert [h["deleted"] for h in history] == [False, False, False, True]
    for view in history:
        assert view["leadId"] == victim_id
        assert view["externId"] is not None
        for name in PERSONAL_VIEW_FIELDS:
            assert view[name] == ERASED_VALUE, (view["version"], name)
        flat = repr(view)
        for name, value in victim.secrets().items():
            assert value.decode() not in flat, name
    with pytest.raises(NotFound):
        lead(app, victim_id)
