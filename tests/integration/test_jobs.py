"""Bulk jobs at the application level, on both backends (SPEC §7)."""

from __future__ import annotations

from collections.abc import Callable

from leadstate.application.bootstrap import Leadstate
from leadstate.workers.start import job_runner
from tests.backends import wired
from tests.integration._support import CAMPAIGN, OTHER_CAMPAIGN, act, lead, load, meta, row


def test_job_decides_each_lead_on_its_state_when_processed(
    make_app: Callable[..., Leadstate],
) -> None:
    app = make_app(batch_size=4)
    ids = load(app, [row() for _ in range(10)]).lead_ids
    job = app.actions.submit_job(1, *wired("CANCEL_LEADS", {}, {"campaignIds": [CAMPAIGN]}), meta())
    assert (job["status"], job["total"], job["processed"]) == ("queued", 10, 0)
    deleted, moved, cancelled = ids[2], ids[5], ids[8]
    act(app, "DELETE_LEADS", {"leadIds": [deleted]})
    act(
        app,
        "MOVE_TO_CAMPAIGN",
        {"leadIds": [moved]},
        {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": 0, "LIST_NAME": "elsewhere"},
    )
    act(app, "CANCEL_LEADS", {"leadIds": [cancelled]})

    assert job_runner(app).run_pending() == 1

    done = app.actions.get_job(1, job["jobId"])
    assert done["status"] == "done"
    assert done["processed"] == 10
    # The deleted lead is reported, the cancelled one was a no-op, the moved one was
    # cancelled in its new campaign: 10 - 2 changed.
    assert done["errors"] == [{"leadId": deleted, "reason": "deleted"}]
    assert done["result"]["leadUpdateCount"] == 8
    assert lead(app, moved)["campaignId"] == OTHER_CAMPAIGN
    assert all(lead(app, i)["leadState"] == "CANCELLED" for i in ids if i != deleted)


def test_job_resumes_after_last_committed_batch(make_app: Callable[..., Leadstate]) -> None:
    app = make_app(batch_size=3)
    ids = load(app, [row() for _ in range(10)]).lead_ids
    job = app.actions.submit_job(
        1,
        *wired("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "REQUEUE": True}, {"leadIds": ids}),
        meta(),
    )
    assert app.actions.run_job_batch(job["jobId"]) is True
    assert app.actions.get_job(1, job["jobId"])["processed"] == 3
    # A second process picks the job up where the first stopped.
    other = make_app(batch_size=3)
    job_runner(other).run_pending()
    assert app.actions.get_job(1, job["jobId"])["status"] == "done"
    assert {lead(app, i)["leadPasses"] for i in ids} == {1}


def test_large_selection_becomes_a_job_small_one_runs_now(
    make_app: Callable[..., Leadstate],
) -> None:
    app = make_app(bulk_sync_limit=5)
    small = load(app, [row() for _ in range(5)]).lead_ids
    large = load(app, [row() for _ in range(6)], campaign=OTHER_CAMPAIGN).lead_ids
    now = app.actions.perform_action(1, *wired("PAUSE_LEADS", {}, {"leadIds": small}), meta())
    assert not isinstance(now, dict) and now.update_count == 5
    later = app.actions.perform_action(1, *wired("PAUSE_LEADS", {}, {"leadIds": large}), meta())
    assert isinstance(later, dict) and later["status"] == "queued"
    assert lead(app, large[0])["leadState"] == "READY"
    job_runner(app).run_pending()
    assert {lead(app, i)["leadState"] for i in large} == {"PAUSED"}


def test_one_new_list_per_job_across_resumes(make_app: Callable[..., Leadstate]) -> None:
    app = make_app(batch_size=2)
    ids = load(app, [row() for _ in range(6)]).lead_ids
    job = app.actions.submit_job(
        1,
        *wired(
            "MOVE_TO_CAMPAIGN",
            {"CAMPAIGN_ID": OTHER_CAMPAIGN, "LIST_ID": 0, "LIST_NAME": "moved"},
            {"leadIds": ids},
        ),
        meta(),
    )
    app.actions.run_job_batch(job["jobId"])
    job_runner(make_app(batch_size=2)).run_pending()
    assert len({lead(app, i)["listId"] for i in ids}) == 1
