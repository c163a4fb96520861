"""Property tests of the parsers every request goes through: `parse_criteria` (SPEC §3)
and `parse_time` (every date the API takes). Junk gets `InvalidRequest` / `ValueError`,
never another exception (which would be a 500); good input parses to what it says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leadstate.domain import InvalidRequest
from leadstate.domain.criteria import SearchCriteria
from leadstate.domain.values import parse_time
from leadstate.projections import lead_search
from leadstate.requests.criteria import parse_criteria

FUZZ = settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)

CRITERIA_FIELDS = [
    "leadIds", "externIds", "campaignIds", "listIds", "leadPhoneNumbers", "leadStates",
    "agentDispositions", "systemDispositions", "physicalStates", "leadTimezones", "firstName",
    "lastName", "address1", "city", "zip", "emailAddress", "auxData1", "callerId",
    "leadPhoneNum", "suppressed", "agentId", "pendingAgentId", "leadPassesCriteria",
    "lastPassTimeCriteria", "nextDialTimeCriteria", "loadedDtsStart", "loadedDtsEnd",
    "orphanedLeadsOnly",
]  # fmt: skip

ODD_TEXT = st.sampled_from(
    [
        "",
        " ",
        "\x00",
        "\ud800",
        "9" * 5000,
        "-1",
        "1e9",
        "null",
        "\u0663",
        "\uff12\uff10\uff12\uff16-01-01",
        "T",
        "Z",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**31, -(2**31) - 1, 2**63, -(2**64), 10**400])
    | st.floats()
    | st.text(max_size=20)
    | ODD_TEXT
)
JSON = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=10,
)
COMPARISON = st.fixed_dictionaries(
    {},
    optional={
        "operator": st.sampled_from(["GREATER_THAN", "less_than", "EQUALS", "NOPE", 3]) | JSON,
        "value": JSON | st.datetimes().map(datetime.isoformat),
    },
)
CRITERIA = st.dictionaries(
    st.sampled_from(CRITERIA_FIELDS) | st.text(max_size=6),
    JSON | COMPARISON,
    max_size=6,
)


def parse_or_refuse(body: Any) -> SearchCriteria | None:
    """The parsed criteria, or None when refused with an InvalidRequest."""
    try:
        return parse_criteria(body)
    except InvalidRequest as error:
        assert error.message
        return None


@FUZZ
@given(JSON)
def test_any_json_as_criteria_parses_or_is_refused(body: Any) -> None:
    parse_or_refuse(body)


@FUZZ
@given(CRITERIA)
def test_criteria_with_random_values_parse_or_are_refused_and_make_sql(
    body: dict[str, Any],
) -> None:
    criteria = parse_or_refuse(body)
    if criteria is None:
        return
    for ph in ("?", "%s"):
        try:
            clause, params = lead_search.where(criteria, 1, ph, "lists")
        except InvalidRequest:
            continue
        assert clause.count(ph) == len(params)


@FUZZ
@given(
    lead_ids=st.lists(st.integers(1, 2**31 - 1) | st.integers(1, 2**31 - 1).map(str), max_size=5),
    campaign_ids=st.lists(st.integers(1, 2**31 - 1), max_size=3),
    first_name=st.text(min_size=1, max_size=20).filter(lambda s: s.strip() and "\x00" not in s),
    states=st.lists(st.sampled_from(["READY", "ready", "AGENT-CALLBACK", "DO_NOT_CALL"])),
)
def test_good_criteria_parse_to_what_they_say(
    lead_ids: list[int | str], campaign_ids: list[int], first_name: str, states: list[str]
) -> None:
    criteria = parse_criteria(
        {
            "leadIds": lead_ids,
            "campaignIds": campaign_ids,
            "firstName": first_name,
            "leadStates": states,
        }
    )
    assert criteria.lead_ids == tuple(int(i) for i in lead_ids)
    assert criteria.campaign_ids == tuple(campaign_ids)
    assert ("first_name", first_name) in criteria.text
    assert len(criteria.lead_states) == len(states)
    assert criteria.has_selector()


@FUZZ
@given(st.text(max_size=40) | ODD_TEXT | st.binary(max_size=20).map(lambda b: b.decode("latin-1")))
def test_junk_times_are_a_value_error_or_an_aware_utc_time(text: str) -> None:
    try:
        parsed = parse_time(text)
    except ValueError as error:
        assert str(error)
        return
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() == timedelta(0)


@FUZZ
@given(st.from_regex(r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}([T ][0-9:.,]{0,16}([Zz]|[+-][0-9:]{0,6})?)?\Z"))
def test_time_shaped_junk_is_a_value_error_or_an_aware_utc_time(text: str) -> None:
    try:
        parsed = parse_time(text)
    except ValueError:
        return
    assert parsed.utcoffset() == timedelta(0)


OFFSETS = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
MOMENTS = st.datetimes(
    min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 31), timezones=OFFSETS
)


@FUZZ
@given(MOMENTS, st.sampled_from(["iso", "z", "compact", "naive", "space"]))
def test_every_documented_time_format_round_trips(moment: datetime, form: str) -> None:
    utc = moment.astimezone(UTC)
    if form == "iso":
        text = moment.isoformat()
    elif form == "z":
        text = utc.replace(tzinfo=None).isoformat() + "Z"
    elif form == "compact":  # +hhmm without a colon
        text = moment.replace(tzinfo=None).isoformat() + moment.strftime("%z")
    elif form == "space":
        text = moment.isoformat(sep=" ")
    else:  # no offset: UTC
        text = utc.replace(tzinfo=None).isoformat()
    assert parse_time(text) == utc


@FUZZ
@given(st.datetimes(timezones=OFFSETS | st.none()))
def test_datetimes_at_the_edges_are_converted_or_a_value_error(moment: datetime) -> None:
    try:
        parsed = parse_time(moment)
    except ValueError:
        return
    assert parsed.utcoffset() == timedelta(0)
