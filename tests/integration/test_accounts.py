"""Nothing crosses accounts (SPEC §1): another account's lead is never selected or read."""

from __future__ import annotations

from typing import Any

import pytest

from leadstate.application.bootstrap import Leadstate
from leadstate.domain import InvalidRequest, NotFound
from leadstate.requests.criteria import parse_criteria
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
    raw_row,
    row,
    search,
)

EVERY_SELECTOR = (
    "leadIds",
    "externIds",
    "campaignIds",
    "listIds",
    "leadPhoneNumbers",
    "leadPhoneNum",
    "firstName",
    "leadStates",
)


class Theirs:
    """A lead of another account that looks exactly like one of ours."""

    def __init__(self, app: Leadstate) -> None:
        look_alike = row("SAME-EXTERN", "5554000001", firstName="Twin")
        self.mine = load(app, [look_alike], description="mine").lead_ids[0]
        result = load(app, [look_alike], account=OTHER_ACCOUNT, description="theirs")
        self.lead_id = result.lead_ids[0]
        assert result.list_id is not None
        self.list_id = result.list_id
        self.row = raw_row(app, self.lead_id)

    def criteria(self, name: str) -> dict[str, Any]:
        """A criterion that would select their lead if accounts were not separate."""
        every: dict[str, dict[str, Any]] = {
            "leadIds": {"leadIds": [self.lead_id]},
            "externIds": {"externIds": ["SAME-EXTERN"]},
            "campaignIds": {"campaignIds": [CAMPAIGN]},
            "listIds": {"listIds": [self.list_id]},
            "leadPhoneNumbers": {"leadPhoneNumbers": ["5554000001"]},
            "leadPhoneNum": {"leadPhoneNum": "5554000001"},
            "firstName": {"firstName": "twin"},
            "leadStates": {"leadStates": ["READY"]},
        }
        return every[name]


@pytest.fixture
def theirs(app: Leadstate) -> Theirs:
    """Another account's look-alike lead."""
    return Theirs(app)


@pytest.mark.parametrize("selector", EVERY_SELECTOR)
def test_another_accounts_lead_is_never_selected(
    app: Leadstate, theirs: Theirs, selector: str
) -> None:
    criteria = theirs.criteria(selector)
    assert theirs.lead_id not in ids(app, criteria)
    assert theirs.lead_id not in app.leads.matching_ids(ACCOUNT, parse_criteria(criteria))
    assert count(app, criteria) == len(ids(app, criteria))
    assert theirs.lead_id in ids(app, criteria, account=OTHER_ACCOUNT)


@pytest.mark.parametrize(
    ("action", "params"),
    [
        ("CANCEL_LEADS", None),
        ("DELETE_LEADS", None),
        ("SUPPRESS_LEADS", None),
        ("MANUAL_LEADS", {"PASS_DISPOSITION": "X"}),
        ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": 0, "LIST_NAME": "x"}),
        ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": 3}),
    ],
)
def test_an_action_never_touches_another_accounts_lead(
    app: Leadstate, theirs: Theirs, action: str, params: dict[str, Any] | None
) -> None:
    result = act(app, action, {"leadIds": [theirs.lead_id]}, params)
    assert (result.total, result.update_count, result.delete_count) == (0, 0, 0)
    act(app, action, {"campaignIds": [CAMPAIGN]}, params)
    assert raw_row(app, theirs.lead_id) == theirs.row


def test_another_accounts_lead_cannot_be_read_or_edited(app: Leadstate, theirs: Theirs) -> None:
    with pytest.raises(NotFound):
        lead(app, theirs.lead_id)
    with pytest.raises(NotFound):
        app.leads.get_lead(ACCOUNT, theirs.lead_id, version=1)
    with pytest.raises(NotFound):
        app.leads.get_lead(ACCOUNT, theirs.lead_id, as_of=at("2100-01-01T00:00:00+00:00"))
    with pytest.raises(NotFound):
        app.leads.edit_lead(ACCOUNT, theirs.lead_id, parse_edit({"firstName": "Hijacked"}), meta())
    assert raw_row(app, theirs.lead_id) == theirs.row
    assert lead(app, theirs.lead_id, account=OTHER_ACCOUNT)["firstName"] == "Twin"


def test_another_accounts_list_cannot_be_a_move_target(app: Leadstate, theirs: Theirs) -> None:
    params = {"CAMPAIGN_ID": CAMPAIGN, "LIST_ID": theirs.list_id}
    with pytest.raises(InvalidRequest, match="LIST_ID"):
        act(app, "MOVE_TO_CAMPAIGN", {"leadIds": [theirs.mine]}, params)
    assert [v["leadId"] for v in search(app, {"listIds": [theirs.list_id]})] == []


def test_campaign_settings_are_per_account(app: Leadstate) -> None:
    app.leads.set_campaign_settings(ACCOUNT, CAMPAIGN, 7, 5, "test")
    mine = app.leads.get_campaign_settings(ACCOUNT, CAMPAIGN)
    other = app.leads.get_campaign_settings(OTHER_ACCOUNT, CAMPAIGN)
    assert (mine.max_passes, mine.pass_delay_min) == (7, 5)
    assert (other.max_passes, other.pass_delay_min) == (3, 60), "still the defaults"
