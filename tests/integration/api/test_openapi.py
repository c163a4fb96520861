"""The app's own OpenAPI: every route's responses validate against it, every model and
route is described, no object is free-form, and the JSON names are the vendor's."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from jsonschema import Draft202012Validator

from leadstate.api import create_app
from leadstate.domain import Meta
from tests.backends import make_settings, open_service, wired
from tests.e2e.support import ALL_SCOPES, PREFIX
from tests.integration.api.conftest import Local

ACCOUNT = 3
P = f"{PREFIX}/{ACCOUNT}"
T = f"{PREFIX}/{{accountId}}"

# Field names of the vendor's schemas (engage-voice-leads-openapi.json).
VENDOR_VIEW = set(
    [
        "address1",
        "address2",
        "agentDispostion",
        "auxData1",
        "auxData2",
        "auxData3",
        "auxData4",
        "auxData5",
        "auxExternalUrl",
        "auxGreeting",
        "auxPhone",
        "callerId",
        "campaignId",
        "campaignName",
        "city",
        "dialGroupId",
        "dupeKeyOverride",
        "email",
        "externId",
        "extraData",
        "firstName",
        "gateKeeper",
        "lastName",
        "lastPassAgentName",
        "lastPassDate",
        "lastPassDispo",
        "lastPassDisposition",
        "lastPassDts",
        "leadId",
        "leadPasses",
        "leadPhone",
        "leadState",
        "leadTimezone",
        "listDesc",
        "listId",
        "liveAnswerMessage",
        "loadedDts",
        "machAnswerMessage",
        "maxPasses",
        "midName",
        "nextDialTime",
        "pendingAgentName",
        "sortCol",
        "speedToLeadAgentConn",
        "speedToLeadFirstPass",
        "state",
        "stateDts",
        "suffix",
        "suppressed",
        "title",
        "uploadDate",
        "uploadedBy",
        "zip",
    ]
)
VENDOR_LEAD = set(
    [
        "address1",
        "address2",
        "auxData1",
        "auxData2",
        "auxData3",
        "auxData4",
        "auxData5",
        "auxExternalUrl",
        "auxGreeting",
        "auxPhone",
        "callerId",
        "city",
        "dupeKeyOverride",
        "email",
        "extendedLeadData",
        "externId",
        "firstName",
        "gateKeeper",
        "id",
        "lastName",
        "lastPassDisposition",
        "lastPassDts",
        "leadId",
        "leadPasses",
        "leadPhone",
        "leadPhoneE164",
        "leadPriority",
        "leadState",
        "leadTimezone",
        "liveAnswerMessage",
        "loadedDts",
        "machAnswerMessage",
        "maxPasses",
        "midName",
        "name",
        "nextDialTime",
        "reserveAgent",
        "sortCol",
        "state",
        "stateDts",
        "suffix",
        "suppressed",
        "title",
        "zip",
        "personaMapping",
    ]
)
VENDOR_CRITERIA = set(
    [
        "address1",
        "address2",
        "agentDispositions",
        "agentId",
        "auxData1",
        "auxData2",
        "auxData3",
        "auxData4",
        "auxData5",
        "callerId",
        "campaignIds",
        "city",
        "emailAddress",
        "externIds",
        "firstName",
        "lastName",
        "lastPassTimeCriteria",
        "leadIds",
        "leadPassesCriteria",
        "leadPhoneNum",
        "leadPhoneNumbers",
        "leadStates",
        "leadTimezones",
        "listIds",
        "loadedDtsEnd",
        "loadedDtsStart",
        "nextDialTimeCriteria",
        "orphanedLeadsOnly",
        "pendingAgentId",
        "physicalStates",
        "suppressed",
        "systemDispositions",
        "zip",
    ]
)
VENDOR_ACTION_RESULT = set(
    [
        "dialerRefreshed",
        "errorMessage",
        "leadActionType",
        "leadDeleteCount",
        "leadUpdateCount",
        "redialDeleteCount",
        "success",
    ]
)
VENDOR_LOAD_REQUEST = set(
    [
        "description",
        "dialPriority",
        "dncTags",
        "duplicateHandling",
        "extendedLeadDataMappings",
        "fileContainsHeaders",
        "fileType",
        "listState",
        "pageColumnMappings",
        "pageNumber",
        "quoteChar",
        "timeZoneOption",
        "transactionId",
        "uploadLeads",
        "additionalPhoneMappings",
        "phoneNumbersI18nEnabled",
        "internationalNumberFormat",
        "numberOriginCountry",
        "scheduleArchiveDts",
    ]
)
VENDOR_LOAD_RESULT = set(
    [
        "deletedCount",
        "dncReturnedCount",
        "dncUploadCount",
        "failedAgentAssignment",
        "hasDeletedLeads",
        "internalDncCount",
        "leadsAccepted",
        "leadsConverted",
        "leadsInserted",
        "leadsSupplied",
        "listState",
        "message",
        "processingResult",
        "processingStatus",
        "quotaCount",
        "rejectedRows",
        "timeZoneOption",
        "uploadFileName",
        "whitelistCount",
    ]
)

# Our extensions, each named in SPEC §1/§6 or documented on the model.
EXPECTED_NAMES: dict[str, set[str]] = {
    "CampaignLeadSearchResultsView": VENDOR_VIEW
    | VENDOR_LEAD
    | {"accountId", "agentDisposition", "pendingAgentId", "originalLeadId", "lastPassAgentId"},
    "CampaignLeadView": VENDOR_VIEW
    | VENDOR_LEAD
    | {"accountId", "agentDisposition", "pendingAgentId", "originalLeadId", "lastPassAgentId"}
    | {"version", "deleted"},
    "CampaignLead": VENDOR_LEAD,
    "CampaignLeadSearchCriteria": VENDOR_CRITERIA,
    "LeadManagerRequest": {"campaignLeadSearchCriteria", "leadActionParams"},
    "LeadActionParams": {"paramMap"},
    "LeadActionResult": VENDOR_ACTION_RESULT | {"errors", "newListId"},
    "LeadListProcessingRequest": VENDOR_LOAD_REQUEST | {"listId"},
    "LeadListProcessingResult": VENDOR_LOAD_RESULT | {"listId", "leadIds"},
    "RejectedRow": {"message", "rowData"},
    "Timezone": {"name", "description"},
    "ComparableSearchField": {"operator", "value"},
    "DateTimeComparableSearchField": {"operator", "value"},
}


@pytest.fixture
def spec_and_headers(local: Local) -> Iterator[tuple[dict[str, Any], dict[str, str]]]:
    """The served OpenAPI document and an all-scope key's headers."""
    _, token = local.app.api_keys.create(ACCOUNT, ALL_SCOPES)
    yield local.client.get("/openapi.json").json(), {"Authorization": f"Bearer {token}"}


def response_schema(spec: dict[str, Any], method: str, path: str, status: int) -> dict[str, Any]:
    """The documented schema of `status` for an operation (exact code, then `4XX`)."""
    responses = spec["paths"][path][method.lower()]["responses"]
    entry = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    assert entry is not None, f"{method} {path} does not document {status}"
    schema: dict[str, Any] = entry["content"]["application/json"]["schema"]
    return schema


def check(spec: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The response body validates against the operation's documented schema."""
    assert response.status_code < 500, response.text
    if response.headers.get("content-type") == "application/zip":  # export downloads
        documented = spec["paths"][path][method.lower()]["responses"][str(response.status_code)]
        assert "application/zip" in documented["content"]
        return
    schema = {
        **response_schema(spec, method, path, response.status_code),
        "components": spec["components"],
    }
    errors = sorted(Draft202012Validator(schema).iter_errors(response.json()), key=str)
    assert not errors, f"{method} {path} {response.status_code}: {errors[0].message}"


def test_every_route_answers_what_its_openapi_schema_declares(
    local: Local, spec_and_headers: tuple[dict[str, Any], dict[str, str]]
) -> None:
    spec, auth = spec_and_headers
    client = local.client
    seen: set[tuple[str, str, int]] = set()

    def call(method: str, template: str, path: str, **kwargs: Any) -> Any:
        headers = {**auth, **kwargs.pop("headers", {})}
        response = client.request(method, path, headers=headers, **kwargs)
        check(spec, method, template, response)
        seen.add((method, template, response.status_code))
        return response

    loader = f"{T}/campaigns/{{campaignId}}/leadLoader/direct"
    loaded = call(
        "POST",
        loader,
        f"{P}/campaigns/7/leadLoader/direct",
        json={
            "uploadLeads": [
                {"externId": "a", "leadPhone": "2125550101", "extendedLeadData": {"k": "v"}},
                {"externId": "b", "leadPhone": "2125550102", "firstName": "B"},
                {"externId": "bad"},
            ],
            "description": "schema",
        },
    ).json()
    first, second = loaded["leadIds"]
    dial = f"{T}/campaignLeads/{{leadId}}/calls"
    attempt = {"uii": "oa-1", "agentId": 4, "systemDisposition": "NOANSWER", "talkTime": 5}
    call("GET", f"{T}/campaigns/{{campaignId}}/dialable", f"{P}/campaigns/7/dialable")
    call("POST", dial, f"{P}/campaignLeads/{first}/calls", json=attempt)
    call("POST", dial, f"{P}/campaignLeads/{first}/calls", json={**attempt, "uii": "oa-2"})
    call("POST", dial, f"{P}/campaignLeads/{first}/calls", json={"uii": "oa-3"})
    call("GET", f"{T}/calls", f"{P}/calls", params={"campaignId": 7, "from": "2020-01-01Z"})
    call("GET", f"{T}/calls", f"{P}/calls", params={"from": "then"})
    call("POST", loader, f"{P}/campaigns/7/leadLoader/direct", json={"uploadLeads": 5})
    call("POST", loader, f"{P}/campaigns/7/leadLoader/direct", json={"uploadLeads": [{}] * 10_001})
    call(
        "POST",
        loader,
        f"{P}/campaigns/7/leadLoader/direct",
        json={"uploadLeads": []},
        headers={"Authorization": "Bearer nope"},
    )

    search = f"{T}/campaignLeads/leadSearch"
    call("POST", search, f"{P}/campaignLeads/leadSearch", json={"campaignIds": [7]})
    call("POST", search, f"{P}/campaignLeads/leadSearch", params={"count": "true"}, json={})
    call("POST", search, f"{P}/campaignLeads/leadSearch", params={"maxRows": 99_999}, json={})

    phones = f"{T}/campaignLeads/leadSearchByPhoneList"
    call(
        "POST",
        phones,
        f"{P}/campaignLeads/leadSearchByPhoneList",
        json={"phoneList": ["2125550101"]},
    )
    call("POST", phones, f"{P}/campaignLeads/leadSearchByPhoneList", json={"phoneList": "x"})

    actions = f"{T}/campaignLeads/actions"
    action_path = f"{P}/campaignLeads/actions"
    for action, params in (
        ("SUPPRESS_LEADS", None),
        ("MOVE_TO_CAMPAIGN", {"CAMPAIGN_ID": 8, "LIST_ID": 0, "LIST_NAME": "n"}),
        ("MANUAL_LEADS", {"PASS_DISPOSITION": "X", "DO_NOT_CALL": True}),
        ("READY_LEADS", None),
        ("MANUAL_LEADS", None),
    ):
        body: dict[str, Any] = {"campaignLeadSearchCriteria": {"leadIds": [first]}}
        if params is not None:
            body["leadActionParams"] = {"paramMap": params}
        call("PUT", actions, action_path, params={"leadAction": action}, json=body)
    call("PUT", actions, action_path, params={"leadAction": "DIALER_REFRESH"})

    states = f"{T}/campaignLeads/leadStates"
    call("GET", states, f"{P}/campaignLeads/leadStates")
    call(
        "GET",
        states,
        f"{PREFIX}/99/campaignLeads/leadStates",
        headers={"Authorization": "Bearer x"},
    )
    call("GET", f"{T}/campaignLeads/systemDispositions", f"{P}/campaignLeads/systemDispositions")

    one = f"{T}/campaignLeads/{{leadId}}"
    call("GET", one, f"{P}/campaignLeads/{first}")
    call("GET", one, f"{P}/campaignLeads/{first}", params={"version": 1})
    call("GET", one, f"{P}/campaignLeads/999999")
    call("GET", one, f"{P}/campaignLeads/{first}", params={"asOf": "then"})
    call("PATCH", one, f"{P}/campaignLeads/{second}", json={"city": "Rome", "maxPasses": 4})
    call("PATCH", one, f"{P}/campaignLeads/{second}", json={"suppressed": True})
    call("PUT", one, f"{P}/campaignLeads/{second}", json={"leadPhone": "2125550102"})
    call(
        "PUT",
        actions,
        action_path,
        params={"leadAction": "DELETE_LEADS"},
        json={"campaignLeadSearchCriteria": {"leadIds": [second]}},
    )
    call("GET", one, f"{P}/campaignLeads/{second}", params={"version": 99})

    settings = f"{T}/campaigns/{{campaignId}}/settings"
    call("GET", settings, f"{P}/campaigns/7/settings")
    call("PUT", settings, f"{P}/campaigns/7/settings", json={"maxPasses": 4, "passDelayMin": 0})
    call("PUT", settings, f"{P}/campaigns/7/settings", json={"maxPasses": 4})

    job = local.app.actions.submit_job(
        ACCOUNT, *wired("READY_LEADS", {}, {"leadIds": [first]}), Meta.now("openapi-test")
    )
    jobs = f"{T}/jobs/{{jobId}}"
    call("GET", jobs, f"{P}/jobs/{job['jobId']}")
    call("GET", jobs, f"{P}/jobs/nope")

    call(
        "PUT",
        actions,
        action_path,
        params={"leadAction": "EMAIL_LEADS"},
        json={
            "campaignLeadSearchCriteria": {"leadIds": [first]},
            "leadActionParams": {"paramMap": {"EMAIL_TO": "ops@example.com"}},
        },
    )
    with local.app.store.read() as cur:
        cur.execute(f"SELECT export_id FROM {local.app.tables['exports']}")
        export_id = cur.fetchone()["export_id"]
    link = f"/exports/{local.app.exports.links.token(export_id, 0)}"
    call("GET", "/exports/{token}", link, headers={"Authorization": ""})
    call("GET", "/exports/{token}", link[:-2] + "xy")

    history = f"{T}/campaignLeads/{{leadId}}/history"
    call("GET", history, f"{P}/campaignLeads/{first}/history")
    call("GET", history, f"{P}/campaignLeads/{second}/history")
    call("GET", history, f"{P}/campaignLeads/999999/history")

    counts = f"{T}/counts"
    assert local.app.read_models.wait_for_projections(local.app.store.max_position(), 30)
    listed = call("GET", counts, f"{P}/counts", params={"campaignId": 8}).json()
    assert listed and {c["campaignId"] for c in listed} == {8}  # the lead moved there
    call("GET", counts, f"{P}/counts", params={"campaignId": 0})
    _, operator = local.app.api_keys.create("*", ["admin"])
    op = {"Authorization": f"Bearer {operator}"}
    call("GET", "/admin/projections", "/admin/projections", headers=op)
    call("GET", "/admin/projections", "/admin/projections")  # a key of one account: 403
    rebuild = "/admin/projections/{name}/rebuild"
    call("POST", rebuild, "/admin/projections/lead_counts/rebuild", headers=op)
    call("POST", rebuild, "/admin/projections/nope/rebuild", headers=op)
    deadline = time.monotonic() + 60
    while any(p["progress"] for p in local.app.read_models.projection_status()):
        assert time.monotonic() < deadline, local.app.read_models.projection_status()
        time.sleep(0.05)

    call("GET", "/me", "/me")
    call("GET", "/voice/api/v1/admin/accounts", "/voice/api/v1/admin/accounts")
    call("GET", "/healthz", "/healthz")
    call("GET", "/readyz", "/readyz")

    operations = {(m.upper(), p) for p, ops in spec["paths"].items() for m in ops}
    succeeded = {(m, p) for m, p, status in seen if status < 300}
    assert succeeded == operations, operations - succeeded
    assert {status for _, _, status in seen} >= {200, 202, 400, 401, 403, 404, 413}
    history = client.get(f"{P}/campaignLeads/{second}/history", headers=auth).json()
    last = history[-1]["version"]
    erased = client.get(
        f"{P}/campaignLeads/{second}", params={"version": last}, headers=auth
    ).json()
    assert erased["deleted"] is True and erased["leadPhone"] == "[erased]"


def test_every_route_and_model_is_described(local: Local) -> None:
    spec = local.client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for key in ("summary", "description", "operationId"):
                assert operation.get(key), f"{method} {path} has no {key}"
    for name, schema in spec["components"]["schemas"].items():
        assert schema.get("description"), f"model {name} has no description"
    assert "BearerAuth" in spec["components"]["securitySchemes"]


def free_form(schema: Any, where: str) -> list[str]:
    """Every place a schema accepts or returns an object (or anything) without naming fields."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    typed = any(k in schema for k in ("type", "$ref", "anyOf", "oneOf", "allOf", "enum", "const"))
    if not typed and where.split(".")[-1] != "components":
        found.append(where)
    if schema.get("type") == "object":
        extra = schema.get("additionalProperties")
        if not schema.get("properties") and not isinstance(extra, dict):
            found.append(where)
    for key, value in schema.items():
        if key in ("properties", "$defs"):
            for name, sub in value.items():
                found += free_form(sub, f"{where}.{name}")
        elif key in ("items", "additionalProperties") and isinstance(value, dict):
            found += free_form(value, f"{where}.{key}")
        elif key in ("anyOf", "oneOf", "allOf"):
            for n, sub in enumerate(value):
                found += free_form(sub, f"{where}.{key}[{n}]")
    return found


def test_no_schema_is_a_free_form_object(local: Local) -> None:
    spec = local.client.get("/openapi.json").json()
    found: list[str] = []
    for name, schema in spec["components"]["schemas"].items():
        found += free_form(schema, name)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                for content in response.get("content", {}).values():
                    found += free_form(content["schema"], f"{method} {path} {status}")
            for content in operation.get("requestBody", {}).get("content", {}).values():
                found += free_form(content["schema"], f"{method} {path} body")
    assert found == []


def test_models_use_the_vendors_json_names(local: Local) -> None:
    schemas = local.client.get("/openapi.json").json()["components"]["schemas"]
    for name, allowed in EXPECTED_NAMES.items():
        properties = set(schemas[name]["properties"])
        assert properties <= allowed, f"{name}: {sorted(properties - allowed)}"
    view = set(schemas["CampaignLeadSearchResultsView"]["properties"])
    assert {"agentDispostion", "agentDisposition", "leadState", "pendingAgentId"} <= view
    lead_states = schemas["LeadState"]["enum"]
    assert "AGENT-CALLBACK" in lead_states and len(lead_states) == 18
    assert set(schemas["LeadActionResult"]["properties"]) >= VENDOR_ACTION_RESULT


def test_the_vendor_operation_ids_and_paths_are_served(local: Local) -> None:
    spec = local.client.get("/openapi.json").json()
    served = {
        op["operationId"]: (method.upper(), path)
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
    }
    assert served["loadDirectLeads"] == ("POST", f"{T}/campaigns/{{campaignId}}/leadLoader/direct")
    assert served["searchForCampaignLeads"] == ("POST", f"{T}/campaignLeads/leadSearch")
    assert served["uploadSearchCriteriaForCampaignLeads"] == (
        "POST",
        f"{T}/campaignLeads/leadSearchByPhoneList",
    )
    assert served["performLeadAction"] == ("PUT", f"{T}/campaignLeads/actions")
    assert served["getLeadStates"] == ("GET", f"{T}/campaignLeads/leadStates")
    assert served["getSystemDispositions"] == ("GET", f"{T}/campaignLeads/systemDispositions")
    assert served["patchCampaignLead"] == ("PATCH", f"{T}/campaignLeads/{{leadId}}")
    assert served["updateCampaignLead"] == ("PUT", f"{T}/campaignLeads/{{leadId}}")
    docs = local.client.get("/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_bulk_job_answer_matches_its_declared_202_schema(
    tmp_path: Path, spec_and_headers: tuple[dict[str, Any], dict[str, str]]
) -> None:
    spec, _ = spec_and_headers
    settings = make_settings("sqlite", tmp_path, bulk_sync_limit=1, run_jobs=False)
    token = "unused"
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        application = open_service(settings)
        try:
            token = application.api_keys.create("*", list(ALL_SCOPES))[1]
        finally:
            application.close()
        auth = {"Authorization": f"Bearer {token}"}
        leads = [
            {"externId": "a", "leadPhone": "2125550111"},
            {"externId": "b", "leadPhone": "2125550112"},
        ]
        loaded = client.post(
            f"{P}/campaigns/7/leadLoader/direct", json={"uploadLeads": leads}, headers=auth
        )
        assert loaded.status_code == 200, loaded.text
        response = client.put(
            f"{P}/campaignLeads/actions",
            params={"leadAction": "PAUSE_LEADS"},
            json={"campaignLeadSearchCriteria": {"campaignIds": [7]}},
            headers=auth,
        )
        assert response.status_code == 202, response.text
        check(spec, "PUT", f"{T}/campaignLeads/actions", response)
        job = client.get(response.headers["Location"], headers=auth)
        assert job.status_code == 200 and job.json()["status"] == "queued"
        check(spec, "GET", f"{T}/jobs/{{jobId}}", job)
