"""Every vendor operation's responses, success and error paths, validated against the
vendor's own schemas (`vendor/engage-voice-leads-openapi.json`) on both backends.

Exactly SPEC §6's deliberate differences are applied, nothing else:
- times are ISO-8601 strings, not the vendor's `DateTime` objects;
- `leadSearch` answers an array of `CampaignLeadSearchResultsView` (the file: "object");
- a selection above the bulk limit answers 202 (its body is still a `LeadActionResult`);
- `timeZoneOption` may read `COUNTRY` in a load result;
- error bodies are ours (the vendor declares none): they are checked against our own
  `ErrorResponse` instead.
Extension fields need no difference: the vendor's schemas do not forbid additional
properties. And, SPEC §6 "Absent fields": no `null` anywhere in a vendor response.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator, FormatChecker

from tests.e2e.support import Api, Server, create_key, row, unique_phone

pytestmark = pytest.mark.slow

VENDOR = json.loads(
    (Path(__file__).parent / "vendor" / "engage-voice-leads-openapi.json").read_text("utf-8")
)
CAMPAIGN = 51
COPIES = 52


def _with_differences(document: dict[str, Any]) -> dict[str, Any]:
    """The vendor's components with SPEC §6's type-level differences applied."""
    components = copy.deepcopy(document["components"])
    schemas = components["schemas"]
    schemas["DateTime"] = {"type": "string", "format": "date-time"}
    options = schemas["LeadListProcessingResult"]["properties"]["timeZoneOption"]["enum"]
    options.append("COUNTRY")
    return components


COMPONENTS = _with_differences(VENDOR)
OPERATIONS = {
    op["operationId"]: (method.upper(), path)
    for path, ops in VENDOR["paths"].items()
    for method, op in ops.items()
}

formats = FormatChecker()


@formats.checks("int32")
def _int32(value: object) -> bool:
    return not isinstance(value, int) or -(2**31) <= value < 2**31


@formats.checks("int64")
def _int64(value: object) -> bool:
    return not isinstance(value, int) or -(2**63) <= value < 2**63


@formats.checks("date-time", raises=ValueError)
def _date_time(value: object) -> bool:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value)
        if parsed.tzinfo is None:
            raise ValueError(f"{value!r} has no offset")
    return True


def vendor_schema(operation: str, status: int, *, rows: bool) -> dict[str, Any]:
    """The schema the vendor declares for `operation`'s success answer, differences applied
    (`rows`: a search answering rows rather than `count=true`'s object)."""
    method, path = OPERATIONS[operation]
    responses = VENDOR["paths"][path][method.lower()]["responses"]
    if operation == "searchForCampaignLeads" and rows:
        return {
            "type": "array",
            "items": {"$ref": "#/components/schemas/CampaignLeadSearchResultsView"},
        }
    declared = responses.get(str(status)) or (responses["200"] if status == 202 else None)
    assert declared is not None, f"{operation} declares no {status}"
    return declared["content"]["application/json"]["schema"]  # type: ignore[no-any-return]


def nulls(value: Any, where: str = "") -> list[str]:
    """Where `value` holds a JSON null."""
    if value is None:
        return [where or "(body)"]
    if isinstance(value, dict):
        return [n for k, v in value.items() for n in nulls(v, f"{where}.{k}")]
    if isinstance(value, list):
        return [n for i, v in enumerate(value) for n in nulls(v, f"{where}[{i}]")]
    return []


class Checker:
    """Collects every vendor response and what is wrong with it."""

    def __init__(self, ours: dict[str, Any]) -> None:
        self.ours = ours
        self.seen: set[tuple[str, int]] = set()
        self.failures: list[str] = []

    def check(self, operation: str, response: httpx.Response) -> Any:
        """Validate one response; its JSON body."""
        status = response.status_code
        self.seen.add((operation, status))
        body = response.json()
        if status >= 400:
            schema = {"$ref": "#/components/schemas/ErrorResponse", **self.ours}
            errors = list(Draft202012Validator(schema).iter_errors(body))
        else:
            schema = {
                **vendor_schema(operation, status, rows=isinstance(body, list)),
                "components": COMPONENTS,
            }
            errors = list(Draft202012Validator(schema, format_checker=formats).iter_errors(body))
            errors += [f"null at {n}" for n in nulls(body)]  # type: ignore[misc]
        for error in errors:
            text = error if isinstance(error, str) else f"{error.json_path}: {error.message}"
            self.failures.append(f"{operation} {status}: {text}")
        return body


@pytest.fixture
def checker(api: Api) -> Iterator[Checker]:
    ours = api.http.get("/openapi.json").json()
    yield Checker({"components": ours["components"]})


def test_every_vendor_operation_answers_what_the_vendors_schemas_declare(
    api: Api, server: Server, checker: Checker
) -> None:
    http, p = api.http, api.path
    check = checker.check
    loader = p(f"/campaigns/{CAMPAIGN}/leadLoader/direct")
    phone = unique_phone()
    rows = [
        row(firstName="Émile", lastName="Ødegård", leadPhone=phone, city="Oslo", state="NY"),
        row(leadTimezone="America/New_York", maxPasses=5, leadPriority=2, auxData3="x"),
        row(extendedLeadData={"plan": "gold"}, email="a@example.com"),
        {"externId": "no phone"},
    ]
    loaded = check("loadDirectLeads", http.post(loader, json={"uploadLeads": rows}))
    ids = loaded["leadIds"]
    for options in (
        {"duplicateHandling": "REMOVE_ALL_EXISTING", "timeZoneOption": "EXPLICIT"},
        {"listState": "PAUSED", "dialPriority": "IMMEDIATE", "description": "paused"},
        {"timeZoneOption": "NOT_APPLICABLE", "duplicateHandling": "REMOVE_FROM_LIST"},
    ):
        check(
            "loadDirectLeads",
            http.post(loader, json={"uploadLeads": [row(leadPhone=phone)], **options}),
        )
    check("loadDirectLeads", http.post(loader, json={"uploadLeads": ["bad"]}))
    check("loadDirectLeads", http.post(loader, json={"uploadLeads": [], "duplicateHandling": "X"}))
    check("loadDirectLeads", http.post(loader, json={"uploadLeads": [row()], "listId": 2**30}))

    act = p("/campaignLeads/actions")
    by_ids = {"leadIds": ids}

    def action(name: str, criteria: Any, params: Any = None) -> Any:
        body: dict[str, Any] = {"campaignLeadSearchCriteria": criteria}
        if params is not None:
            body["leadActionParams"] = {"paramMap": params}
        return check("performLeadAction", http.put(act, params={"leadAction": name}, json=body))

    action("MANUAL_LEADS", {"leadIds": ids[:1]}, {"PASS_DISPOSITION": "SALE", "REQUEUE": "true"})
    action(
        "CALLBACK_LEADS", {"leadIds": ids[1:2]}, {"ACTION_TYPE": "AGENT", "RESERVATION_AGENT_ID": 4}
    )
    action("AGENT_RESERVATION", {"leadIds": ids[2:]}, {"RESERVATION_AGENT_ID": "9"})
    action("SUPPRESS_LEADS", {"leadIds": ids[2:]})
    action(
        "MOVE_TO_CAMPAIGN",
        {"leadIds": ids[:1]},
        {
            "CAMPAIGN_ID": COPIES,
            "LIST_ID": 0,
            "LIST_NAME": "copies",
            "CREATE_COPY_SETTING": "TRANSITION",
        },
    )
    action("READY_LEADS", by_ids)  # the transitioned original is skipped: errorMessage
    action("RESET_LEADS", {"campaignIds": [CAMPAIGN], "leadStates": ["READY"]})
    action("DIALER_REFRESH", None)
    action("EMAIL_LEADS", {"leadIds": ids[1:2]}, {"EMAIL_TO": "ops@example.com"})
    action("CANCEL_LEADS", {"leadIds": ids[1:2]})
    action("CANCEL_LEADS", {})
    action("MANUAL_LEADS", by_ids, {"REQUEUE": True})
    check("performLeadAction", http.put(act, params={"leadAction": "NOPE"}, json={}))

    search = p("/campaignLeads/leadSearch")
    found = check(
        "searchForCampaignLeads", http.post(search, json={"campaignIds": [CAMPAIGN, COPIES]})
    )
    assert len(found) >= 4
    check(
        "searchForCampaignLeads",
        http.post(search, json={"campaignIds": [CAMPAIGN]}, params={"count": "true"}),
    )
    check(
        "searchForCampaignLeads",
        http.post(search, json={"firstName": "ÉMILE"}, params={"page": 1, "maxRows": 1}),
    )
    check("searchForCampaignLeads", http.post(search, json={"leadStates": ["NOPE"]}))
    check("searchForCampaignLeads", http.post(search, json={}, params={"maxRows": 10**6}))

    by_phone = p("/campaignLeads/leadSearchByPhoneList")
    check(
        "uploadSearchCriteriaForCampaignLeads",
        http.post(by_phone, json={"phoneList": [phone], "campaignIds": [CAMPAIGN]}),
    )
    check(
        "uploadSearchCriteriaForCampaignLeads", http.post(by_phone, json={"phoneList": ["call me"]})
    )

    check("getLeadStates", http.get(p("/campaignLeads/leadStates")))
    check("getSystemDispositions", http.get(p("/campaignLeads/systemDispositions")))

    lead = p(f"/campaignLeads/{ids[2]}")
    check("patchCampaignLead", http.patch(lead, json={"firstName": "Zoë", "maxPasses": 2}))
    check("patchCampaignLead", http.patch(lead, json={"leadState": "READY"}))
    check("patchCampaignLead", http.patch(p("/campaignLeads/2000000000"), json={"city": "X"}))
    check("updateCampaignLead", http.put(lead, json={"leadPhone": unique_phone(), "title": "Dr"}))
    check("updateCampaignLead", http.put(lead, json={"campaignId": 3}))
    check(
        "updateCampaignLead",
        http.put(
            lead, params={"duplicateHandling": "REMOVE_ALL_EXISTING"}, json={"leadPhone": phone}
        ),
    )

    outsider = create_key(
        server.env, str(api.account + 1), "leads:read", "leads:write", cwd=server.cwd
    )
    stranger = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {outsider}"}
    )
    with stranger:
        check("searchForCampaignLeads", stranger.post(search, json={}))
        check("loadDirectLeads", stranger.post(loader, json={"uploadLeads": [row()]}))
    anonymous = httpx.Client(base_url=server.base_url)
    with anonymous:
        for operation, (method, path) in OPERATIONS.items():
            concrete = (
                path.replace("{accountId}", str(api.account))
                .replace("{campaignId}", "1")
                .replace("{leadId}", "1")
            )
            check(operation, anonymous.request(method, concrete, json={}))
    reader = create_key(server.env, str(api.account), "leads:read", cwd=server.cwd)
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {reader}"}
    ) as read_only:
        check(
            "performLeadAction",
            read_only.put(
                act,
                params={"leadAction": "CANCEL_LEADS"},
                json={"campaignLeadSearchCriteria": by_ids},
            ),
        )

    assert checker.failures == []
    succeeded = {op for op, status in checker.seen if status < 300}
    assert succeeded == set(OPERATIONS), set(OPERATIONS) - succeeded
    failed = {status for _, status in checker.seen if status >= 400}
    assert failed >= {400, 401, 403, 404, 409}


def test_a_bulk_job_answers_202_with_a_vendor_lead_action_result(
    tmp_path: Path,
) -> None:
    from tests.e2e.support import ALL_SCOPES, new_account, server_env, start_server

    env = server_env(str(tmp_path / "bulk.db"), LEADSTATE_BULK_SYNC_LIMIT="2")
    token = create_key(env, "*", *ALL_SCOPES, cwd=tmp_path)
    server = start_server(env, tmp_path)
    try:
        api = Api(server.base_url, token, new_account())
        ours = api.http.get("/openapi.json").json()
        checker = Checker({"components": ours["components"]})
        ids = api.load(CAMPAIGN, [row() for _ in range(5)])["leadIds"]
        answer = checker.check(
            "performLeadAction",
            api.action_response("SUPPRESS_LEADS", {"leadIds": ids}),
        )
        assert (answer["jobId"], checker.seen) == (
            answer["job"]["jobId"],
            {("performLeadAction", 202)},
        )
        assert checker.failures == []
        api.close()
    finally:
        server.stop()
