"""Auth matrix: every route x {no token, unknown token, revoked key, other account, missing
scope} answers 401/404/403 and its body reveals nothing (in-process, TestClient)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from leadstate.domain import Lead, Meta
from tests.backends import wired
from tests.e2e.support import ALL_SCOPES, PREFIX
from tests.integration.api.conftest import Local

ACCOUNT = 1
OTHER = 2
SECRET_NAME = "Zelda-Secret"
SECRET_PHONE = "2125550199"


@dataclass(frozen=True)
class Call:
    """One route, called with a valid request; `scope` is what it needs."""

    method: str
    route: str
    scope: str | None
    json: Any = None
    params: dict[str, Any] = field(default_factory=dict)
    everywhere: bool = False  # needs a key for all accounts (operator routes)

    def path(self, account: int, lead_id: int, job_id: str = "none") -> str:
        """The concrete path."""
        return (
            self.route.replace("{accountId}", str(account))
            .replace("{leadId}", str(lead_id))
            .replace("{campaignId}", "5")
            .replace("{jobId}", job_id)
            .replace("{name}", "lead_counts")
        )


A = f"{PREFIX}/{{accountId}}"
ROUTES = [
    Call(
        "POST",
        f"{A}/campaigns/{{campaignId}}/leadLoader/direct",
        "leads:write",
        {"uploadLeads": [{"externId": "m", "leadPhone": "2125550111"}]},
    ),
    Call("POST", f"{A}/campaignLeads/leadSearch", "leads:read", {"campaignIds": [5]}),
    Call(
        "POST",
        f"{A}/campaignLeads/leadSearchByPhoneList",
        "leads:read",
        {"phoneList": [SECRET_PHONE]},
    ),
    Call(
        "PUT",
        f"{A}/campaignLeads/actions",
        "leads:write",
        {"campaignLeadSearchCriteria": {"campaignIds": [5]}},
        {"leadAction": "CANCEL_LEADS"},
    ),
    Call("GET", f"{A}/campaignLeads/leadStates", "leads:read"),
    Call("GET", f"{A}/campaignLeads/systemDispositions", "leads:read"),
    Call("GET", f"{A}/campaignLeads/{{leadId}}", "leads:read"),
    Call("PATCH", f"{A}/campaignLeads/{{leadId}}", "leads:write", {"firstName": "Z"}),
    Call("PUT", f"{A}/campaignLeads/{{leadId}}", "leads:write", {"leadPhone": SECRET_PHONE}),
    Call("GET", f"{A}/campaigns/{{campaignId}}/settings", "leads:read"),
    Call(
        "PUT",
        f"{A}/campaigns/{{campaignId}}/settings",
        "leads:write",
        {"maxPasses": 2, "passDelayMin": 5},
    ),
    Call("GET", f"{A}/jobs/{{jobId}}", "leads:read"),
    Call(
        "POST",
        f"{A}/campaignLeads/{{leadId}}/calls",
        "leads:write",
        {"uii": "auth-1", "agentId": 2, "systemDisposition": "BUSY", "talkTime": 0},
    ),
    Call("GET", f"{A}/calls", "leads:read"),
    Call("GET", f"{A}/campaigns/{{campaignId}}/dialable", "leads:read"),
    Call("GET", f"{A}/campaignLeads/{{leadId}}/history", "audit:read"),
    Call("GET", f"{A}/counts", "leads:read", params={"campaignId": 5}),
    Call("GET", "/me", None),
    Call("GET", "/voice/api/v1/admin/accounts", None),
    Call("GET", "/admin/projections", "admin", everywhere=True),
    Call("POST", "/admin/projections/{name}/rebuild", "admin", everywhere=True),
]
# Scope rules that depend on the request, not only the route.
SPECIAL = [
    Call(
        "PUT",
        f"{A}/campaignLeads/actions",
        "leads:delete",
        {"campaignLeadSearchCriteria": {"campaignIds": [5]}},
        {"leadAction": "DELETE_LEADS"},
    ),
    Call(
        "PUT",
        f"{A}/campaignLeads/actions",
        "leads:export",
        {"campaignLeadSearchCriteria": {"campaignIds": [5]}, "leadActionParams": {"paramMap": {}}},
        {"leadAction": "EMAIL_LEADS"},
    ),
    Call("GET", f"{A}/campaignLeads/{{leadId}}", "audit:read", params={"version": 1}),
    Call("GET", f"{A}/campaignLeads/{{leadId}}", "audit:read", params={"asOf": "2030-01-01"}),
]
# The export link is its own credential (SPEC §6): no bearer token.
PUBLIC = {("GET", "/healthz"), ("GET", "/readyz"), ("GET", "/exports/{token}")}


@dataclass
class World:
    """An account with one lead, and tokens of every kind."""

    local: Local
    lead_id: int
    tokens: dict[str, str]
    job_id: str

    def token(self, name: str, call: Call) -> str:
        """The token called `name`, for all accounts when `call` needs that."""
        return self.tokens[f"* {name}" if call.everywhere else name]

    def call(
        self, call: Call, token: str | None, account: int = ACCOUNT, *, legacy: bool = False
    ) -> Any:
        """Send `call` with `token` (as `X-Auth-Token` when `legacy`)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if token and legacy:
            headers = {"X-Auth-Token": token}
        return self.local.client.request(
            call.method,
            call.path(account, self.lead_id, self.job_id),
            json=call.json,
            params=call.params,
            headers=headers,
        )


def _lead(local: Local, token: str) -> int:
    response = local.client.post(
        f"{PREFIX}/{ACCOUNT}/campaigns/5/leadLoader/direct",
        headers={"Authorization": f"Bearer {token}"},
        json={
            "uploadLeads": [{"externId": "s", "leadPhone": SECRET_PHONE, "firstName": SECRET_NAME}]
        },
    )
    assert response.status_code == 200, response.text
    return int(response.json()["leadIds"][0])


@pytest.fixture
def world(local: Local) -> World:
    """Keys: all scopes for the account, all scopes for another, revoked, one per missing scope."""
    keys = local.app.api_keys
    tokens = {
        "admin": keys.create(ACCOUNT, ALL_SCOPES)[1],
        "other": keys.create(OTHER, ALL_SCOPES)[1],
        "unknown": "lsk_0123456789abcdef_" + "A" * 43,
        "garbage": "not-a-key",
    }
    revoked, tokens["revoked"] = keys.create(ACCOUNT, ALL_SCOPES)
    keys.revoke(revoked.key_id)
    for scope in ALL_SCOPES:
        tokens[f"without {scope}"] = keys.create(ACCOUNT, [s for s in ALL_SCOPES if s != scope])[1]
    tokens["* admin"] = keys.create("*", ALL_SCOPES)[1]
    tokens["* without admin"] = keys.create("*", [s for s in ALL_SCOPES if s != "admin"])[1]
    lead_id = _lead(local, tokens["admin"])
    job = local.app.actions.submit_job(
        ACCOUNT, *wired("READY_LEADS", {}, {"leadIds": [lead_id]}), Meta.now("t")
    )
    return World(local, lead_id, tokens, job["jobId"])


def reveals_nothing(body: dict[str, Any]) -> None:
    """An error body with nothing but a code and a generic message."""
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    text = str(body)
    for secret in (SECRET_NAME, SECRET_PHONE, "expired", "Traceback"):
        assert secret not in text


def test_the_matrix_covers_every_route_of_the_app(local: Local) -> None:
    paths = local.client.get("/openapi.json").json()["paths"]
    routes = {(method.upper(), path) for path, operations in paths.items() for method in operations}
    assert routes == {(c.method, c.route) for c in ROUTES} | PUBLIC


@pytest.mark.parametrize("call", ROUTES, ids=lambda c: f"{c.method} {c.route}")
def test_every_route_without_a_valid_token_is_401(world: World, call: Call) -> None:
    for token in (None, world.tokens["unknown"], world.tokens["garbage"], world.tokens["revoked"]):
        response = world.call(call, token)
        assert response.status_code == 401, (token, response.text)
        assert response.headers["www-authenticate"] == "Bearer"
        assert response.json()["error"]["code"] == "unauthorized"
        reveals_nothing(response.json())


@pytest.mark.parametrize(
    "call", [c for c in ROUTES if "{accountId}" in c.route], ids=lambda c: f"{c.method} {c.route}"
)
def test_every_route_with_a_key_of_another_account_is_404_as_if_nothing_were_there(
    world: World, call: Call
) -> None:
    nothing = world.local.client.get(
        f"{PREFIX}/{ACCOUNT}/no/such/route",
        headers={"Authorization": f"Bearer {world.tokens['admin']}"},
    )
    response = world.call(call, world.tokens["other"])
    assert response.status_code == 404, response.text
    assert response.json() == nothing.json()
    reveals_nothing(response.json())
    for account in ("0", "-1", "abc", str(2**70)):
        odd = world.local.client.request(
            call.method,
            call.path(ACCOUNT, world.lead_id).replace(
                f"/accounts/{ACCOUNT}/", f"/accounts/{account}/"
            ),
            json=call.json,
            params=call.params,
            headers={"Authorization": f"Bearer {world.tokens['admin']}"},
        )
        assert (odd.status_code, odd.json()) == (404, nothing.json())


@pytest.mark.parametrize(
    "call",
    [c for c in ROUTES + SPECIAL if c.scope],
    ids=lambda c: f"{c.method} {c.route} {c.scope}",
)
def test_every_route_with_a_key_missing_its_scope_is_403_and_changes_nothing(
    world: World, call: Call
) -> None:
    before = world.local.app.leads.get_lead(ACCOUNT, world.lead_id)
    response = world.call(call, world.token(f"without {call.scope}", call))
    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert str(call.scope) in response.json()["error"]["message"]
    reveals_nothing(response.json())
    assert world.local.app.leads.get_lead(ACCOUNT, world.lead_id) == before


@pytest.mark.parametrize("call", ROUTES + SPECIAL, ids=lambda c: f"{c.method} {c.route} {c.scope}")
def test_every_route_with_the_right_key_is_not_an_auth_error(world: World, call: Call) -> None:
    response = world.call(call, world.token("admin", call))
    assert response.status_code not in (401, 403, 404, 500), response.text


@pytest.mark.parametrize("call", ROUTES + SPECIAL, ids=lambda c: f"{c.method} {c.route} {c.scope}")
def test_x_auth_token_gets_the_answer_bearer_gets_in_the_same_order_of_checks(
    world: World, call: Call
) -> None:
    keys = ["unknown", "garbage", "revoked", "admin", "without leads:write"]
    for name in keys:
        token = world.tokens[name]
        if "{accountId}" in call.route:
            other = world.call(call, token, ACCOUNT + 1, legacy=True).status_code
            assert other == world.call(call, token, ACCOUNT + 1).status_code, name
        legacy = world.call(call, token, legacy=True)
        bearer = world.call(call, token)
        if call.method == "GET":  # writes change state: only their status class is compared
            assert legacy.status_code == bearer.status_code, (name, legacy.text)
        else:
            assert (legacy.status_code in (401, 403, 404)) == (
                bearer.status_code in (401, 403, 404)
            ), (name, legacy.text, bearer.text)


@pytest.mark.parametrize("call", [c for c in ROUTES if c.everywhere], ids=lambda c: c.route)
def test_operator_routes_refuse_an_admin_key_of_one_account(world: World, call: Call) -> None:
    response = world.call(call, world.tokens["admin"])
    assert response.status_code == 403, response.text
    assert "all accounts" in response.json()["error"]["message"]
    reveals_nothing(response.json())


def test_a_scope_check_comes_before_body_validation(world: World) -> None:
    call = Call("PATCH", f"{A}/campaignLeads/{{leadId}}", "leads:write", {"leadState": 5})
    response = world.call(call, world.tokens["without leads:write"])
    assert response.status_code == 403


def test_auth_comes_before_reading_a_malformed_or_oversized_body(world: World) -> None:
    url = f"{PREFIX}/{ACCOUNT}/campaignLeads/leadSearch"
    bad = world.local.client.post(url, content=b"{", headers={"Content-Type": "application/json"})
    assert bad.status_code == 401
    other = world.local.client.post(
        url,
        content=b"{",
        headers={
            "Content-Type": "application/json",
            "Authorization": f"Bearer {world.tokens['other']}",
        },
    )
    assert other.status_code == 404


def test_me_shows_the_calling_key_and_other_keys_only_to_admins(world: World) -> None:
    keys = world.local.app.api_keys
    reader, reader_token = keys.create(ACCOUNT, ["leads:read"], name="reader")
    me = world.local.client.get("/me", headers={"Authorization": f"Bearer {reader_token}"})
    assert me.json() == {
        "keyId": reader.key_id,
        "name": "reader",
        "accounts": [str(ACCOUNT)],
        "scopes": ["leads:read"],
        "createdAt": reader.created_at.isoformat(),
        "revoked": False,
    }
    admin = {"Authorization": f"Bearer {world.tokens['admin']}"}
    other = world.local.client.get("/me", params={"keyId": reader.key_id}, headers=admin)
    assert other.json()["keyId"] == reader.key_id
    denied = world.local.client.get(
        "/me", params={"keyId": "key_0000"}, headers={"Authorization": f"Bearer {reader_token}"}
    )
    assert denied.status_code == 403
    missing = world.local.client.get("/me", params={"keyId": "key_0000"}, headers=admin)
    assert missing.status_code == 404


def test_events_record_the_key_id_as_actor_never_the_token(world: World) -> None:
    keys = world.local.app.api_keys
    writer, token = keys.create(ACCOUNT, ["leads:write"])
    response = world.local.client.put(
        f"{PREFIX}/{ACCOUNT}/campaignLeads/actions",
        params={"leadAction": "PAUSE_LEADS"},
        json={"campaignLeadSearchCriteria": {"leadIds": [world.lead_id]}},
        headers={"Authorization": f"Bearer {token}", "X-Request-Id": "req-123"},
    )
    assert response.status_code == 200, response.text
    assert response.headers["x-request-id"] == "req-123"
    app = world.local.app
    stored = next(iter(app.store.select_streams([Lead.create_id(world.lead_id)]).values()))
    last = app.engine.mapper.to_domain_event(stored[-1])
    assert last.actor == writer.key_id  # type: ignore[attr-defined]
    assert last.correlation_id == "req-123"  # type: ignore[attr-defined]
    for event in stored:
        assert token.encode() not in event.state
        assert token.split("_", 2)[2].encode() not in event.state


def test_tokens_are_stored_only_as_hashes(world: World) -> None:
    app = world.local.app
    with app.store.read() as cur:
        cur.execute("SELECT * FROM ls_api_keys")
        rows = [tuple(r) for r in cur.fetchall()]
    dump = repr(rows)
    created = [t for name, t in world.tokens.items() if name not in ("unknown", "garbage")]
    assert len(created) == len(rows)
    for token in created:
        assert token not in dump
        assert token.split("_", 2)[2] not in dump


def test_probes_answer_without_a_token_and_show_no_data(world: World) -> None:
    for path, status in (("/healthz", "ok"), ("/readyz", "ready")):
        response = world.local.client.get(path)
        assert response.json() == {"status": status}
