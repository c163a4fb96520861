"""Every criterion of SPEC §3 against the lead-search read model, and read-your-writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import InvalidRequest
from leadstate.projections import lead_search
from leadstate.requests.criteria import TEXT_FIELDS, parse_criteria
from leadstate.requests.edits import parse_edit
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    OTHER_ACCOUNT,
    OTHER_CAMPAIGN,
    act,
    at,
    count,
    ids,
    lead,
    load,
    meta,
    row,
    search,
)

ANN_TEXT = {
    "firstName": "Ann",
    "lastName": "Lee",
    "address1": "1 Main St",
    "address2": "Apt 2",
    "city": "Springfield",
    "zip": "12345",
    "email": "ann@example.com",
    "auxData1": "a-one",
    "auxData2": "a-two",
    "auxData3": "a-three",
    "auxData4": "a-four",
    "auxData5": "a-five",
    "callerId": "8005550100",
}


class World:
    """Three leads of account 1 and a look-alike in account 2, by name."""

    def __init__(self, app: Leadstate) -> None:
        self.app = app
        first = load(
            app,
            [
                row("X-ANN", "(555) 201-0001", state="CA", leadTimezone="America/Los_Angeles")
                | ANN_TEXT,
                row(
                    "X-BOB",
                    "1-555-201-0002",
                    firstName="Bob",
                    lastName="LEE",
                    city="Shelbyville",
                    state="NY",
                    leadTimezone="America/New_York",
                ),
            ],
            time_zone_option="EXPLICIT",
            description="list A",
        )
        second = load(
            app,
            [row("X-CAT", "5552010003", firstName="Anne", lastName="Leeds", state="ca")],
            campaign=OTHER_CAMPAIGN,
            description="list B",
        )
        other = load(
            app,
            [row("X-ANN", "5552010001") | ANN_TEXT],
            account=OTHER_ACCOUNT,
            description="other account",
        )
        self.ann, self.bob = first.lead_ids
        (self.cat,) = second.lead_ids
        (self.stranger,) = other.lead_ids
        assert first.list_id is not None and second.list_id is not None
        self.list_a, self.list_b = first.list_id, second.list_id
        self.names = {self.ann: "ann", self.bob: "bob", self.cat: "cat"}

    def found(self, criteria: dict[str, Any]) -> set[str]:
        """Names of the account-1 leads the criteria select (and the count agrees)."""
        found = ids(self.app, criteria)
        assert self.stranger not in found
        assert count(self.app, criteria) == len(found)
        assert self.app.leads.matching_ids(ACCOUNT, parse_criteria(criteria)) == sorted(found)
        return {self.names[i] for i in found}


@pytest.fixture
def world(app: Leadstate) -> World:
    """The three leads every search test looks at."""
    return World(app)


def test_list_criteria_select_by_ids_campaigns_lists_and_phones(world: World) -> None:
    assert world.found({"leadIds": [world.ann, world.cat]}) == {"ann", "cat"}
    assert world.found({"leadIds": [str(world.bob)]}) == {"bob"}
    assert world.found({"externIds": ["X-BOB", "X-NONE"]}) == {"bob"}
    assert world.found({"campaignIds": [OTHER_CAMPAIGN]}) == {"cat"}
    assert world.found({"campaignIds": [CAMPAIGN, OTHER_CAMPAIGN]}) == {"ann", "bob", "cat"}
    assert world.found({"listIds": [world.list_a]}) == {"ann", "bob"}
    assert world.found({"leadPhoneNumbers": ["+1 555 201 0002", "555.201.0003"]}) == {
        "bob",
        "cat",
    }


def test_an_empty_list_means_no_filter_and_criteria_combine_with_and(world: World) -> None:
    everything = {"ann", "bob", "cat"}
    assert world.found({"leadIds": [], "campaignIds": [], "leadStates": []}) == everything
    assert world.found({}) == everything
    assert world.found({"campaignIds": [CAMPAIGN], "lastName": "lee"}) == {"ann", "bob"}
    assert world.found({"campaignIds": [CAMPAIGN], "leadIds": [world.cat]}) == set()


def test_lead_states_accept_either_spelling(world: World) -> None:
    act(world.app, "PAUSE_LEADS", {"leadIds": [world.bob]})
    act(
        world.app,
        "CALLBACK_LEADS",
        {"leadIds": [world.cat]},
        {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 7},
    )
    assert world.found({"leadStates": ["READY"]}) == {"ann"}
    assert world.found({"leadStates": ["PAUSED", "READY"]}) == {"ann", "bob"}
    assert world.found({"leadStates": ["AGENT_CALLBACK"]}) == {"cat"}
    assert world.found({"leadStates": ["agent-callback"]}) == {"cat"}
    with pytest.raises(InvalidRequest, match="leadStates"):
        parse_criteria({"leadStates": ["SLEEPING"]})


def test_physical_states_and_timezones_match_case_insensitively(world: World) -> None:
    assert world.found({"physicalStates": ["CA"]}) == {"ann", "cat"}
    assert world.found({"physicalStates": ["ny", "tx"]}) == {"bob"}
    assert world.found({"leadTimezones": [{"name": "America/New_York"}]}) == {"bob"}
    assert world.found({"leadTimezones": [{"name": "america/los_angeles"}]}) == {"ann"}
    assert world.found({"leadTimezones": [{"name": "Europe/Paris"}]}) == set()


def test_agent_and_system_dispositions_select_the_last_pass(world: World) -> None:
    act(world.app, "MANUAL_LEADS", {"leadIds": [world.ann]}, {"PASS_DISPOSITION": "SALE"})
    act(
        world.app,
        "MANUAL_LEADS",
        {"leadIds": [world.bob]},
        {"PASS_DISPOSITION": "NO SALE", "REQUEUE": True},
    )
    assert world.found({"agentDispositions": ["SALE"]}) == {"ann"}
    assert world.found({"agentDispositions": ["sale", "no sale"]}) == {"ann", "bob"}
    assert world.found({"systemDispositions": ["MANUAL_PASS"]}) == {"ann", "bob"}
    assert world.found({"systemDispositions": ["ANSWER"]}) == set()


@pytest.mark.parametrize("field", sorted(TEXT_FIELDS))
def test_text_criteria_match_exactly_and_case_insensitively(world: World, field: str) -> None:
    value = ANN_TEXT["email" if field == "emailAddress" else field]
    expected = {"ann", "bob"} if field == "lastName" else {"ann"}  # Bob's is "LEE"
    assert world.found({field: value}) == expected
    assert world.found({field: value.upper()}) == expected
    assert world.found({field: value.lower()}) == expected
    assert world.found({field: value[:-1]}) == set(), "a prefix is not an exact match"
    assert world.found({field: value + "x"}) == set()


def test_first_name_is_exact_not_a_prefix_match(world: World) -> None:
    assert world.found({"firstName": "ann"}) == {"ann"}
    assert world.found({"firstName": "anne"}) == {"cat"}
    assert world.found({"lastName": "LEE"}) == {"ann", "bob"}


def test_lead_phone_num_compares_digits_and_drops_the_1_of_11_digits(
    app: Leadstate,
) -> None:
    local = load(app, [row(phone="(212) 555-0199")]).lead_ids[0]
    foreign = load(app, [row(phone="+44 20 7946 0958")]).lead_ids[0]
    eleven = load(app, [row(phone="1 212 555 0199")]).lead_ids[0]
    for asked in ("2125550199", "12125550199", "+1 (212) 555-0199", "212.555.0199", 2125550199):
        assert ids(app, {"leadPhoneNum": asked}) == [local, eleven], asked
        assert ids(app, {"leadPhoneNumbers": [str(asked)]}) == [local, eleven], asked
    assert ids(app, {"leadPhoneNum": "442079460958"}) == [foreign]
    assert ids(app, {"leadPhoneNum": "+44 (20) 7946-0958"}) == [foreign]
    assert ids(app, {"leadPhoneNum": "2079460958"}) == [], "only a leading 1 of 11 digits drops"
    assert ids(app, {"leadPhoneNum": "32125550199"}) == []
    assert ids(app, {"leadPhoneNum": "5550199"}) == [], "no partial matches"


def test_suppressed_selects_only_suppressed_only_unsuppressed_or_all(world: World) -> None:
    act(world.app, "SUPPRESS_LEADS", {"leadIds": [world.bob]})
    everything = {"ann", "bob", "cat"}
    assert world.found({"suppressed": "ONLY_SUPPRESSED"}) == {"bob"}
    assert world.found({"suppressed": "ONLY_UNSUPPRESSED"}) == {"ann", "cat"}
    assert world.found({"suppressed": "ALL"}) == everything
    assert world.found({}) == everything
    assert world.found({"suppressed": "only_suppressed", "campaignIds": [CAMPAIGN]}) == {"bob"}
    with pytest.raises(InvalidRequest, match="suppressed"):
        parse_criteria({"suppressed": "SOMETIMES"})


def test_pending_agent_id_selects_the_reserved_agent(world: World) -> None:
    act(world.app, "AGENT_RESERVATION", {"leadIds": [world.ann]}, {"RESERVATION_AGENT_ID": 77})
    act(
        world.app,
        "CALLBACK_LEADS",
        {"leadIds": [world.bob]},
        {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": "88"},
    )
    assert world.found({"pendingAgentId": 77}) == {"ann"}
    assert world.found({"pendingAgentId": "88"}) == {"bob"}
    assert world.found({"pendingAgentId": 99}) == set()
    act(world.app, "AGENT_RESERVATION", {"leadIds": [world.ann]}, {"RESERVATION_AGENT_ID": 0})
    assert world.found({"pendingAgentId": 77}) == set()


def test_agent_id_selects_the_agent_of_the_last_pass(world: World) -> None:
    # No command records an agent's pass yet (dial attempts, SPEC §4, are not built):
    # a manual pass has no agent, so agentId selects nothing ...
    act(world.app, "MANUAL_LEADS", {"leadIds": [world.ann]}, {"PASS_DISPOSITION": "SALE"})
    assert world.found({"agentId": 5}) == set()
    # ... and the criterion reads the read model's last-pass agent (set here by hand).
    table = world.app.store.qualify(world.app.tables["lead_search"])
    ph = world.app.store.ph
    with world.app.store.write() as cur:
        cur.execute(
            f"UPDATE {table} SET last_pass_agent_id = {ph} WHERE lead_id = {ph}", (5, world.bob)
        )
    assert world.found({"agentId": 5}) == {"bob"}
    assert world.found({"agentId": "5", "pendingAgentId": 5}) == set()


def test_lead_passes_criteria_compare_the_number_of_passes(world: World) -> None:
    requeue = {"PASS_DISPOSITION": "NA", "REQUEUE": "true"}
    act(world.app, "MANUAL_LEADS", {"leadIds": [world.ann, world.bob]}, requeue)
    act(world.app, "MANUAL_LEADS", {"leadIds": [world.ann]}, requeue)
    assert world.found({"leadPassesCriteria": {"operator": "GREATER_THAN", "value": 0}}) == {
        "ann",
        "bob",
    }
    assert world.found({"leadPassesCriteria": {"operator": "GREATER_THAN", "value": 1}}) == {"ann"}
    assert world.found({"leadPassesCriteria": {"operator": "LESS_THAN", "value": 1}}) == {"cat"}
    assert world.found({"leadPassesCriteria": {"operator": "EQUALS", "value": "1"}}) == {"bob"}
    with pytest.raises(InvalidRequest, match="operator"):
        parse_criteria({"leadPassesCriteria": {"operator": "ABOUT", "value": 1}})


def test_last_pass_time_compares_to_the_second(world: World) -> None:
    act(
        world.app,
        "MANUAL_LEADS",
        {"leadIds": [world.ann]},
        {"PASS_DISPOSITION": "X"},
        when=at("2030-01-01T10:00:00.750000+00:00"),
    )
    act(
        world.app,
        "MANUAL_LEADS",
        {"leadIds": [world.bob]},
        {"PASS_DISPOSITION": "X"},
        when=at("2030-01-01T10:00:05.200000+00:00"),
    )

    def passed(operator: str, value: str) -> set[str]:
        return world.found({"lastPassTimeCriteria": {"operator": operator, "value": value}})

    for same_second in (
        "2030-01-01T10:00:00Z",
        "2030-01-01T10:00:00+00:00",
        "2030-01-01T10:00:00+0000",
        "2030-01-01T12:00:00+02:00",
        "2030-01-01T10:00:00.999Z",
    ):
        assert passed("EQUALS", same_second) == {"ann"}, same_second
    assert passed("GREATER_THAN", "2030-01-01T10:00:00Z") == {"bob"}
    assert passed("GREATER_THAN", "2030-01-01T09:59:59Z") == {"ann", "bob"}
    assert passed("LESS_THAN", "2030-01-01T10:00:00Z") == set()
    assert passed("LESS_THAN", "2030-01-01T10:00:01Z") == {"ann"}
    assert passed("LESS_THAN", "2030-01-01T10:00:06Z") == {"ann", "bob"}
    assert passed("EQUALS", "2030-01-01T10:00:01Z") == set()
    with pytest.raises(InvalidRequest, match="lastPassTimeCriteria"):
        parse_criteria({"lastPassTimeCriteria": {"operator": "EQUALS", "value": "yesterday"}})


def test_next_dial_time_compares_to_the_second(app: Leadstate) -> None:
    early = load(app, [row()], when=at("2031-03-01T08:00:00.500000+00:00")).lead_ids[0]
    late = load(app, [row()], when=at("2031-03-01T08:00:01.000000+00:00")).lead_ids[0]

    def due(operator: str, value: str) -> list[int]:
        return ids(app, {"nextDialTimeCriteria": {"operator": operator, "value": value}})

    assert due("EQUALS", "2031-03-01T08:00:00Z") == [early]
    assert due("EQUALS", "2031-03-01T09:00:01+01:00") == [late]
    assert due("GREATER_THAN", "2031-03-01T08:00:00Z") == [late]
    assert due("LESS_THAN", "2031-03-01T08:00:01+0000") == [early]
    assert due("LESS_THAN", "2031-03-01T08:00:00Z") == []


def test_loaded_range_selects_leads_loaded_between_start_and_end(app: Leadstate) -> None:
    january = load(app, [row(), row()], when=at("2030-01-01T00:00:00+00:00")).lead_ids
    february = load(app, [row()], when=at("2030-02-01T00:00:00+00:00")).lead_ids
    assert ids(app, {"loadedDtsStart": "2030-01-15T00:00:00Z"}) == february
    assert ids(app, {"loadedDtsEnd": "2030-01-15T00:00:00Z"}) == january
    assert (
        ids(app, {"loadedDtsStart": "2030-01-01T00:00:00Z", "loadedDtsEnd": "2030-02-01T00:00:00Z"})
        == january + february
    ), "both ends are inclusive"
    assert ids(app, {"loadedDtsStart": "2030-01-01T00:00:01Z"}) == february
    assert ids(app, {"loadedDtsStart": "2030-02-01T01:00:00+0100"}) == february


def test_paging_walks_every_lead_once_in_lead_id_order(app: Leadstate) -> None:
    loaded = load(app, [row() for _ in range(7)]).lead_ids
    criteria = parse_criteria({"campaignIds": [CAMPAIGN]})
    pages = [
        [v["leadId"] for v in app.leads.search(ACCOUNT, criteria, page=n, max_rows=3)]
        for n in range(4)
    ]
    assert pages == [loaded[0:3], loaded[3:6], loaded[6:7], []]
    assert app.leads.count(ACCOUNT, criteria) == 7
    for page, max_rows in ((-1, 100), (0, 0), (0, 10_001)):
        with pytest.raises(InvalidRequest):
            app.leads.search(ACCOUNT, criteria, page=page, max_rows=max_rows)
    assert len(app.leads.search(ACCOUNT, criteria, max_rows=10_000)) == 7


def test_sort_orders_by_the_given_fields_then_by_lead_id(app: Leadstate) -> None:
    a, b, c, d = load(
        app,
        [
            row(lastName="Zed", leadPriority=1),
            row(lastName="Amos", leadPriority=9),
            row(lastName="Zed", leadPriority=5),
            row(lastName="Amos", leadPriority=5),
        ],
    ).lead_ids
    criteria = parse_criteria({"campaignIds": [CAMPAIGN]})

    def order(sort: str | None) -> list[int]:
        return [v["leadId"] for v in app.leads.search(ACCOUNT, criteria, sort=sort)]

    assert order(None) == [a, b, c, d]
    assert order("-leadId") == [d, c, b, a]
    assert order("-leadPriority") == [b, c, d, a]
    assert order("lastName") == [b, d, a, c]
    assert order("lastName,-leadPriority") == [b, d, c, a]
    assert order("-lastName,leadPriority") == [a, c, d, b]
    assert [
        v["leadId"] for v in app.leads.search(ACCOUNT, criteria, sort="lastName", max_rows=2)
    ] == [
        b,
        d,
    ]
    with pytest.raises(InvalidRequest, match="cannot sort by"):
        order("favouriteColour")


def test_orphaned_leads_only_matches_nothing_while_lists_are_never_deleted(
    world: World,
) -> None:
    assert world.found({"orphanedLeadsOnly": True}) == set()
    assert world.found({"orphanedLeadsOnly": False}) == {"ann", "bob", "cat"}


def test_a_campaign_of_another_account_matches_nothing(app: Leadstate) -> None:
    load(app, [row(firstName="Theirs")], account=OTHER_ACCOUNT, campaign=99)
    assert search(app, {"campaignIds": [99]}) == []
    assert count(app, {"campaignIds": [99]}) == 0
    assert [v["firstName"] for v in search(app, {"campaignIds": [99]}, account=OTHER_ACCOUNT)] == [
        "Theirs"
    ]


def test_search_right_after_each_command_sees_it(app: Leadstate) -> None:
    """Read-your-writes: no waiting between a command and the search that follows."""
    result = load(app, [row(firstName="Rye"), row(firstName="Wheat")])
    rye, wheat = result.lead_ids
    assert ids(app, {"firstName": "rye"}) == [rye]

    act(app, "PAUSE_LEADS", {"leadIds": [rye]})
    assert ids(app, {"leadStates": ["PAUSED"]}) == [rye]

    app.leads.edit_lead(ACCOUNT, wheat, parse_edit({"firstName": "Spelt"}), meta())
    assert ids(app, {"firstName": "spelt"}) == [wheat]
    assert ids(app, {"firstName": "wheat"}) == []

    act(app, "SUPPRESS_LEADS", {"leadIds": [wheat]})
    assert ids(app, {"suppressed": "ONLY_SUPPRESSED"}) == [wheat]

    act(app, "DELETE_LEADS", {"leadIds": [rye]})
    assert ids(app, {"campaignIds": [CAMPAIGN]}) == [wheat]

    app.leads.set_campaign_settings(ACCOUNT, CAMPAIGN, 5, 15, "test")
    assert app.leads.get_campaign_settings(ACCOUNT, CAMPAIGN).max_passes == 5


def test_another_application_on_the_same_database_reads_the_writes_at_once(
    app: Leadstate, make_app: Callable[..., Leadstate]
) -> None:
    """Two processes' worth of clients: one writes, the other searches straight after."""
    reader = make_app()
    lead_id = load(app, [row(firstName="Shared")]).lead_ids[0]
    assert ids(reader, {"firstName": "shared"}) == [lead_id]
    act(app, "CANCEL_LEADS", {"leadIds": [lead_id]})
    assert lead(reader, lead_id)["leadState"] == "CANCELLED"
    act(reader, "READY_LEADS", {"leadIds": [lead_id]})
    assert lead(app, lead_id)["leadState"] == "READY"


def test_phone_and_extern_id_searches_use_their_indexes_once_the_table_has_grown(
    app: Leadstate, backend: str
) -> None:
    load(app, [row(externId=f"E{i}") for i in range(3_000)])
    table = app.tables["lead_search"]
    if backend == "postgres":  # its planner picks well from fresh statistics
        with app.store.read() as cur:
            cur.execute(
                "SELECT reltuples FROM pg_class WHERE oid = %s::regclass",
                (app.store.qualify(table),),
            )
            assert cur.fetchone()["reltuples"] >= 3_000
        return
    for criteria in ({"leadPhoneNum": "2125550100"}, {"externIds": ["E7"]}):
        clause, params = lead_search.where(parse_criteria(criteria), ACCOUNT, "?", "lists")
        with app.store.read() as cur:
            cur.execute(
                f"EXPLAIN QUERY PLAN SELECT * FROM {table} WHERE {clause} ORDER BY lead_id",
                params,
            )
            plan = " ".join(str(tuple(r.values())) for r in cur.fetchall())
        assert "_phone" in plan or "_extern" in plan, plan
