"""Dial attempts, call records and the DNC list on both backends (SPEC §4, §5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.application.export_links import LinkGone
from leadstate.domain import Conflict, InvalidRequest, NotFound, utcnow
from leadstate.domain.export import ExportStatus
from leadstate.persistence.tables import EXPORT_FILES, EXPORT_LEADS, OUTBOX
from leadstate.requests.calls import parse_dial_attempt
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    OTHER_ACCOUNT,
    OTHER_CAMPAIGN,
    act,
    lead,
    load,
    meta,
    raw_row,
    row,
    unique_phone,
)


def call(
    app: Leadstate,
    lead_id: int,
    uii: str,
    disposition: str = "NOANSWER",
    agent: int = 42,
    account: int = ACCOUNT,
    **extra: Any,
) -> dict[str, Any]:
    """`POST .../campaignLeads/{leadId}/calls`."""
    body = {"uii": uii, "agentId": agent, "systemDisposition": disposition, "talkTime": 20}
    body.update(extra)
    return app.dialing.record_call(account, lead_id, parse_dial_attempt(body), meta())


def rows_of(app: Leadstate, table: str) -> list[dict[str, Any]]:
    """Every row of a table, as dicts."""
    with app.store.read() as cur:
        cur.execute(f"SELECT * FROM {app.store.qualify(table)}")
        return [dict(r) for r in cur.fetchall()]


def test_a_dial_attempt_follows_the_campaign_settings(app: Leadstate) -> None:
    app.leads.set_campaign_settings(ACCOUNT, CAMPAIGN, 2, 15, actor="test")
    lead_id = load(app, [row()]).lead_ids[0]
    before = utcnow()
    record = call(app, lead_id, "u-1", agentDisposition="VOICEMAIL")
    view = lead(app, lead_id)
    assert (view["leadState"], view["leadPasses"], view["lastPassDisposition"]) == (
        "READY",
        1,
        "NOANSWER",
    )
    assert view["agentDisposition"] == "VOICEMAIL" and view["lastPassAgentId"] == 42
    due = raw_row(app, lead_id)
    assert due is not None
    assert due["next_dial_time"] >= int((before + timedelta(minutes=15)).timestamp() * 1e6) - 1
    assert record["kind"] == "DIAL_ATTEMPT" and record["leadPasses"] == 1

    with pytest.raises(Conflict, match="not due"):
        call(app, lead_id, "u-2")
    act(app, "RESET_LEADS", {"leadIds": [lead_id]})  # passes 0, due now
    app.leads.set_campaign_settings(ACCOUNT, CAMPAIGN, 2, 0, actor="test")
    call(app, lead_id, "u-3")
    call(app, lead_id, "u-4")
    assert lead(app, lead_id)["leadState"] == "MAX-DIAL-LIMIT"
    assert [c["uii"] for c in app.dialing.calls(ACCOUNT, lead_id=lead_id)] == ["u-1", "u-3", "u-4"]


def test_the_same_uii_twice_is_one_attempt_and_a_uii_belongs_to_one_lead(
    app: Leadstate,
) -> None:
    first_id, second_id = load(app, [row(), row()]).lead_ids
    first = call(app, first_id, "same", "ANSWER")
    version = raw_row(app, first_id)["version"]  # type: ignore[index]
    again = call(app, first_id, "same", "ANSWER")
    assert again == first
    assert raw_row(app, first_id)["version"] == version, "nothing appended"  # type: ignore[index]
    assert len(app.dialing.calls(ACCOUNT, lead_id=first_id)) == 1
    with pytest.raises(Conflict, match="already recorded for lead"):
        call(app, second_id, "same")


def test_dial_attempts_are_refused_with_409_or_404_as_they_should(app: Leadstate) -> None:
    lead_id = load(app, [row()]).lead_ids[0]
    act(app, "AGENT_RESERVATION", {"leadIds": [lead_id]}, {"RESERVATION_AGENT_ID": 7})
    with pytest.raises(Conflict, match="reserved for agent 7"):
        call(app, lead_id, "u-1", agent=8)
    act(app, "SUPPRESS_LEADS", {"leadIds": [lead_id]})
    with pytest.raises(Conflict, match="suppressed"):
        call(app, lead_id, "u-1", agent=7)
    with pytest.raises(NotFound):
        call(app, lead_id, "u-1", agent=7, account=OTHER_ACCOUNT)
    with pytest.raises(InvalidRequest, match="systemDisposition"):
        call(app, lead_id, "u-1", "SOMETHING")
    act(app, "UNSUPPRESS_LEADS", {"leadIds": [lead_id]})
    call(app, lead_id, "u-1", agent=7)
    assert lead(app, lead_id)["pendingAgentId"] is None, "the reservation was consumed"


def test_app_dnc_puts_the_phone_on_the_list_for_every_campaign(app: Leadstate) -> None:
    phone = unique_phone()
    dialled = load(app, [row(phone=phone)]).lead_ids[0]
    twin = load(app, [row(phone=f"+1 {phone}")], campaign=OTHER_CAMPAIGN).lead_ids[0]
    other_account = load(app, [row(phone=phone)], account=OTHER_ACCOUNT).lead_ids[0]

    call(app, dialled, "u-dnc", "APP_DNC")
    assert lead(app, dialled)["leadState"] == "DO-NOT-CALL"
    assert [e["phone"] for e in app.dialing.dnc_list(ACCOUNT)] == [phone]
    assert app.dialing.dnc_list(OTHER_ACCOUNT) == [], "nothing crosses accounts"

    with pytest.raises(Conflict, match="do-not-call"):
        call(app, twin, "u-twin")
    assert lead(app, twin)["leadState"] == "READY", "its state is untouched, it just is not dialled"
    assert [v["leadId"] for v in app.dialing.dialable(ACCOUNT, OTHER_CAMPAIGN)] == []
    call(app, other_account, "u-other", account=OTHER_ACCOUNT)

    reload = load(app, [row(phone=phone), row()], campaign=OTHER_CAMPAIGN)
    assert (reload.dnc_returned, reload.leads_inserted) == (1, 1)
    assert reload.rejected[0].message == "phone is on the do-not-call list"


def test_manual_pass_with_do_not_call_and_reloading_that_phone(app: Leadstate) -> None:
    phone = unique_phone()
    lead_ids = load(app, [row(phone=phone), row(phone=phone)]).lead_ids
    result = act(
        app,
        "MANUAL_LEADS",
        {"leadIds": lead_ids},
        {"PASS_DISPOSITION": "ASKED NOT TO CALL", "DO_NOT_CALL": True},
    )
    assert result.update_count == 2
    assert [lead(app, i)["leadState"] for i in lead_ids] == ["DO-NOT-CALL", "DO-NOT-CALL"]
    assert [e["phone"] for e in app.dialing.dnc_list(ACCOUNT)] == [phone], "one entry per phone"

    again = load(app, [row(phone=phone)])
    assert (again.dnc_returned, again.leads_inserted, again.leads_accepted) == (1, 0, 0)
    calls = app.dialing.calls(ACCOUNT, campaign_id=CAMPAIGN)
    assert {c["kind"] for c in calls} == {"MANUAL_PASS"} and len(calls) == 2
    assert {c["agentDisposition"] for c in calls} == {"ASKED NOT TO CALL"}


def test_a_deleted_lead_keeps_its_call_records_and_dnc_entry_without_personal_data(
    app: Leadstate,
) -> None:
    phone = unique_phone()
    lead_id = load(app, [row(phone=phone, firstName="Zebedee", email="zeb@example.com")]).lead_ids[
        0
    ]
    call(app, lead_id, "u-del", "APP_DNC", startTime="2026-01-05T10:00:00Z")
    act(app, "DELETE_LEADS", {"leadIds": [lead_id]})

    assert raw_row(app, lead_id) is None
    records = app.dialing.calls(ACCOUNT, lead_id=lead_id)
    assert len(records) == 1 and records[0]["startTime"] == "2026-01-05T10:00:00+00:00"
    stored = rows_of(app, app.tables["calls"])
    assert len(stored) == 1
    text = repr(stored)
    for personal in ("Zebedee", "zeb@example.com", phone):
        assert personal not in text
    assert [e["phone"] for e in app.dialing.dnc_list(ACCOUNT)] == [phone], "DNC outlives the lead"
    assert app.audit.verify_read_models() == []


def test_call_records_are_searchable_by_campaign_agent_lead_and_time(app: Leadstate) -> None:
    a, b = load(app, [row(), row()]).lead_ids
    c = load(app, [row()], campaign=OTHER_CAMPAIGN).lead_ids[0]
    call(app, a, "a1", agent=1, startTime="2026-02-01T10:00:00Z")
    call(app, b, "b1", agent=2, startTime="2026-02-02T10:00:00Z")
    call(app, c, "c1", agent=1, startTime="2026-02-03T10:00:00Z")

    def uiis(**kw: Any) -> list[str]:
        return [r["uii"] for r in app.dialing.calls(ACCOUNT, **kw)]

    assert uiis() == ["a1", "b1", "c1"]
    assert uiis(campaign_id=CAMPAIGN) == ["a1", "b1"]
    assert uiis(agent_id=1) == ["a1", "c1"]
    assert uiis(lead_id=b) == ["b1"]
    t = lambda text: utcnow().fromisoformat(text)  # noqa: E731
    assert uiis(start=t("2026-02-02T00:00:00+00:00")) == ["b1", "c1"]
    assert uiis(end=t("2026-02-02T10:00:00+00:00")) == ["a1"]
    assert uiis(page=1, max_rows=2) == ["c1"]
    assert app.dialing.calls(OTHER_ACCOUNT) == []
    with pytest.raises(InvalidRequest):
        uiis(start=t("2026-02-03T00:00:00+00:00"), end=t("2026-02-01T00:00:00+00:00"))


def test_calls_dnc_and_exports_read_models_rebuild_to_the_same_rows(app: Leadstate) -> None:
    a, b = load(app, [row(), row()]).lead_ids
    call(app, a, "r1", "APP_DNC")
    act(app, "MANUAL_LEADS", {"leadIds": [b]}, {"PASS_DISPOSITION": "X", "REQUEUE": True})
    act(app, "EMAIL_LEADS", {"leadIds": [a, b]}, {"EMAIL_TO": "ops@example.com"})
    act(app, "DELETE_LEADS", {"leadIds": [a]})
    for name in ("calls", "dnc", "exports"):
        before = sorted(map(repr, rows_of(app, app.tables[name])))
        app.read_models.rebuild_projection(name)
        assert sorted(map(repr, rows_of(app, app.tables[name]))) == before, name
    assert app.audit.verify_read_models() == []


def test_deleting_a_lead_withdraws_and_purges_the_exports_holding_it(app: Leadstate) -> None:
    a, b, c = load(app, [row(), row(), row()]).lead_ids
    result = act(app, "EMAIL_LEADS", {"leadIds": [a, b]}, {"EMAIL_TO": "x@example.com"})
    assert (result.total, result.update_count) == (2, 0)
    other = act(app, "EMAIL_LEADS", {"leadIds": [c]}, {"EMAIL_TO": "y@example.com"})
    assert other.total == 1
    exports = {r["export_id"]: r for r in rows_of(app, app.tables["exports"])}
    holding = next(e for e, r in exports.items() if r["row_count"] == 2)
    keeping = next(e for e, r in exports.items() if r["row_count"] == 1)
    token = app.exports.links.token(holding, 0)
    assert b"".join(app.exports.open_link(token).chunks)[:2] == b"PK"

    act(app, "DELETE_LEADS", {"leadIds": [b]})
    with pytest.raises(LinkGone, match="no longer available"):
        app.exports.open_link(token)
    assert app.exports.get(holding).status == ExportStatus.WITHDRAWN
    assert app.exports.get(keeping).status == ExportStatus.READY
    assert {r["export_id"] for r in rows_of(app, EXPORT_FILES)} == {keeping}
    assert {r["export_id"] for r in rows_of(app, EXPORT_LEADS)} == {keeping}
    assert {r["export_id"] for r in rows_of(app, OUTBOX)} == {keeping}
    assert b"".join(app.exports.open_link(app.exports.links.token(keeping, 0)).chunks)[:2] == b"PK"
