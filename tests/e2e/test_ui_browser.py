"""The leads page in a real browser (issue 8), against a real `leadstate serve`.

Each test drives Debian's chromium through Playwright (never `playwright install`): sign
in with an API key, search, select, act through the dialogs, follow a bulk job, open a
lead's history, read the dashboard. Each writes screenshots of the views it visits to
`tests/e2e/screenshots/` (the README links them).

Needs `/usr/bin/chromium` (`apt-get install -y chromium`): without it these tests skip,
or fail when LEADSTATE_REQUIRE_BROWSER=1 (as in CI). The server is started with the
helpers of `tests/e2e/support.py`, on SQLite, with LEADSTATE_BULK_SYNC_LIMIT=5 and
LEADSTATE_BATCH_SIZE=10 so that a 200-lead action runs as a bulk job.

Where the page needs an API endpoint the server does not have yet, the test fails with
a message naming that endpoint (SPEC §6) rather than skipping.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, ViewportSize, expect, sync_playwright

from leadstate.domain import InvalidRequest
from leadstate.domain.params import LeadAction
from leadstate.requests.params import parse_params
from tests.e2e.support import Server, create_key, server_env, start_server

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_BROWSER = os.environ.get("LEADSTATE_REQUIRE_BROWSER") == "1"
SCREENSHOTS = Path(__file__).with_name("screenshots")
ACCOUNT = 1
PREFIX = f"/voice/api/v1/admin/accounts/{ACCOUNT}"
SCOPES = ["leads:read", "leads:write", "leads:delete", "leads:export", "audit:read"]
BULK_SYNC_LIMIT = 5
BULK_LEADS = 200
DASH = "\u2013"  # the en dash of "showing 1-50"
VIEWPORT: ViewportSize = {"width": 1360, "height": 900}
FIRST = ["Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Frances", "Ken", "Margo", "John"]
LAST = ["Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Allen", "Thompson"]


@dataclass
class UiServer:
    """A running `leadstate serve`, its `*` API key and a client for setting up data."""

    running: Server
    key: str
    http: httpx.Client = field(repr=False)

    @property
    def url(self) -> str:
        return self.running.base_url

    def new_key(self, account: str, scopes: list[str]) -> str:
        return create_key(self.running.env, account, *scopes, cwd=self.running.cwd)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.http.request(method, PREFIX + path, **kwargs)

    def load(self, campaign_id: int, count: int, prefix: str) -> list[int]:
        """Load `count` leads into a new list of `campaign_id`; their leadIds."""
        leads = [
            {
                "externId": f"{prefix}-{i:04d}",
                "leadPhone": f"555{campaign_id:03d}{i:04d}",
                "firstName": FIRST[i % len(FIRST)],
                "lastName": LAST[(i // len(FIRST)) % len(LAST)],
                "city": "Springfield",
                "email": f"{prefix.lower()}{i}@example.com",
            }
            for i in range(count)
        ]
        response = self.api(
            "POST",
            f"/campaigns/{campaign_id}/leadLoader/direct",
            json={"uploadLeads": leads, "description": f"{prefix} list"},
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["leadsInserted"] == count, body
        return [int(i) for i in body["leadIds"]]

    def act(self, action: str, lead_ids: list[int], params: dict[str, Any] | None = None) -> None:
        body: dict[str, Any] = {"campaignLeadSearchCriteria": {"leadIds": lead_ids}}
        if params:
            body["leadActionParams"] = {"paramMap": params}
        response = self.api(
            "PUT", "/campaignLeads/actions", params={"leadAction": action}, json=body
        )
        assert response.status_code == 200, response.text

    def leads(self, criteria: dict[str, Any]) -> list[dict[str, Any]]:
        response = self.api(
            "POST", "/campaignLeads/leadSearch", params={"maxRows": 1000}, json=criteria
        )
        assert response.status_code == 200, response.text
        rows: list[dict[str, Any]] = response.json()
        return rows

    def require(self, path: str, endpoint: str, why: str) -> httpx.Response:
        """GET `path`; fail naming `endpoint` when the server does not have it."""
        response = self.api("GET", path)
        if response.status_code in (404, 405):
            pytest.fail(
                f"{endpoint} is missing on the server (HTTP {response.status_code} "
                f"{response.text[:120]}): SPEC §6 defines it, and {why}",
                pytrace=False,
            )
        assert response.status_code == 200, response.text
        return response


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiServer]:
    """`leadstate serve` on a free loopback port, a fresh SQLite file, small bulk limits."""
    work = tmp_path_factory.mktemp("ui-server")
    env = server_env(
        str(work / "leadstate.db"),
        LEADSTATE_BULK_SYNC_LIMIT=str(BULK_SYNC_LIMIT),
        LEADSTATE_BATCH_SIZE="10",
        LEADSTATE_JOB_BATCH_PAUSE_MS="40",
    )
    key = create_key(env, "*", *SCOPES, cwd=work)
    running = start_server(env, work)
    try:
        with httpx.Client(
            base_url=running.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
        ) as http:
            yield UiServer(running=running, key=key, http=http)
    finally:
        running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's chromium, headless."""
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install -y chromium"
        if REQUIRE_BROWSER:
            pytest.fail(message + " (LEADSTATE_REQUIRE_BROWSER=1)")
        pytest.skip(message)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, ui_server: UiServer) -> Iterator[Page]:
    """A fresh tab (fresh sessionStorage); fails the test on any script error."""
    context = browser.new_context(viewport=VIEWPORT, locale="en-GB", timezone_id="UTC")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Failed to load resource" not in message.text
            else None
        ),
    )
    try:
        yield tab
    finally:
        context.close()
    assert not errors, f"script errors in the page: {errors}"


def shot(page: Page, name: str, *, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)


UNLABELLED_CONTROLS = """() => {
  const visible = (el) => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const named = (el) => {
    if (el.getAttribute("aria-label") || el.getAttribute("aria-labelledby")) return true;
    if (el.tagName === "BUTTON" || el.tagName === "A") return el.textContent.trim() !== "";
    return el.labels && el.labels.length > 0 && el.labels[0].textContent.trim() !== "";
  };
  return [...document.querySelectorAll("input, select, textarea, button, a[href]")]
    .filter((el) => visible(el) && !named(el))
    .map((el) => el.outerHTML.slice(0, 120));
}"""


def assert_labelled(page: Page) -> None:
    """Every visible control has an accessible name."""
    unlabelled = page.evaluate(UNLABELLED_CONTROLS)
    assert unlabelled == [], f"controls without a label: {unlabelled}"


def sign_in(page: Page, ui_server: UiServer, *, screenshots: bool = False) -> None:
    page.goto(ui_server.url + "/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert_labelled(page)
    page.get_by_label("API key").fill(ui_server.key)
    if screenshots:
        shot(page, "01-sign-in")
    page.get_by_label("API key").press("Enter")
    expect(page.get_by_role("heading", name="Choose an account")).to_be_visible()
    assert_labelled(page)
    page.get_by_label("Account id").fill(str(ACCOUNT))
    if screenshots:
        shot(page, "02-account-picker")
    page.get_by_role("button", name="Open account").click()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('leadstate.apiKey')") == ui_server.key
    assert page.evaluate("localStorage.length") == 0


def search_campaign(page: Page, campaign_id: int, expected_total: int) -> None:
    page.get_by_label("Campaign ids").fill(str(campaign_id))
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.locator("#result-summary")).to_have_attribute("data-total", str(expected_total))


def row(page: Page, lead_id: int) -> Locator:
    return page.locator(f'#results-table tbody tr[data-lead-id="{lead_id}"]')


# -- the tests ---------------------------------------------------------------------------


def test_sign_in_search_select_two_and_cancel_them(page: Page, ui_server: UiServer) -> None:
    ids = ui_server.load(301, 12, "ALPHA")
    sign_in(page, ui_server, screenshots=True)
    search_campaign(page, 301, 12)
    expect(page.locator("#result-summary")).to_contain_text("12 matching leads")
    assert_labelled(page)

    # Sort by lead id, descending: the last loaded lead comes first.
    sort_header = page.locator('th:has(button[data-sort="leadId"])')
    page.locator('button[data-sort="leadId"]').click()
    expect(sort_header).to_have_attribute("aria-sort", "ascending")
    page.locator('button[data-sort="leadId"]').click()
    expect(page.locator("#results-table tbody tr").first).to_have_attribute(
        "data-lead-id", str(ids[-1])
    )
    expect(sort_header).to_have_attribute("aria-sort", "descending")
    shot(page, "03-results")

    first, second = ids[2], ids[5]
    page.get_by_label(f"Select lead {first}", exact=True).check()
    page.get_by_label(f"Select lead {second}", exact=True).check()
    expect(page.locator("#selection-summary")).to_have_text("2 leads selected")

    # The action menu, by keyboard: open, jump to "Cancel", choose.
    page.get_by_role("button", name="Actions").focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem").first).to_be_focused()
    assert page.get_by_role("menuitem").count() == 12
    page.keyboard.press("c")
    expect(page.get_by_role("menuitem", name="Cancel", exact=True)).to_be_focused()
    page.keyboard.press("Enter")

    dialog = page.locator("#action-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text("Cancel (CANCEL_LEADS)")
    expect(page.locator("#action-count")).to_contain_text("2 selected leads")
    expect(page.locator("#action-warning")).to_contain_text("cannot be undone")
    assert_labelled(page)
    shot(page, "04-action-dialog")
    apply = dialog.get_by_role("button", name="Apply to 2 leads")
    expect(apply).to_be_focused()
    apply.click()

    expect(dialog).to_be_hidden()
    expect(page.locator("#status")).to_contain_text("Cancel: 2 leads updated")
    for lead_id in (first, second):
        expect(row(page, lead_id).locator("td.leadState")).to_have_text("CANCELLED")
    expect(row(page, ids[0]).locator("td.leadState")).to_have_text("READY")
    expect(page.locator("#selection-summary")).to_have_text("No leads selected")
    shot(page, "05-after-cancel")
    cancelled = ui_server.leads({"campaignIds": [301], "leadStates": ["CANCELLED"]})
    assert sorted(lead["leadId"] for lead in cancelled) == sorted([first, second])


def test_action_dialog_validates_params_and_shows_the_server_refusal(
    page: Page, ui_server: UiServer
) -> None:
    ids = ui_server.load(302, 3, "MOVE")
    sign_in(page, ui_server)
    search_campaign(page, 302, 3)
    page.get_by_label(f"Select lead {ids[0]}", exact=True).check()
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Move to campaign", exact=True).click()
    dialog = page.locator("#action-dialog")
    expect(dialog.get_by_role("heading")).to_have_text("Move to campaign (MOVE_TO_CAMPAIGN)")

    # Client-side, as the server checks: required fields, ranges, LIST_NAME for LIST_ID 0.
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#p-CAMPAIGN_ID-error")).to_have_text(
        "MOVE_TO_CAMPAIGN requires parameter CAMPAIGN_ID"
    )
    expect(page.get_by_label("Target campaign id (required)")).to_be_focused()
    expect(page.get_by_label("Target campaign id (required)")).to_have_attribute(
        "aria-invalid", "true"
    )
    page.get_by_label("Target campaign id (required)").fill("0")
    page.get_by_label("Target list id (required)").fill("0")
    expect(page.get_by_label("New list name")).to_be_visible()
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#p-CAMPAIGN_ID-error")).to_have_text(
        "CAMPAIGN_ID must be between 1 and 2147483647, got 0"
    )
    expect(page.locator("#p-LIST_NAME-error")).to_have_text(
        "MOVE_TO_CAMPAIGN requires parameter LIST_NAME"
    )
    assert_labelled(page)
    shot(page, "06-action-dialog-validation")

    # Valid by the param table, refused by the server: list 999999 is not the campaign's.
    page.get_by_label("Target campaign id (required)").fill("9")
    page.get_by_label("Target list id (required)").fill("999999")
    expect(page.get_by_label("New list name")).to_be_hidden()
    dialog.get_by_role("button", name="Continue").click()
    expect(page.locator("#action-count")).to_contain_text("1 selected lead")
    expect(page.locator("#action-param-summary")).to_contain_text('LIST_ID = "999999"')
    dialog.get_by_role("button", name="Apply to 1 lead").click()
    expect(page.locator("#action-error")).to_contain_text(
        "LIST_ID 999999 is not a list of campaign 9"
    )
    expect(page.locator("#action-error")).to_contain_text("HTTP 400")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="Close").click()
    expect(dialog).to_be_hidden()
    assert [lead["campaignId"] for lead in ui_server.leads({"leadIds": [ids[0]]})] == [302]


def test_bulk_job_over_all_matching_shows_progress_to_100_percent(
    page: Page, ui_server: UiServer
) -> None:
    ui_server.load(303, BULK_LEADS, "BULK")
    sign_in(page, ui_server)
    search_campaign(page, 303, BULK_LEADS)
    summary = page.locator("#result-summary")
    expect(summary).to_have_text(f"{BULK_LEADS} matching leads · showing 1{DASH}50")
    page.get_by_role("button", name="Next page").click()
    expect(summary).to_have_text(f"{BULK_LEADS} matching leads · showing 51{DASH}100")
    expect(page.locator("#page-info")).to_have_text("Page 2 of 4")
    page.get_by_label("Rows per page").select_option("100")
    expect(summary).to_have_text(f"{BULK_LEADS} matching leads · showing 1{DASH}100")
    page.get_by_label("Rows per page").select_option("50")
    expect(summary).to_have_text(f"{BULK_LEADS} matching leads · showing 1{DASH}50")

    page.get_by_label("Select every lead on this page").check()
    select_all = page.get_by_role("button", name=f"Select all {BULK_LEADS} matching leads")
    expect(select_all).to_be_visible()
    select_all.click()
    expect(page.locator("#selection-summary")).to_have_text(
        f"All {BULK_LEADS} matching leads selected"
    )
    page.get_by_role("button", name="Actions").click()
    page.get_by_role("menuitem", name="Suppress", exact=True).click()
    expect(page.locator("#action-count")).to_contain_text(f"all {BULK_LEADS} matching leads")
    with page.expect_response(lambda r: "/campaignLeads/actions" in r.url) as answer:
        page.get_by_role("button", name=f"Apply to {BULK_LEADS} leads").click()
    response = answer.value
    if response.status != 202:
        pytest.fail(
            f"PUT {PREFIX}/campaignLeads/actions answered {response.status} for "
            f"{BULK_LEADS} leads with LEADSTATE_BULK_SYNC_LIMIT={BULK_SYNC_LIMIT}: SPEC §6 "
            "wants a 202 with a Location header and the job object, then "
            "GET .../jobs/{jobId} for the progress bar — the bulk-job API is missing",
            pytrace=False,
        )
    job = response.json()
    assert job.get("jobId"), f"the 202 body has no jobId: {job}"
    ui_server.require(
        f"/jobs/{job['jobId']}", "GET .../jobs/{jobId}", "the page polls it for the job's progress"
    )

    card = page.locator(f'#job-list li[data-job-id="{job["jobId"]}"]')
    expect(card).to_be_visible()
    expect(card.locator("progress")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelector('#job-list progress')?.value > 0", timeout=60_000
    )
    shot(page, "07-job-progress")
    expect(card).to_have_attribute("data-status", "done", timeout=60_000)
    expect(card.locator(".job-percent")).to_have_text("100%")
    assert card.locator("progress").evaluate("el => el.value") == 100
    expect(card.locator(".job-text")).to_contain_text(f"{BULK_LEADS} of {BULK_LEADS} processed")
    expect(page.locator("#status")).to_contain_text(f"{BULK_LEADS} leads updated")
    expect(page.locator("#results-table tbody td.suppressed").first).to_have_text("yes")
    shot(page, "08-job-done")
    suppressed = ui_server.leads({"campaignIds": [303], "suppressed": "ONLY_SUPPRESSED"})
    assert len(suppressed) == BULK_LEADS


def test_lead_detail_history_and_as_of_view(page: Page, ui_server: UiServer) -> None:
    (lead_id,) = ui_server.load(304, 1, "HIST")
    ui_server.act("CANCEL_LEADS", [lead_id])
    ui_server.act("RESET_LEADS", [lead_id])
    ui_server.act("AGENT_RESERVATION", [lead_id], {"RESERVATION_AGENT_ID": 42})
    sign_in(page, ui_server)
    search_campaign(page, 304, 1)
    row(page, lead_id).get_by_role("link", name=str(lead_id)).click()
    expect(page.get_by_role("heading", name=f"Lead {lead_id} · HIST-0000")).to_be_visible()
    state = page.locator("#lead-state")
    expect(state.locator('[data-field="leadState"] dd')).to_have_text("READY")
    expect(state.locator('[data-field="pendingAgentId"] dd')).to_have_text("42")
    expect(page.locator("#lead-contact")).to_contain_text("hist0@example.com")
    expect(page.locator("#lead-calls")).to_contain_text("No calls")
    assert_labelled(page)
    shot(page, "09-lead-detail", full_page=True)

    ui_server.require(
        f"/campaignLeads/{lead_id}/history",
        "GET .../campaignLeads/{leadId}/history",
        "the lead page shows it as the history timeline",
    )
    events = page.locator("#history-list li.event")
    expect(events).to_have_count(4)
    expect(events.nth(1)).to_contain_text("Cancelled")
    events.nth(1).get_by_role("button", name="As of this event").click()
    panel = page.locator("#as-of-panel")
    expect(panel.get_by_role("heading")).to_contain_text("version 2")
    expect(panel.locator('tr[data-field="leadState"] td').first).to_have_text("CANCELLED")
    expect(panel.locator('tr[data-field="leadState"]')).to_have_class("changed")
    expect(panel.locator('tr[data-field="leadState"] td').nth(1)).to_have_text("READY")
    shot(page, "10-lead-history-as-of", full_page=True)


def test_dashboard_chart_of_counts_per_state(page: Page, ui_server: UiServer) -> None:
    ids = ui_server.load(305, 20, "DASH")
    ui_server.act("CANCEL_LEADS", ids[:4])
    ui_server.act("PAUSE_LEADS", ids[4:7])
    ui_server.act(
        "CALLBACK_LEADS", ids[7:9], {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2030-01-01T09:00:00Z"}
    )
    ui_server.act("SUPPRESS_LEADS", ids[10:12])
    sign_in(page, ui_server)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.get_by_label("Campaign id", exact=True).fill("305")
    page.get_by_role("button", name="Show counts").click()
    figure = page.locator("#dash-figure")
    expect(page.locator("#dash-caption")).to_have_text("Campaign 305: 20 leads by state")
    bars = {
        bar.get_attribute("data-state"): bar.get_attribute("data-count")
        for bar in figure.locator("svg g.bar").all()
    }
    assert bars == {"READY": "11", "CALLBACK": "2", "CANCELLED": "4", "PAUSED": "3"}
    expect(figure.locator("svg")).to_have_attribute("role", "img")
    expect(page.locator("#dash-suppressed")).to_contain_text("Suppressed")
    expect(page.locator("#dash-suppressed")).to_contain_text(": 2.")
    assert_labelled(page)
    shot(page, "11-dashboard")

    # Drill down: a state's row opens the leads of that campaign in that state.
    figure.get_by_text("Counts as a table").click()
    figure.get_by_role("button", name="Show the CANCELLED leads of campaign 305").click()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    expect(page.locator("#result-summary")).to_have_attribute("data-total", "4")
    expect(page.get_by_label("CANCELLED", exact=True)).to_be_checked()


# Action param maps: the page's validateParams must agree with the server's parse_params.
PARAM_CASES: list[tuple[str, dict[str, Any]]] = [
    ("CANCEL_LEADS", {}),
    ("CANCEL_LEADS", {"X": 1}),
    ("RESET_LEADS", {"PASS_DISPOSITION": "x"}),
    ("MANUAL_LEADS", {}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "SALE"}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "  "}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": 5}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "PASS_DELAY": "-1"}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "PASS_DELAY": "15", "REQUEUE": "true"}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "REQUEUE": "yes"}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "REQUEUE": True, "DO_NOT_CALL": False}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "PASS_DELAY": "1.5"}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "PASS_DELAY": 2147483648}),
    ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "EXTRA": "1"}),
    ("MOVE_TO_CAMPAIGN", {}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": "5", "LIST_ID": "0"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": "5", "LIST_ID": "0", "LIST_NAME": "New"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": "0", "LIST_ID": "3"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": "x", "LIST_ID": "3"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 5, "LIST_ID": 3, "CREATE_COPY_SETTING": "transition"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 5, "LIST_ID": 3, "CREATE_COPY_SETTING": True}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 5, "LIST_ID": 3, "CREATE_COPY_SETTING": "maybe"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 5, "LIST_ID": 3, "DUPLICATE_ACTION_SETTING": "ignore"}),
    ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 5, "LIST_ID": 3, "DUPLICATE_ACTION_SETTING": "DROP"}),
    ("CALLBACK_LEADS", {}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "AGENT"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": "7"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "SET"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-01-31T09:30:00Z"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-01-31T09:30:00+0000"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-01-31T09:30:00.123+05:30"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "tomorrow"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "SET", "CALLBACK_DATE": "2026-02-30T09:30:00Z"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "cancel"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "LATER"}),
    ("CALLBACK_LEADS", {"ACTION_TYPE": "RESET", "RESERVATION_AGENT_ID": "0"}),
    ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": "0"}),
    ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": 12}),
    ("AGENT_RESERVATION", {}),
    ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": "-1"}),
    ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": "abc"}),
    ("AGENT_RESERVATION", {"RESERVATION_AGENT_ID": True}),
    ("EMAIL_LEADS", {"EMAIL_TO": "a@example.com, b@example.org"}),
    ("EMAIL_LEADS", {"EMAIL_TO": "a@example.com, not-an-email"}),
    ("EMAIL_LEADS", {"EMAIL_TO": " , "}),
    ("EMAIL_LEADS", {}),
    ("DIALER_REFRESH", {"force_dialer_cache_refresh": "TRUE"}),
]


def _server_verdict(action: str, param_map: dict[str, Any]) -> str | None:
    try:
        parse_params(LeadAction(action), param_map)
    except InvalidRequest as error:
        return error.message
    return None


def test_page_validates_action_params_exactly_as_the_server(
    page: Page, ui_server: UiServer
) -> None:
    page.goto(ui_server.url + "/")
    verdicts = page.evaluate(
        """async (cases) => {
          const { validateParams } = await import("/ui/static/actions.js");
          return cases.map(([action, map]) => {
            const result = validateParams(action, map);
            return result.ok ? null : result.errors[0].message;
          });
        }""",
        json.loads(json.dumps(PARAM_CASES)),
    )
    mismatches = [
        (action, param_map, verdict, _server_verdict(action, param_map))
        for (action, param_map), verdict in zip(PARAM_CASES, verdicts, strict=True)
        if verdict != _server_verdict(action, param_map)
    ]
    assert mismatches == [], "page vs server (action, params, page says, server says)"


def test_session_survives_a_reload_and_sign_out_forgets_the_key(
    page: Page, ui_server: UiServer
) -> None:
    page.goto(ui_server.url + "/")
    page.get_by_label("API key").fill("lsk_0123456789abcdef_" + "x" * 43)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#signin-error")).to_have_text(
        "This API key was not accepted (unknown or revoked)."
    )
    expect(page.get_by_label("API key")).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("sessionStorage.length") == 0

    sign_in(page, ui_server)
    page.reload()
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    expect(page.locator("#session-account")).to_contain_text(f"Account {ACCOUNT}")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert page.evaluate("sessionStorage.length") == 0


def test_a_read_only_key_sees_what_it_may_and_is_told_what_it_may_not(
    page: Page, ui_server: UiServer
) -> None:
    (lead_id,) = ui_server.load(306, 1, "READONLY")
    reader = ui_server.new_key(str(ACCOUNT), ["leads:read"])
    page.goto(ui_server.url + "/")
    page.get_by_label("API key").fill(reader)
    page.get_by_role("button", name="Sign in").click()
    # A key for one account needs no picker.
    expect(page.get_by_role("heading", name="Leads", exact=True)).to_be_visible()
    search_campaign(page, 306, 1)
    page.get_by_label(f"Select lead {lead_id}", exact=True).check()
    page.get_by_role("button", name="Actions").click()
    cancel = page.get_by_role("menuitem", name="Cancel needs leads:write")
    expect(cancel).to_have_attribute("aria-disabled", "true")
    cancel.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#action-dialog")).to_be_hidden()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_be_hidden()
    expect(page.get_by_role("button", name="Actions")).to_be_focused()

    row(page, lead_id).get_by_role("link", name=str(lead_id)).click()
    expect(page.locator("#lead-state")).to_contain_text("READY")
    expect(page.locator("#history-unavailable")).to_contain_text("audit:read")
    page.goto(f"{ui_server.url}/#/lead/999999")
    expect(page.locator("#lead-error")).to_contain_text(f"Lead 999999 is not in account {ACCOUNT}")
    assert_labelled(page)


ACTION_DIALOGS = {
    "RESET_LEADS": [],
    "READY_LEADS": [],
    "CANCEL_LEADS": [],
    "PAUSE_LEADS": [],
    "SUPPRESS_LEADS": [],
    "UNSUPPRESS_LEADS": [],
    "DELETE_LEADS": [],
    "MANUAL_LEADS": ["PASS_DISPOSITION", "REQUEUE", "DO_NOT_CALL", "MERGE_ORIGINAL"],
    "MOVE_TO_CAMPAIGN": [
        "CAMPAIGN_ID",
        "LIST_ID",
        "CREATE_COPY_SETTING",
        "DUPLICATE_ACTION_SETTING",
    ],
    "CALLBACK_LEADS": ["ACTION_TYPE", "CALLBACK_DATE"],
    "AGENT_RESERVATION": ["RESERVATION_AGENT_ID"],
    "EMAIL_LEADS": ["EMAIL_TO"],
}
IRREVERSIBLE = {"CANCEL_LEADS", "PAUSE_LEADS", "DELETE_LEADS"}


def test_every_action_has_a_labelled_dialog_with_its_params(
    page: Page, ui_server: UiServer
) -> None:
    (lead_id,) = ui_server.load(307, 1, "MENU")
    sign_in(page, ui_server)
    search_campaign(page, 307, 1)
    page.get_by_label(f"Select lead {lead_id}", exact=True).check()
    menu_button = page.get_by_role("button", name="Actions")
    names = page.evaluate(
        "async () => (await import('/ui/static/actions.js')).ACTIONS.map((a) => a.name)"
    )
    assert names == list(ACTION_DIALOGS)
    for action, params in ACTION_DIALOGS.items():
        menu_button.click()
        page.locator(f'#actions-menu [data-action="{action}"]').click()
        dialog = page.locator("#action-dialog")
        expect(dialog).to_be_visible()
        expect(dialog.get_by_role("heading")).to_contain_text(f"({action})")
        visible = dialog.locator("#action-fields .field").evaluate_all(
            "(els) => els.filter((el) => !el.hidden).map((el) => el.dataset.key)"
        )
        assert visible == params, action
        if not params:  # straight to the confirmation
            expect(page.locator("#action-count")).to_contain_text("1 selected lead")
            expect(page.locator("#action-warning")).to_be_visible(visible=action in IRREVERSIBLE)
        assert_labelled(page)
        page.keyboard.press("Escape")
        expect(dialog).to_be_hidden()
        expect(menu_button).to_be_focused()
    assert [lead["leadState"] for lead in ui_server.leads({"leadIds": [lead_id]})] == ["READY"]


def test_the_page_finds_unicode_names_by_their_caseless_spellings(
    page: Page, ui_server: UiServer
) -> None:
    loaded = ui_server.api(
        "POST",
        "/campaigns/309/leadLoader/direct",
        json={
            "uploadLeads": [
                {
                    "externId": "U-1",
                    "leadPhone": "5553090001",
                    "firstName": "Émile",
                    "lastName": "Ødegård",
                    "city": "ÅLESUND",
                },
                {"externId": "U-2", "leadPhone": "5553090002", "firstName": "Emile"},
            ]
        },
    )
    assert loaded.status_code == 200, loaded.text
    emile = loaded.json()["leadIds"][0]
    sign_in(page, ui_server)

    for label, query in (("First name", "ÉMILE"), ("Last name", "ødegård")):
        page.get_by_label("Campaign ids").fill("309")
        page.get_by_label(label, exact=True).fill(query)
        page.get_by_role("button", name="Search", exact=True).click()
        expect(page.locator("#result-summary")).to_have_attribute("data-total", "1")
        expect(row(page, emile)).to_be_visible()
        page.get_by_label(label, exact=True).fill("")
