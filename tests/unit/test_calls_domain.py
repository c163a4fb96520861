"""Dial attempts, call records, DNC entries and exports in the domain (SPEC §1, §4, §5)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadstate.domain import Conflict, InvalidRequest, Lead, LeadAction, LeadState
from leadstate.domain.calls import DIAL_ATTEMPT, MANUAL_PASS, DialAttempt, dial_outcome
from leadstate.domain.dnc import DncEntry, dnc_key
from leadstate.domain.export import Export, ExportStatus, LinkState
from leadstate.requests.calls import parse_dial_attempt
from leadstate.requests.params import parse_params
from tests.unit.support import NOW, PHONE, fold, later, meta, new_lead


def attempt(
    uii: str = "uii-1", agent: int = 42, disposition: str = "NOANSWER", **kw: Any
) -> DialAttempt:
    """A parsed dial attempt."""
    body: dict[str, Any] = {
        "uii": uii,
        "agentId": agent,
        "systemDisposition": disposition,
        "agentDisposition": "LEFT MESSAGE",
        "talkTime": 12,
    }
    body.update(kw)
    return parse_dial_attempt(body)


def dial(
    lead: Lead,
    a: DialAttempt,
    *,
    max_passes: int = 3,
    delay: int = 60,
    dnc: bool = False,
    minutes: int = 0,
) -> tuple[Any, bool]:
    """Record `a` on `lead` with campaign settings `max_passes`/`delay`."""
    return lead.record_dial_attempt(
        a,
        campaign_max_passes=max_passes,
        pass_delay_min=delay,
        phone_on_dnc=dnc,
        meta=meta(at=later(minutes)),
    )


# -- parsing --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"uii": ""}, "uii"),
        ({"uii": None}, "uii"),
        ({"agentId": 0}, "agentId"),
        ({"agentId": True}, "agentId"),
        ({"systemDisposition": "HUNG_UP"}, "systemDisposition"),
        ({"systemDisposition": "MANUAL_PASS"}, "systemDisposition"),
        ({"talkTime": -1}, "talkTime"),
        ({"talkTime": "soon"}, "talkTime"),
        ({"startTime": "yesterday"}, "startTime"),
        ({"agentDisposition": 5}, "agentDisposition"),
    ],
)
def test_a_bad_dial_attempt_is_a_400_naming_the_field(change: dict[str, Any], field: str) -> None:
    body = {"uii": "u", "agentId": 1, "systemDisposition": "ANSWER", "talkTime": 0, **change}
    with pytest.raises(InvalidRequest, match=field):
        parse_dial_attempt(body)


def test_a_dial_attempt_accepts_strings_and_times_with_offsets() -> None:
    parsed = parse_dial_attempt(
        {
            "uii": "u-9",
            "agentId": "7",
            "systemDisposition": "answer",
            "talkTime": "30",
            "startTime": "2026-03-02T09:00:00+0000",
        }
    )
    assert (parsed.agent_id, parsed.system_disposition, parsed.talk_time) == (7, "ANSWER", 30)
    assert parsed.start_time is not None and parsed.start_time.isoformat().endswith("+00:00")


# -- effects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("disposition", "state"),
    [
        ("ANSWER", LeadState.COMPLETE),
        ("APP_DNC", LeadState.DO_NOT_CALL),
        ("DISCONNECT", LeadState.DISCONNECTED),
        ("INTERCEPT", LeadState.INTERCEPT),
        ("NOANSWER", LeadState.READY),
        ("BUSY", LeadState.READY),
    ],
)
def test_the_system_disposition_decides_the_state(disposition: str, state: LeadState) -> None:
    lead = new_lead(max_passes=None)
    lead.reserve(42, meta())
    before = lead.next_dial_time
    record, new = dial(lead, attempt(disposition=disposition), delay=30)
    assert new and lead.state is state
    assert lead.lead_passes == 1
    assert lead.last_pass_disposition == disposition
    assert lead.agent_disposition == "LEFT MESSAGE"
    assert lead.last_pass_agent_id == 42
    assert lead.pending_agent_id is None, "the reservation is consumed"
    assert lead.last_pass_dts == NOW
    if state is LeadState.READY:
        assert lead.next_dial_time == NOW + timedelta(minutes=30)
    else:
        assert lead.next_dial_time == before
    assert record.kind == DIAL_ATTEMPT and record.uii == "uii-1" and record.lead_state == state
    assert record.key == f"{lead.lead_id}:{lead.version}"


def test_the_lead_reaches_max_dial_limit_at_its_own_max_passes() -> None:
    lead = new_lead(max_passes=2)
    dial(lead, attempt("a"), max_passes=10, delay=0)
    assert lead.state is LeadState.READY
    dial(lead, attempt("b"), max_passes=10, delay=0)
    assert lead.state is LeadState.MAX_DIAL_LIMIT, "the lead's own maxPasses wins"


def test_without_its_own_limit_the_campaign_max_passes_applies() -> None:
    lead = new_lead(max_passes=None)
    for n in range(3):
        dial(lead, attempt(f"u{n}"), max_passes=3, delay=0)
    assert lead.state is LeadState.MAX_DIAL_LIMIT and lead.lead_passes == 3


def test_dial_outcome_requeues_below_the_limit_only() -> None:
    assert dial_outcome("NOANSWER", 1, 2) == (LeadState.READY, True)
    assert dial_outcome("NOANSWER", 2, 2) == (LeadState.MAX_DIAL_LIMIT, False)
    assert dial_outcome("ANSWER", 2, 2) == (LeadState.COMPLETE, False)


def test_the_same_uii_twice_is_one_attempt() -> None:
    lead = new_lead()
    first, new = dial(lead, attempt("same"), delay=0)
    lead.collect_events()
    again, new_again = dial(lead, attempt("same", disposition="ANSWER"), minutes=5)
    assert new and not new_again
    assert again == first
    assert lead.pending_events == [] and lead.lead_passes == 1


# -- who may dial ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "state",
    [
        s
        for s in LeadState
        if s not in (LeadState.READY, LeadState.CALLBACK, LeadState.AGENT_CALLBACK)
    ],
)
def test_a_lead_in_a_state_not_dialable_refuses_a_dial_attempt(state: LeadState) -> None:
    lead = new_lead(state)
    with pytest.raises(Conflict, match="not dialable"):
        dial(lead, attempt())
    assert lead.pending_events == []


def test_suppressed_not_due_dnc_or_reserved_for_another_agent_refuse() -> None:
    suppressed = new_lead()
    suppressed.suppress(meta())
    with pytest.raises(Conflict, match="suppressed"):
        dial(suppressed, attempt())

    future = new_lead()
    future.callback(
        parse_params(
            LeadAction.CALLBACK_LEADS,
            {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-03-05T00:00:00Z"},
        ),
        meta(),
    )
    with pytest.raises(Conflict, match="not due"):
        dial(future, attempt())

    with pytest.raises(Conflict, match="do-not-call"):
        dial(new_lead(), attempt(), dnc=True)

    reserved = new_lead()
    reserved.reserve(7, meta())
    with pytest.raises(Conflict, match="reserved for agent 7"):
        dial(reserved, attempt(agent=42))
    dial(reserved, attempt(agent=7))
    assert reserved.lead_passes == 1


def test_an_agent_callback_is_dialable_for_its_agent_once_due() -> None:
    lead = new_lead()
    lead.callback(
        parse_params(
            LeadAction.CALLBACK_LEADS, {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 9}
        ),
        meta(),
    )
    assert lead.not_dialable_because(NOW, 9, phone_on_dnc=False) is None
    assert lead.not_dialable_because(NOW, 8, phone_on_dnc=False) is not None
    dial(lead, attempt(agent=9, disposition="ANSWER"))
    assert lead.state is LeadState.COMPLETE and lead.pending_agent_id is None


# -- call records and replay ----------------------------------------------------------


def test_every_pass_leaves_a_call_record_and_a_fold_rebuilds_them() -> None:
    lead = new_lead(collect=False)
    lead.manual_pass(
        parse_params(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "CALL ME", "REQUEUE": True}),
        meta(),
    )
    dial(lead, attempt("x1"), minutes=1)
    kinds = [(c.kind, c.uii, c.system_disposition) for c in lead.calls]
    assert kinds == [(MANUAL_PASS, None, "MANUAL_PASS"), (DIAL_ATTEMPT, "x1", "NOANSWER")]
    rebuilt = fold(lead.collect_events())
    assert rebuilt.calls == lead.calls
    record = lead.calls[0]
    assert record.agent_disposition == "CALL ME" and record.lead_state == "READY"
    # A call record names ids, dispositions and times: no contact data.
    assert PHONE not in repr(lead.calls) and "Ada" not in repr(lead.calls)


def test_manual_pass_with_do_not_call_sets_do_not_call() -> None:
    lead = new_lead()
    lead.manual_pass(
        parse_params(LeadAction.MANUAL_LEADS, {"PASS_DISPOSITION": "STOP", "DO_NOT_CALL": True}),
        meta(),
    )
    assert lead.state is LeadState.DO_NOT_CALL and lead.calls[-1].lead_state == "DO-NOT-CALL"


# -- DNC entries ----------------------------------------------------------------------


def test_a_dnc_entry_is_one_stream_per_account_and_phone() -> None:
    entry = DncEntry.add(1, "+1 (555) 010-0001", "APP_DNC", NOW, "key-1")
    assert entry.phone == "5550100001"
    assert entry.id == DncEntry.create_id(1, "5550100001") == DncEntry.create_id(1, "15550100001")
    assert entry.id != DncEntry.create_id(2, "5550100001")
    assert entry.key == dnc_key(1, "555-010-0001") == "1:5550100001"
    with pytest.raises(ValueError):
        DncEntry.add(1, "", "APP_DNC", NOW, "key-1")


# -- exports --------------------------------------------------------------------------


def export(ttl: int = 60, recipients: int = 2) -> Export:
    """A requested export."""
    return Export.request(
        export_id="e" * 32,
        account_id=1,
        recipients=[f"r{n}@example.com" for n in range(recipients)],
        criteria={"campaignIds": [1]},
        matched=3,
        link_ttl=ttl,
        at=NOW,
        actor="key-1",
        correlation_id="req-1",
    )


def test_an_export_link_works_until_its_ttl_after_its_email_was_sent() -> None:
    e = export(ttl=60)
    assert e.link_state(0, NOW) == LinkState.UNKNOWN, "no link before the file is stored"
    e.leads_selected(3, NOW)
    e.file_stored(3, 100, "abc", NOW)
    assert e.status == ExportStatus.READY
    assert e.link_state(0, later(600)) == LinkState.USABLE, "the clock starts at sending"
    assert e.link_sent(0, later(1))
    assert not e.link_sent(0, later(2)), "marked sent once"
    assert e.link_state(0, later(1) + timedelta(seconds=59)) == LinkState.USABLE
    assert e.link_state(0, later(1) + timedelta(seconds=60)) == LinkState.GONE
    assert e.link_state(5, NOW) == LinkState.UNKNOWN
    assert not e.purge(later(3)), "recipient 1 has not been mailed yet"
    e.link_failed(1, "refused", later(3))
    assert e.link_state(1, later(3)) == LinkState.GONE
    assert e.purge(later(3))
    assert e.status == ExportStatus.PURGED and e.link_state(0, later(1)) == LinkState.GONE
    rebuilt: Any = None
    for domain_event in e.collect_events():
        rebuilt = domain_event.mutate(rebuilt)
    assert (rebuilt.status, rebuilt.sent_at, rebuilt.failed) == (e.status, e.sent_at, e.failed)


def test_a_withdrawn_export_answers_gone_and_cannot_be_stored() -> None:
    e = export()
    e.leads_selected(3, NOW)
    assert e.withdraw("a lead it holds was deleted", NOW, "key-1", "req-2")
    assert not e.withdraw("again", NOW, "key-1", "req-3")
    assert e.link_state(0, NOW) == LinkState.GONE
    with pytest.raises(Conflict):
        e.file_stored(3, 100, "abc", NOW)


def test_an_export_link_lasts_at_most_a_day() -> None:
    with pytest.raises(ValueError):
        export(ttl=86_401)
    with pytest.raises(ValueError):
        export(recipients=0)
