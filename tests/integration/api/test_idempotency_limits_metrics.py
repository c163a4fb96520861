"""Hardening in-process, on both backends (issue 7): idempotency records and their purge,
limits (413, 400 caps, 429), security headers, no token echoed, `/metrics`, 409 on an
exhausted retry."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from eventsourcing.persistence import RecordConflictError
from fastapi.testclient import TestClient

from leadstate.api import create_app
from leadstate.application import service as application_module
from leadstate.application.bootstrap import Leadstate
from leadstate.domain import Conflict
from leadstate.persistence.idempotency import Outcome, lead_ids_named
from leadstate.settings import Settings
from tests.backends import open_service
from tests.e2e.support import ALL_SCOPES, PREFIX, row

ACCOUNT = 77
P = f"{PREFIX}/{ACCOUNT}"
SECURITY = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@dataclass
class Api:
    """A TestClient, an all-scope key's headers and the application it runs."""

    client: TestClient
    headers: dict[str, str]
    token: str

    @property
    def app(self) -> Leadstate:
        """The application the lifespan opened."""
        found = self.client.app_state["leadstate"]
        assert isinstance(found, Leadstate)
        return found

    def load(
        self, rows: list[dict[str, Any]], campaign: int = 1, headers: dict[str, str] | None = None
    ) -> Any:
        """Load rows; the response."""
        return self.client.post(
            f"{P}/campaigns/{campaign}/leadLoader/direct",
            json={"uploadLeads": rows},
            headers={**self.headers, **(headers or {})},
        )

    def act(self, action: str, criteria: Any, params: Any = None, **headers: str) -> Any:
        """PUT .../actions; the response."""
        body: dict[str, Any] = {"campaignLeadSearchCriteria": criteria}
        if params is not None:
            body["leadActionParams"] = {"paramMap": params}
        return self.client.put(
            f"{P}/campaignLeads/actions",
            params={"leadAction": action},
            json=body,
            headers={**self.headers, **headers},
        )


def open_api(settings: Settings) -> Iterator[Api]:
    """The API on `settings` with an all-scope key for every account."""
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        application = open_service(settings)
        try:
            _, token = application.api_keys.create("*", ALL_SCOPES)
        finally:
            application.close()
        yield Api(client, {"Authorization": f"Bearer {token}"}, token)


@pytest.fixture
def api(settings: Settings) -> Iterator[Api]:
    """The API on the parametrised backend."""
    yield from open_api(settings)


def records_naming(app: Leadstate, lead_id: int) -> int:
    """How many stored responses are indexed under the lead."""
    from leadstate.domain.lead import Lead

    store = app.store
    with store.read() as cur:
        cur.execute(
            f"SELECT COUNT(*) AS n FROM {store.qualify('ls_idempotency_leads')} "
            f"WHERE lead_uuid = {store.ph}",
            (Lead.create_id(lead_id).hex,),
        )
        found = cur.fetchone()
    return int(found["n"])


# -- idempotency ----------------------------------------------------------------------


def test_a_retried_load_is_replayed_and_another_body_with_the_key_is_a_409(api: Api) -> None:
    key = {"Idempotency-Key": "load-1"}
    rows = [row(firstName="Ada")]
    first = api.load(rows, headers=key)
    again = api.load(rows, headers=key)
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    count = api.client.post(
        f"{P}/campaignLeads/leadSearch", params={"count": "true"}, json={}, headers=api.headers
    )
    assert count.json() == {"count": 1}

    other = api.load([row(firstName="Bob")], headers=key)
    assert other.status_code == 409
    assert "different request" in other.json()["error"]["message"]
    # The same body on another path or query is another request too.
    moved = api.load(rows, campaign=2, headers=key)
    assert moved.status_code == 409


def test_a_client_error_is_replayed_but_a_conflict_is_not_stored(api: Api) -> None:
    key = {"Idempotency-Key": "bad-1"}
    bad = api.act("MANUAL_LEADS", {"leadIds": [1]}, {"NOPE": 1}, **key)
    assert bad.status_code == 400
    replayed = api.act("MANUAL_LEADS", {"leadIds": [1]}, {"NOPE": 1}, **key)
    assert replayed.status_code == 400
    assert replayed.json() == bad.json()
    assert replayed.headers["Idempotent-Replayed"] == "true"


def test_a_malformed_key_is_a_400_and_searches_ignore_the_header(api: Api) -> None:
    response = api.load([row()], headers={"Idempotency-Key": "x" * 256})
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["error"]["message"]
    before = api.app.idempotency.count()
    for _ in range(2):
        found = api.client.post(
            f"{P}/campaignLeads/leadSearch",
            json={},
            headers={**api.headers, "Idempotency-Key": "search"},
        )
        assert found.status_code == 200
        assert "Idempotent-Replayed" not in found.headers
    assert api.app.idempotency.count() == before


def test_deleting_a_lead_purges_the_stored_responses_that_name_it(api: Api) -> None:
    loaded = api.load(
        [row(firstName="Keep"), row(firstName="Gone")], headers={"Idempotency-Key": "L"}
    )
    keep, gone = loaded.json()["leadIds"]
    edit = {"Idempotency-Key": "edit-gone"}
    edited = api.client.patch(
        f"{P}/campaignLeads/{gone}", json={"firstName": "Secret"}, headers={**api.headers, **edit}
    )
    assert edited.status_code == 200
    assert edited.json()["firstName"] == "Secret"
    settings_key = {"Idempotency-Key": "settings"}
    put = api.client.put(
        f"{P}/campaigns/1/settings",
        json={"maxPasses": 5, "passDelayMin": 10},
        headers={**api.headers, **settings_key},
    )
    assert put.status_code == 200, put.text
    assert records_naming(api.app, gone) == 2
    assert api.app.idempotency.count() == 3

    deleted = api.act("DELETE_LEADS", {"leadIds": [gone]})
    assert deleted.json()["leadDeleteCount"] == 1
    # The load (naming both leads) and the edit are gone; the settings record stays.
    assert records_naming(api.app, gone) == 0
    assert records_naming(api.app, keep) == 0
    assert api.app.idempotency.count() == 1
    retried = api.client.patch(
        f"{P}/campaignLeads/{gone}", json={"firstName": "Secret"}, headers={**api.headers, **edit}
    )
    assert retried.status_code == 404
    assert "Secret" not in retried.text
    assert (
        api.client.put(
            f"{P}/campaigns/1/settings",
            json={"maxPasses": 5, "passDelayMin": 10},
            headers={**api.headers, **settings_key},
        ).headers["Idempotent-Replayed"]
        == "true"
    )


def test_records_expire_after_24_hours(api: Api) -> None:
    records = api.app.idempotency
    assert api.load([row()], headers={"Idempotency-Key": "old"}).status_code == 200
    assert records.purge_expired(now=time.time() + 3600) == 0
    assert records.count() == 1
    # An expired record is taken over by a new request with its key...
    hashed = records.fingerprint("k", "POST", "/x", [], b"{}")
    assert records.begin(ACCOUNT, "old", hashed, "owner-2").outcome is Outcome.MISMATCH
    assert records.purge_expired(now=time.time() + 86_401) == 1
    assert records.count() == 0
    assert records.begin(ACCOUNT, "old", hashed, "owner-2").outcome is Outcome.CLAIMED


def test_lead_ids_named_reads_every_lead_field_at_any_depth() -> None:
    body = b'{"leadIds": [3, 4], "errors": [{"leadId": 5}], "x": {"originalLeadId": 6}}'
    assert lead_ids_named(body) == {3, 4, 5, 6}
    assert lead_ids_named(b"not json") == set()
    assert lead_ids_named(b'{"leadId": true, "leadIds": ["7", -1]}') == set()


# -- limits ---------------------------------------------------------------------------


def test_a_body_above_16_mb_is_a_413(api: Api) -> None:
    response = api.client.post(
        f"{P}/campaigns/1/leadLoader/direct",
        content=b"[" + b" " * (16 * 1024 * 1024) + b"]",
        headers={**api.headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_max_rows_above_the_cap_is_a_400(api: Api) -> None:
    response = api.client.post(
        f"{P}/campaignLeads/leadSearch", params={"maxRows": 10_001}, json={}, headers=api.headers
    )
    assert response.status_code == 400
    assert "maxRows" in response.json()["error"]["message"]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_too_many_leads_in_one_load_is_a_413(settings: Settings) -> None:
    for api in open_api(settings.model_copy(update={"max_load_leads": 3})):
        response = api.load([row() for _ in range(4)])
        assert response.status_code == 413
        assert "at most 3 leads" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_a_selection_above_max_selection_is_a_400_and_changes_nothing(settings: Settings) -> None:
    for api in open_api(settings.model_copy(update={"max_selection": 3})):
        assert api.load([row() for _ in range(4)]).status_code == 200
        response = api.act("SUPPRESS_LEADS", {"campaignIds": [1]})
        assert response.status_code == 400
        message = response.json()["error"]["message"]
        assert "more than 3 leads" in message and "LEADSTATE_MAX_SELECTION" in message
        suppressed = api.client.post(
            f"{P}/campaignLeads/leadSearch",
            params={"count": "true"},
            json={"suppressed": "ONLY_SUPPRESSED", "campaignIds": [1]},
            headers=api.headers,
        )
        assert suppressed.json() == {"count": 0}
        assert api.act(
            "SUPPRESS_LEADS", {"campaignIds": [1], "leadIds": [1, 2, 3]}
        ).status_code == (200)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_an_account_over_its_rate_limit_gets_429_with_retry_after(settings: Settings) -> None:
    limited = settings.model_copy(update={"rate_limit_per_second": 0.5, "rate_limit_burst": 3})
    for api in open_api(limited):
        states = f"{P}/campaignLeads/leadStates"
        answers = [api.client.get(states, headers=api.headers) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        refused = answers[-1]
        assert refused.json()["error"]["code"] == "rate_limited"
        assert 1 <= int(refused.headers["Retry-After"]) <= 2
        assert refused.headers["x-content-type-options"] == "nosniff"
        # Another account has its own bucket; probes and /me are not limited.
        other = api.client.get(f"{PREFIX}/78/campaignLeads/leadStates", headers=api.headers)
        assert other.status_code == 200
        assert api.client.get("/healthz").status_code == 200
        assert api.client.get("/me", headers=api.headers).status_code == 200


def test_the_rate_limit_is_off_by_default(api: Api) -> None:
    assert api.app.settings.rate_limit_per_second == 0
    states = f"{P}/campaignLeads/leadStates"
    assert {api.client.get(states, headers=api.headers).status_code for _ in range(30)} == {200}


# -- headers, secrets, errors ---------------------------------------------------------


def test_every_response_carries_the_security_headers(api: Api) -> None:
    answers = {
        "json": api.client.get(f"{P}/campaignLeads/leadStates", headers=api.headers),
        "401": api.client.get(f"{P}/campaignLeads/leadStates"),
        "404": api.client.get("/nowhere"),
        "health": api.client.get("/healthz"),
        "metrics": api.client.get("/metrics"),
        "page": api.client.get("/"),
    }
    for name, response in answers.items():
        for header, value in SECURITY.items():
            assert response.headers.get(header) == value, (name, header)
        assert response.headers["x-request-id"], name
    for name in ("json", "401", "404", "health"):
        assert "default-src 'none'" in answers[name].headers["content-security-policy"], name
        assert answers[name].headers["cache-control"] == "no-store", name
    # The UI page keeps its own policy and caching.
    assert "script-src 'self'" in answers["page"].headers["content-security-policy"]
    assert answers["page"].headers["cache-control"] == "no-cache"


def test_an_unexpected_error_is_a_plain_500_with_the_headers(settings: Settings) -> None:
    api_app = create_app(settings)

    @api_app.get("/boom")
    def boom() -> None:
        raise RuntimeError("secret detail 5551234567")

    with TestClient(api_app, raise_server_exceptions=False) as client:
        response = client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-frame-options"] == "DENY"


def test_tokens_are_never_echoed(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    forged = "lsk_" + "f" * 40
    for headers in ({"Authorization": f"Bearer {forged}"}, {"Authorization": forged}):
        response = api.client.get(f"{P}/campaignLeads/leadStates", headers=headers)
        assert response.status_code == 401
        assert forged not in response.text
        assert forged not in str(response.headers)
    me = api.client.get("/me", headers=api.headers)
    assert api.token not in me.text
    assert api.token not in caplog.text and forged not in caplog.text


def test_the_request_id_is_the_correlation_id(api: Api) -> None:
    response = api.client.get(
        f"{P}/campaignLeads/leadStates", headers={**api.headers, "X-Request-Id": "abc-123"}
    )
    assert response.headers["x-request-id"] == "abc-123"
    junk = api.client.get(
        f"{P}/campaignLeads/leadStates", headers={**api.headers, "X-Request-Id": "a b\x7f"}
    )
    assert re.fullmatch(r"[0-9a-f]{32}", junk.headers["x-request-id"])


def test_an_exhausted_retry_is_a_conflict_not_a_server_error(
    api: Api, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(application_module, "RETRY_SECONDS", 0.0)
    tries: list[int] = []

    def always_conflicting() -> None:
        tries.append(1)
        raise RecordConflictError("version taken")

    with pytest.raises(Conflict) as raised:
        api.app.app.retrying(always_conflicting)
    assert len(tries) == 8
    assert "retry" in raised.value.message


# -- metrics --------------------------------------------------------------------------


def test_metrics_expose_requests_events_projections_jobs_and_the_outbox(api: Api) -> None:
    lead_id = api.load([row()]).json()["leadIds"][0]
    assert api.act("SUPPRESS_LEADS", {"leadIds": [lead_id]}).status_code == 200
    assert api.client.get(f"{P}/campaignLeads/{lead_id}", headers=api.headers).status_code == 200
    response = api.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    text = response.text
    route = "/voice/api/v1/admin/accounts/{accountId}/campaignLeads/{leadId}"
    assert f'leadstate_http_requests_total{{method="GET",route="{route}",status="200"}}' in text
    latency = f'leadstate_http_request_duration_seconds_count{{method="GET",route="{route}"}}'
    assert latency in text
    for series in (
        'leadstate_events_appended_total{type="Lead.Loaded"}',
        'leadstate_projection_position{projection="lead_search"}',
        'leadstate_projection_lag_events{projection="lead_counts"}',
        "leadstate_log_position ",
        'leadstate_jobs{status="queued"}',
        'leadstate_jobs{status="running"}',
        "leadstate_job_leads_processed",
        "leadstate_outbox_depth ",
        "leadstate_idempotency_records ",
    ):
        assert series in text, series
    # Route templates only: no account id, no lead id in any label.
    assert f"/{ACCOUNT}/" not in text and f"/{lead_id}" not in text
