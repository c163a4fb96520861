"""Loader, search, phone-list search, edits, campaign settings and lead views through a
running `leadstate serve` (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.e2e.support import Api, Server, row

pytestmark = pytest.mark.slow

CAMPAIGN = 31


def test_loader_loads_good_rows_and_reports_bad_rows_with_their_reason(api: Api) -> None:
    good = [row(firstName="Ada"), row(firstName="Bob", leadPriority=3)]
    bad = [
        {"leadPhone": "2125550100"},
        row(leadPhone="12-34"),
        row(email="not-an-email"),
        row(leadPriority=10**30),
        "just text",
    ]
    result = api.load(CAMPAIGN, [good[0], *bad, good[1]], description="mixed")
    assert (result["leadsSupplied"], result["leadsAccepted"], result["leadsInserted"]) == (7, 2, 2)
    assert result["processingStatus"] == "DEFAULT_NOT_A_FAILURE"
    reasons = [r["message"] for r in result["rejectedRows"]]
    assert "externId is required" in reasons[0]
    assert "not a phone number" in reasons[1]
    assert "not an email address" in reasons[2]
    assert "leadPriority" in reasons[3]
    assert reasons[4] == "row is not a JSON object"
    assert "leadPhone=2125550100" in result["rejectedRows"][0]["rowData"]
    leads = api.search({"campaignIds": [CAMPAIGN]})
    assert [lead["leadId"] for lead in leads] == result["leadIds"]
    assert [lead["firstName"] for lead in leads] == ["Ada", "Bob"]
    assert {(lead["leadState"], lead["leadPasses"], lead["listDesc"]) for lead in leads} == {
        ("READY", 0, "mixed")
    }


def test_loader_options_pause_prioritise_and_drop_duplicates(api: Api) -> None:
    phone = "3125550100"
    result = api.load(
        CAMPAIGN,
        [row(leadPhone=phone), row(leadPhone=f"+1 {phone}"), row()],
        description="paused",
        listState="PAUSED",
        dialPriority="IMMEDIATE",
        duplicateHandling="REMOVE_FROM_LIST",
    )
    assert (result["leadsInserted"], len(result["rejectedRows"])) == (2, 1)
    assert result["listState"] == "PAUSED"
    leads = api.search({"campaignIds": [CAMPAIGN]})
    assert {(lead["leadState"], lead["leadPriority"]) for lead in leads} == {("PAUSED", 100)}

    again = api.load(
        CAMPAIGN, [row(leadPhone=phone), row()], duplicateHandling="REMOVE_ALL_EXISTING"
    )
    assert again["leadsInserted"] == 1
    assert "already exists" in again["rejectedRows"][0]["message"]

    more = api.load(CAMPAIGN, [row()], listId=result["listId"])
    assert more["listId"] == result["listId"]


def test_a_load_with_nothing_good_reports_no_leads_passed_validation(api: Api) -> None:
    result = api.load(CAMPAIGN, [{"externId": "only"}])
    assert result["processingStatus"] == "NO_LEADS_PASSED_VALIDATION"
    assert result["leadsInserted"] == 0
    assert "listId" not in result, "absent, never null"


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"uploadLeads": [{}], "duplicateHandling": "KEEP"}, "duplicateHandling"),
        ({"uploadLeads": [{}], "timeZoneOption": "ZIPCODE"}, "ZIPCODE"),
        ({"uploadLeads": [{}], "dialPriority": "SOON"}, "dialPriority"),
        ({"uploadLeads": [{}], "listState": "ARCHIVED"}, "listState"),
        ({"uploadLeads": [{}], "listId": 0}, "listId"),
        ({"uploadLeads": "leads"}, "uploadLeads"),
        ({"description": "no leads key"}, "uploadLeads"),
    ],
)
def test_bad_loader_options_are_400_and_load_nothing(
    api: Api, body: dict[str, Any], named: str
) -> None:
    response = api.http.post(api.path(f"/campaigns/{CAMPAIGN}/leadLoader/direct"), json=body)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]["message"]
    assert api.count({"campaignIds": [CAMPAIGN]}) == 0


def test_loading_into_a_list_of_another_campaign_is_404(api: Api) -> None:
    list_id = api.load(CAMPAIGN, [row()])["listId"]
    response = api.http.post(
        api.path(f"/campaigns/{CAMPAIGN + 1}/leadLoader/direct"),
        json={"uploadLeads": [row()], "listId": list_id},
    )
    assert response.status_code == 404
    assert api.count({"campaignIds": [CAMPAIGN + 1]}) == 0


def test_more_leads_than_the_server_takes_is_413(api: Api) -> None:
    response = api.http.post(
        api.path(f"/campaigns/{CAMPAIGN}/leadLoader/direct"),
        json={"uploadLeads": [{}] * 10_001},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_a_body_above_16_mb_is_413(api: Api) -> None:
    body = json.dumps({"uploadLeads": [], "description": "x" * (16 * 1024 * 1024)})
    response = api.http.post(
        api.path(f"/campaigns/{CAMPAIGN}/leadLoader/direct"),
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_ten_thousand_leads_load_in_one_request(api: Api) -> None:
    result = api.load(CAMPAIGN, [row() for _ in range(10_000)], description="big")
    assert result["leadsInserted"] == 10_000
    assert api.count({"campaignIds": [CAMPAIGN]}) == 10_000


def test_search_pages_by_lead_id_and_counts(api: Api) -> None:
    ids = api.load(CAMPAIGN, [row() for _ in range(25)])["leadIds"]
    criteria = {"campaignIds": [CAMPAIGN]}
    pages = [api.search(criteria, page=p, maxRows=10) for p in range(4)]
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    assert [lead["leadId"] for page in pages for lead in page] == sorted(ids)
    assert api.count(criteria) == 25
    assert api.count({"campaignIds": [CAMPAIGN + 99]}) == 0
    default_page = api.search(criteria)
    assert len(default_page) == 25
    newest_first = api.search(criteria, sort="-leadId", maxRows=3)
    assert [lead["leadId"] for lead in newest_first] == sorted(ids, reverse=True)[:3]


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"maxRows": 10_001}, "maxRows"),
        ({"maxRows": 0}, "maxRows"),
        ({"page": -1}, "page"),
        ({"page": "first"}, "page"),
        ({"count": "maybe"}, "count"),
        ({"sort": "favouriteColour"}, "favouriteColour"),
    ],
)
def test_bad_search_parameters_are_400(api: Api, params: dict[str, Any], named: str) -> None:
    response = api.search_response({"campaignIds": [CAMPAIGN]}, **params)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("criteria", "named"),
    [
        ({"leadIds": "7"}, "leadIds"),
        ({"campaignIds": [1.5]}, "campaignIds[0]"),
        ({"suppressed": "SOMETIMES"}, "suppressed"),
        ({"leadPassesCriteria": {"value": 1}}, "leadPassesCriteria.operator"),
        ({"loadedDtsStart": "yesterday"}, "loadedDtsStart"),
        ({"firstName": {"first": "A"}}, "firstName"),
        ([1, 2], "request body"),
    ],
)
def test_bad_search_criteria_are_400_naming_the_field(api: Api, criteria: Any, named: str) -> None:
    response = api.search_response(criteria)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]["message"]


def test_malformed_json_is_400(api: Api) -> None:
    response = api.http.post(
        api.path("/campaignLeads/leadSearch"),
        content=b'{"campaignIds": [',
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]["message"]


def test_text_a_database_cannot_store_is_400(api: Api) -> None:
    for body in (
        b'{"uploadLeads": [{"externId": "a\\u0000b", "leadPhone": "2125550100"}]}',
        b'{"uploadLeads": [{"externId": "\\ud800", "leadPhone": "2125550100"}]}',
    ):
        response = api.http.post(
            api.path(f"/campaigns/{CAMPAIGN}/leadLoader/direct"),
            content=body,
            headers={"Content-Type": "application/json"},
        )
        assert response.status_code == 400, response.text
    paired = api.load(CAMPAIGN, [row(firstName="smile \U0001f600")])
    assert paired["leadsInserted"] == 1
    assert api.search({"campaignIds": [CAMPAIGN]})[0]["firstName"] == "smile \U0001f600"


def test_search_by_phone_list_as_json_or_multipart(api: Api) -> None:
    phones = ["2125550101", "2125550102", "2125550103"]
    ids = api.load(CAMPAIGN, [row(leadPhone=p) for p in phones])["leadIds"]
    other = api.load(CAMPAIGN + 1, [row(leadPhone=phones[0])])["leadIds"]
    url = api.path("/campaignLeads/leadSearchByPhoneList")

    by_json = api.http.post(url, json={"phoneList": ["(212) 555-0101", "1-212-555-0102"]})
    assert by_json.status_code == 200, by_json.text
    assert [lead["leadId"] for lead in by_json.json()] == [ids[0], ids[1], other[0]]

    scoped = api.http.post(url, json={"phoneList": [phones[0]], "campaignIds": [CAMPAIGN]})
    assert [lead["leadId"] for lead in scoped.json()] == [ids[0]]

    file = ("phones.txt", b"phone\r\n212-555-0103\r\n\r\n+1 212 555 0101\r\n", "text/plain")
    request = httpx.Request(
        "POST",
        f"{api.http.base_url}{url}",
        files={"file": file},
        headers=dict(api.http.headers),
    )
    request.headers["Content-Type"] = "application/json"  # as the vendor SDK sends it
    by_file = api.http.send(request)
    assert by_file.status_code == 200, by_file.text
    assert [lead["leadId"] for lead in by_file.json()] == [ids[0], ids[2], other[0]]

    for bad in ({"phoneList": []}, {"phoneList": ["call me"]}, {"phones": [phones[0]]}):
        response = api.http.post(url, json=bad)
        assert response.status_code == 400, (bad, response.text)


def test_patch_edits_sent_fields_and_put_replaces_contact_data(api: Api) -> None:
    lead_id = api.load(CAMPAIGN, [row(firstName="Ann", city="Oslo", zip="0150")])["leadIds"][0]
    url = api.path(f"/campaignLeads/{lead_id}")
    patched = api.http.patch(
        url,
        params={"campaignId": CAMPAIGN},
        json={"firstName": "Anna", "zip": 150, "leadPriority": 5},
    )
    assert patched.status_code == 200, patched.text
    body = patched.json()
    assert (body["firstName"], body["city"], body["zip"], body["leadPriority"]) == (
        "Anna",
        "Oslo",
        "150",
        5,
    )
    put = api.http.put(url, json={"firstName": "Annie", "leadPhone": body["leadPhone"]})
    assert put.status_code == 200, put.text
    assert put.json()["firstName"] == "Annie" and "city" not in put.json()
    assert api.search({"leadIds": [lead_id]})[0]["firstName"] == "Annie"


@pytest.mark.parametrize(
    ("body", "params", "status"),
    [
        ({"leadState": "READY"}, {}, 400),
        ({"leadPasses": 0}, {}, 400),
        ({"suppressed": False}, {}, 400),
        ({"leadId": 5}, {}, 400),
        ({"maxPasses": 0}, {}, 400),
        ({"leadPriority": "high"}, {}, 400),
        ({"leadPriority": None}, {}, 400),
        ({"leadPriority": 2**31}, {}, 400),
        ({"extendedLeadData": "x"}, {}, 400),
        ({"firstName": "X"}, {"campaignId": 99_999}, 404),
    ],
)
def test_bad_edits_are_rejected_and_change_nothing(
    api: Api, body: dict[str, Any], params: dict[str, Any], status: int
) -> None:
    lead_id = api.load(CAMPAIGN, [row(firstName="Keep")])["leadIds"][0]
    before = api.lead(lead_id)
    response = api.http.patch(api.path(f"/campaignLeads/{lead_id}"), json=body, params=params)
    assert response.status_code == status, response.text
    assert api.lead(lead_id) == before


def test_editing_an_unknown_lead_is_404(api: Api) -> None:
    response = api.http.patch(api.path("/campaignLeads/2000000000"), json={"firstName": "X"})
    assert response.status_code == 404


def test_a_lead_can_be_read_now_or_at_an_earlier_version(api: Api) -> None:
    lead_id = api.load(CAMPAIGN, [row(firstName="First")])["leadIds"][0]
    loaded_at = datetime.now(UTC).isoformat()
    api.act("CANCEL_LEADS", {"leadIds": [lead_id]})
    assert api.lead(lead_id)["leadState"] == "CANCELLED"
    first = api.http.get(api.path(f"/campaignLeads/{lead_id}"), params={"version": 1}).json()
    assert (first["leadState"], first["version"], first["firstName"]) == ("READY", 1, "First")
    as_of = api.http.get(api.path(f"/campaignLeads/{lead_id}"), params={"asOf": loaded_at})
    assert as_of.json()["leadState"] == "READY"
    bad = api.http.get(api.path(f"/campaignLeads/{lead_id}"), params={"asOf": "noon"})
    assert bad.status_code == 400
    assert api.http.get(api.path("/campaignLeads/2000000000")).status_code == 404
    assert api.http.get(api.path("/campaignLeads/abc")).status_code == 400


def test_campaign_settings_default_then_change(api: Api) -> None:
    url = api.path(f"/campaigns/{CAMPAIGN}/settings")
    assert api.http.get(url).json() == {"campaignId": CAMPAIGN, "maxPasses": 3, "passDelayMin": 60}
    changed = api.http.put(url, json={"maxPasses": 5, "passDelayMin": "15"})
    assert changed.status_code == 200, changed.text
    assert api.http.get(url).json() == {"campaignId": CAMPAIGN, "maxPasses": 5, "passDelayMin": 15}
    for bad in ({"maxPasses": 0, "passDelayMin": 1}, {"maxPasses": 2}, {"maxPasses": "many"}):
        response = api.http.put(url, json=bad)
        assert response.status_code == 400, (bad, response.text)
    assert api.http.get(url).json()["maxPasses"] == 5


def test_lead_states_and_system_dispositions_are_the_vendor_lists(api: Api) -> None:
    states = api.http.get(api.path("/campaignLeads/leadStates")).json()
    assert "AGENT-CALLBACK" in states and len(states) == 18
    dispositions = api.http.get(api.path("/campaignLeads/systemDispositions")).json()
    assert "MANUAL_PASS" in dispositions and len(dispositions) == 17


def test_unknown_routes_and_methods_answer_json_errors(api: Api, server: Server) -> None:
    missing = api.http.get(api.path("/nothing/here"))
    assert (missing.status_code, missing.json()["error"]["code"]) == (404, "not_found")
    outside = httpx.get(f"{server.base_url}/voice/api/v2/whatever")
    assert outside.status_code == 404
    assert outside.json() == missing.json()
    wrong = api.http.delete(api.path("/campaignLeads/leadStates"))
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")


def test_probes_need_no_token_and_show_no_data(server: Server) -> None:
    assert httpx.get(f"{server.base_url}/healthz").json() == {"status": "ok"}
    assert httpx.get(f"{server.base_url}/readyz").json() == {"status": "ready"}
