"""A real `leadstate serve` logs JSON lines with request and correlation ids, and no
personal data and no token at all: a full flow (load, search, act, edit, errors, delete)
with unique names, phones, emails and addresses, then a grep of everything it printed."""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.support import (
    ALL_SCOPES,
    Api,
    Server,
    create_key,
    new_account,
    server_env,
    start_server,
    unique_phone,
)

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def logged_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server of its own (its output is this test's alone), logging at DEBUG."""
    workdir = tmp_path_factory.mktemp("hardening-logs")
    env = server_env(str(workdir / "leadstate.db"), LEADSTATE_LOG_LEVEL="DEBUG")
    token = create_key(env, "*", *ALL_SCOPES, cwd=workdir)
    server = start_server(env, workdir)
    server.tokens["admin"] = token
    try:
        yield server
    finally:
        server.stop()


def person(tag: str) -> dict[str, Any]:
    """A lead whose every contact field is unique to this run."""
    word = f"Q{tag}{secrets.token_hex(5)}"
    return {
        "externId": f"ext-{uuid.uuid4().hex[:8]}",
        "leadPhone": unique_phone(),
        "auxPhone": unique_phone(),
        "firstName": f"{word}first",
        "lastName": f"{word}last",
        "email": f"{word.lower()}@example.org",
        "address1": f"{word} Street 1",
        "city": f"{word}ville",
        "zip": str(10_000 + secrets.randbelow(89_999)),
        "auxData1": f"{word}aux",
    }


def personal_values(rows: list[dict[str, Any]]) -> set[str]:
    """Every contact value of `rows` (zips are too short to search for)."""
    return {str(value) for lead in rows for name, value in lead.items() if name != "zip"}


def test_logs_are_json_with_ids_and_hold_no_personal_data_or_token(
    logged_server: Server,
) -> None:
    token = logged_server.tokens["admin"]
    api = Api(logged_server.base_url, token, new_account())
    rows = [person("a"), person("b"), person("c")]
    rejected = {
        **person("r"),
        "leadPhone": "no-phone-" + "".join(secrets.choice("wxyz") for _ in range(8)),
    }
    edited = person("e")
    try:
        loaded = api.load(1, [*rows, rejected], description=f"list {rows[0]['lastName']}")
        assert loaded["leadsInserted"] == 3 and len(loaded["rejectedRows"]) == 1
        lead_ids = loaded["leadIds"]
        correlation = f"trace-{uuid.uuid4().hex[:12]}"

        assert len(api.search({"firstName": rows[0]["firstName"]})) == 1
        assert len(api.search({"emailAddress": rows[1]["email"]})) == 1
        assert len(api.search({"leadPhoneNumbers": [rows[2]["leadPhone"]]})) == 1
        by_phones = api.http.post(
            api.path("/campaignLeads/leadSearchByPhoneList"),
            json={"phoneList": [r["leadPhone"] for r in rows]},
        )
        assert by_phones.status_code == 200 and len(by_phones.json()) == 3
        api.act(
            "MANUAL_LEADS",
            {"leadIds": lead_ids},
            {"PASS_DISPOSITION": "SALE", "REQUEUE": True},
        )
        patch = api.http.patch(
            api.path(f"/campaignLeads/{lead_ids[0]}"),
            json={"firstName": edited["firstName"], "email": edited["email"]},
            headers={"Idempotency-Key": f"edit-{uuid.uuid4().hex}", "X-Request-Id": correlation},
        )
        assert patch.status_code == 200, patch.text
        assert patch.headers["X-Request-Id"] == correlation
        put = api.http.put(
            api.path(f"/campaignLeads/{lead_ids[1]}"),
            json={"lastName": edited["lastName"], "address1": edited["address1"]},
        )
        assert put.status_code == 200, put.text
        bad = api.http.patch(
            api.path(f"/campaignLeads/{lead_ids[2]}"),
            json={"firstName": edited["city"], "leadPriority": edited["auxData1"]},
        )
        assert bad.status_code == 400
        assert api.lead(lead_ids[2])["leadPasses"] == 1
        missing = api.http.get(api.path("/campaignLeads/2000000000"))
        assert missing.status_code == 404
        assert api.act("DELETE_LEADS", {"leadIds": lead_ids})["leadDeleteCount"] == 3
        metrics = api.http.get("/metrics")
        assert metrics.status_code == 200
    finally:
        api.close()
    logged_server.stop()

    secrets_sought = personal_values([*rows, rejected, edited]) | {token}
    printed = {
        "stdout": logged_server.stdout.read_text(encoding="utf-8", errors="replace"),
        "stderr": logged_server.stderr.read_text(encoding="utf-8", errors="replace"),
        "metrics": metrics.text,
    }
    hits = {
        (where, value)
        for where, text in printed.items()
        for value in secrets_sought
        if value in text
    }
    assert hits == set()

    lines = [json.loads(line) for line in printed["stderr"].splitlines() if line.strip()]
    requests = [line for line in lines if line["logger"] == "leadstate.access"]
    assert len(requests) >= 12
    for line in requests:
        assert {"time", "level", "message", "request_id", "correlation_id", "route"} <= set(line)
        assert line["route"].startswith("/") or line["route"] == "unmatched"
        assert str(api.account) not in line["route"]
    edit_line = next(line for line in requests if line["correlation_id"] == correlation)
    assert edit_line["method"] == "PATCH"
    assert edit_line["route"].endswith("/campaignLeads/{leadId}")
    assert edit_line["request_id"] != correlation
    assert any(line["status"] == 400 for line in requests)
