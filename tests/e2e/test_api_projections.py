"""Read models over HTTP on a running `leadstate serve` (SQLite and PostgreSQL): the
asynchronous counts followed inside the server, and blue/green rebuilds started by
`POST /admin/projections/{name}/rebuild` while the server keeps answering."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.support import Api, row

pytestmark = pytest.mark.slow

CAMPAIGN = 31
OTHER = 32


def projections(api: Api) -> dict[str, dict[str, Any]]:
    """`GET /admin/projections` by name; asserts 200."""
    response = api.http.get("/admin/projections")
    assert response.status_code == 200, response.text
    return {p["name"]: p for p in response.json()}


def counts_when_current(api: Api, **params: Any) -> list[dict[str, Any]]:
    """`GET .../counts` once DIALER_REFRESH says every read model is current."""
    assert api.act("DIALER_REFRESH")["dialerRefreshed"] is True
    response = api.http.get(api.path("/counts"), params=params)
    assert response.status_code == 200, response.text
    counts: list[dict[str, Any]] = response.json()
    return counts


def test_counts_follow_loads_and_actions_inside_the_server(api: Api) -> None:
    ids = api.load(CAMPAIGN, [row() for _ in range(4)])["leadIds"]
    api.load(OTHER, [row()])
    api.act("CANCEL_LEADS", {"leadIds": ids[:1]})
    api.act("SUPPRESS_LEADS", {"leadIds": ids[1:2]})
    counts = counts_when_current(api, campaignId=CAMPAIGN)
    got = {(c["leadState"], c["suppressed"]): c["count"] for c in counts}
    assert got == {("CANCELLED", False): 1, ("READY", True): 1, ("READY", False): 2}
    assert {c["campaignId"] for c in counts} == {CAMPAIGN}
    everything = counts_when_current(api)
    assert sum(c["count"] for c in everything) == 5
    api.act("DELETE_LEADS", {"leadIds": ids})
    assert {c["campaignId"] for c in counts_when_current(api)} == {OTHER}


def test_projections_list_every_read_model_current_after_a_refresh(api: Api) -> None:
    api.load(CAMPAIGN, [row()])
    counts_when_current(api)
    listed = projections(api)
    assert {"lead_search", "lead_counts"} <= set(listed)
    assert listed["lead_search"]["mode"] == "synchronous"
    assert listed["lead_counts"]["mode"] == "asynchronous"
    for view in listed.values():
        assert view["status"] == "live", view


def test_a_rebuild_over_http_swaps_in_a_new_table_while_the_server_answers(api: Api) -> None:
    ids = api.load(CAMPAIGN, [row() for _ in range(30)])["leadIds"]
    api.act("MANUAL_LEADS", {"leadIds": ids[:10]}, {"PASS_DISPOSITION": "SALE"})
    before = projections(api)["lead_search"]
    started = api.http.post("/admin/projections/lead_search/rebuild")
    assert started.status_code == 202, started.text
    assert started.json()["name"] == "lead_search"
    # The server keeps answering commands and searches while it rebuilds.
    deadline = time.monotonic() + 120
    moved = 0
    while True:
        assert api.act("READY_LEADS", {"leadIds": ids[10 + moved % 20 : 11 + moved % 20]})
        moved += 1
        assert len(api.search({"campaignIds": [CAMPAIGN]}, maxRows=1000)) >= 30
        now = projections(api)["lead_search"]
        if now["table"] != before["table"] and now["progress"] is None:
            break
        assert time.monotonic() < deadline, now
    assert now["status"] == "live" and now["lag"] == 0
    found = {lead["leadId"]: lead for lead in api.search({"leadIds": ids}, maxRows=1000)}
    assert sorted(found) == sorted(ids)
    assert {found[i]["leadState"] for i in ids[:10]} == {"COMPLETE"}


def test_rebuilding_an_unknown_read_model_is_404_naming_the_known_ones(api: Api) -> None:
    response = api.http.post("/admin/projections/nope/rebuild")
    assert response.status_code == 404
    assert "lead_search" in response.json()["error"]["message"]
