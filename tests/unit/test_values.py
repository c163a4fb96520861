"""Value helpers of SPEC §1: lead states, phones, times."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadstate.domain import DIALABLE_STATES, LeadState, normalize_phone, parse_time, utcnow
from leadstate.domain.values import text_key
from leadstate.persistence.base import from_micros, micros
from leadstate.projections.lead_search import iso

SPEC_STATES = [
    "READY",
    "PENDING",
    "ACTIVE",
    "CALLBACK",
    "AGENT-CALLBACK",
    "PENDING-CALLBACK",
    "CALLBACK-CANCELLED",
    "CANCELLED",
    "PAUSED",
    "COMPLETE",
    "MAX-DIAL-LIMIT",
    "DO-NOT-CALL",
    "DISCONNECTED",
    "INTERCEPT",
    "PENDING-ERR",
    "PENDING-HCI",
    "TRANSITIONED",
    "WHITELIST",
]


def test_lead_states_are_the_vendor_enum_in_hyphen_spelling() -> None:
    assert [s.value for s in LeadState] == SPEC_STATES


@pytest.mark.parametrize("state", SPEC_STATES)
def test_lead_state_parse_accepts_underscores_and_any_case(state: str) -> None:
    assert LeadState.parse(state).value == state
    assert LeadState.parse(state.replace("-", "_").lower()).value == state
    assert LeadState.parse(f" {state} ").value == state


def test_unknown_lead_state_names_the_allowed_ones() -> None:
    with pytest.raises(ValueError, match="WHITELIST"):
        LeadState.parse("ASLEEP")


def test_dialable_states() -> None:
    assert {s.value for s in DIALABLE_STATES} == {"READY", "CALLBACK", "AGENT-CALLBACK"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("", ""),
        ("+1 (555) 010-0001", "5550100001"),
        ("1-555-010-0001", "5550100001"),
        ("5550100001", "5550100001"),
        ("1555010000", "1555010000"),
        ("25550100001", "25550100001"),
        ("+44 20 7946 0958", "442079460958"),
    ],
)
def test_normalize_phone_keeps_digits_and_drops_a_leading_1_of_11(
    raw: str | None, expected: str
) -> None:
    assert normalize_phone(raw) == expected


@settings(deadline=None, derandomize=True, database=None)
@given(st.text(alphabet="0123456789 +-().", max_size=20))
def test_normalize_phone_is_idempotent_and_digits_only(raw: str) -> None:
    once = normalize_phone(raw)

    assert once.isdigit() or once == ""
    assert normalize_phone(once) == once
    assert not (len(once) == 11 and once.startswith("1"))


T = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw",
    [
        "2026-01-31T09:30:00Z",
        "2026-01-31T09:30:00z",
        "2026-01-31T09:30:00+00:00",
        "2026-01-31T09:30:00+0000",
        "2026-01-31T09:30:00",
        "2026-01-31T10:30:00+0100",
        "2026-01-31T04:30:00-05:00",
        "2026-01-31 09:30:00+0000",
        T,
    ],
)
def test_parse_time_accepts_z_and_both_offset_spellings(raw: str | datetime) -> None:
    parsed = parse_time(raw)

    assert parsed == T
    assert parsed.tzinfo is UTC


def test_parse_time_converts_aware_datetimes_to_utc() -> None:
    eastern = datetime(2026, 1, 31, 4, 30, tzinfo=timezone(timedelta(hours=-5)))

    assert parse_time(eastern) == T and parse_time(eastern).tzinfo is UTC


@pytest.mark.parametrize("raw", ["", "  ", "soon", "31/01/2026", "2026-02-30T00:00:00Z"])
def test_parse_time_refuses_what_is_not_iso_8601(raw: str) -> None:
    with pytest.raises(ValueError, match="ISO-8601"):
        parse_time(raw)


def test_utcnow_is_aware() -> None:
    assert utcnow().tzinfo is UTC


@settings(deadline=None, derandomize=True, database=None)
@given(
    st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
    )
)
def test_stored_times_round_trip_to_the_microsecond(moment: datetime) -> None:
    assert from_micros(micros(moment)) == moment
    shown = iso(micros(moment))
    assert shown is not None and parse_time(shown) == moment
    assert shown.endswith("+00:00")


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=24))
def test_text_key_is_the_canonical_caseless_key_of_any_text(value: str) -> None:
    expected = unicodedata.normalize("NFC", unicodedata.normalize("NFD", value).casefold())
    assert text_key(value) == expected


def test_text_key_of_ascii_text_is_its_lower_case() -> None:
    assert text_key("Springfield IL 62701") == "springfield il 62701"
    assert text_key("ÉMILE") == text_key("émile") == text_key("E\u0301mile")
