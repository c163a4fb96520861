"""The asynchronous `lead_counts` read model: exact, one follower at a time, stops on error."""

from __future__ import annotations

import time
from collections.abc import Callable

from leadstate.application.bootstrap import Leadstate
from leadstate.requests.criteria import parse_criteria
from tests.backends import start_following, stop_following
from tests.integration._support import (
    ACCOUNT,
    CAMPAIGN,
    OTHER_ACCOUNT,
    OTHER_CAMPAIGN,
    act,
    load,
    row,
)


def caught_up(app: Leadstate) -> None:
    assert app.read_models.wait_for_projections(app.store.max_position(), 30)


def test_counts_follow_every_change_per_campaign_list_state_and_suppression(
    app: Leadstate,
) -> None:
    first = load(app, [row() for _ in range(12)])
    second = load(app, [row() for _ in range(4)], campaign=OTHER_CAMPAIGN)
    load(app, [row() for _ in range(3)], account=OTHER_ACCOUNT)
    ids = first.lead_ids
    act(app, "CANCEL_LEADS", {"leadIds": ids[:3]})
    act(app, "SUPPRESS_LEADS", {"leadIds": ids[2:5]})
    act(app, "DELETE_LEADS", {"leadIds": ids[5:7]})
    act(
        app,
        "MOVE_TO_CAMPAIGN",
        {"leadIds": ids[7:9]},
        {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": second.list_id},
    )
    start_following(app)
    caught_up(app)

    counts = {
        (c["campaignId"], c["listId"], c["leadState"], c["suppressed"]): c["count"]
        for c in app.read_models.lead_counts(ACCOUNT)
    }
    assert counts == {
        (CAMPAIGN, first.list_id, "CANCELLED", False): 2,
        (CAMPAIGN, first.list_id, "CANCELLED", True): 1,
        (CAMPAIGN, first.list_id, "READY", True): 2,
        (CAMPAIGN, first.list_id, "READY", False): 3,
        (OTHER_CAMPAIGN, second.list_id, "READY", False): 6,
    }
    assert [c["campaignId"] for c in app.read_models.lead_counts(ACCOUNT, OTHER_CAMPAIGN)] == [
        OTHER_CAMPAIGN
    ]
    assert sum(c["count"] for c in app.read_models.lead_counts(OTHER_ACCOUNT)) == 3
    status = next(s for s in app.read_models.projection_status() if s["name"] == "lead_counts")
    assert (status["mode"], status["status"], status["lag"]) == ("asynchronous", "live", 0)
    assert app.audit.verify_read_models() == []


def test_one_process_follows_at_a_time_and_another_takes_over(
    make_app: Callable[..., Leadstate],
) -> None:
    a, b = make_app(), make_app()
    worker_a = start_following(a)
    assert worker_a.leading.wait(10)
    worker_b = start_following(b)
    time.sleep(1.5)
    assert not worker_b.leading.is_set(), "b stands by while a leads"
    lead_ids = load(a, [row() for _ in range(200)]).lead_ids
    caught_up(a)
    stop_following(a)
    assert worker_b.leading.wait(15), "b took over"
    act(a, "CANCEL_LEADS", {"leadIds": lead_ids[:50]})
    caught_up(b)
    assert a.audit.verify_read_models() == []
    total = a.leads.count(ACCOUNT, parse_criteria({"campaignIds": [CAMPAIGN]}))
    assert sum(c["count"] for c in a.read_models.lead_counts(ACCOUNT)) == total == 200


def test_a_read_model_that_cannot_apply_an_event_stops_and_says_why(app: Leadstate) -> None:
    lead_ids = load(app, [row() for _ in range(5)]).lead_ids
    worker = start_following(app)
    caught_up(app)
    table = app.store.qualify(app.tables["lead_counts"])
    with app.store.write() as cur:
        cur.execute(f"DELETE FROM {table}")  # tampered: the counts forget the READY leads
    act(app, "CANCEL_LEADS", {"leadIds": lead_ids[:1]})

    def failed() -> bool:
        current = next(s for s in app.read_models.projection_status() if s["name"] == "lead_counts")
        return bool(current["status"] == "failed")

    deadline = time.monotonic() + 20
    while not failed():
        assert time.monotonic() < deadline, "the follower did not stop"
        time.sleep(0.05)
    status = next(s for s in app.read_models.projection_status() if s["name"] == "lead_counts")
    assert "negative" in status["error"] and "lead_counts" in status["error"]
    assert status["lag"] > 0, "the failing page was not applied"
    assert "lead_counts" in worker.failed

    # A rebuild replaces the broken table; following resumes from the rebuilt position.
    stop_following(app)
    app.read_models.rebuild_projection("lead_counts")
    start_following(app)
    act(app, "PAUSE_LEADS", {"leadIds": lead_ids[1:2]})
    caught_up(app)
    status = next(s for s in app.read_models.projection_status() if s["name"] == "lead_counts")
    assert (status["status"], status["error"]) == ("live", None)
    assert app.audit.verify_read_models() == []
