"""The emulator's Table API: CRUD, strings, priority, journal, paging and display values."""

from __future__ import annotations

import re

import httpx
import pytest

from itsmhub_servicenow.emulator import Instance

pytestmark = pytest.mark.anyio
INC = "/api/now/table/incident"


async def _create(client: httpx.AsyncClient, table: str = "incident", **values: object) -> dict:
    response = await client.post(f"/api/now/table/{table}", json=values)
    assert response.status_code == 201, response.text
    return response.json()["result"]


async def test_create_returns_strings_and_system_fields(client: httpx.AsyncClient) -> None:
    record = await _create(client, short_description="VPN down", impact=1, urgency=2, active=True)
    assert re.fullmatch(r"[0-9a-f]{32}", record["sys_id"])
    assert record["number"] == "INC0010001"
    assert record["sys_created_on"] == "2026-03-01 12:00:00"
    assert record["sys_mod_count"] == "0"
    assert (record["impact"], record["urgency"], record["priority"]) == ("1", "2", "2")
    assert record["description"] == ""
    assert all(isinstance(v, str) for k, v in record.items() if not isinstance(v, dict))
    second = await _create(client)
    assert second["number"] == "INC0010002"
    problem = await _create(client, "problem")
    assert problem["number"] == "PRB0040001"


async def test_update_bumps_mod_count_and_updated_on(client: httpx.AsyncClient, clock) -> None:
    record = await _create(client, short_description="Printer jam")
    clock.advance(65)
    response = await client.patch(f"{INC}/{record['sys_id']}", json={"state": "2"})
    assert response.status_code == 200
    updated = response.json()["result"]
    assert updated["sys_mod_count"] == "1"
    assert updated["sys_updated_on"] == "2026-03-01 12:01:05"
    assert updated["sys_created_on"] == "2026-03-01 12:00:00"
    response = await client.put(f"{INC}/{record['sys_id']}", json={"short_description": "x"})
    assert response.json()["result"]["sys_mod_count"] == "2"
    got = (await client.get(f"{INC}/{record['sys_id']}")).json()["result"]
    assert (got["state"], got["short_description"]) == ("2", "x")


@pytest.mark.parametrize(
    ("impact", "urgency", "priority"),
    [
        ("1", "1", "1"),
        ("1", "2", "2"),
        ("2", "1", "2"),
        ("1", "3", "3"),
        ("2", "2", "3"),
        ("3", "1", "3"),
        ("2", "3", "4"),
        ("3", "2", "4"),
        ("3", "3", "5"),
    ],
)
async def test_priority_comes_from_impact_and_urgency(
    client: httpx.AsyncClient, impact: str, urgency: str, priority: str
) -> None:
    record = await _create(client, impact=impact, urgency=urgency, priority="1")
    assert record["priority"] == priority


async def test_priority_is_read_only_on_update(client: httpx.AsyncClient) -> None:
    record = await _create(client, impact="3", urgency="3")
    response = await client.patch(f"{INC}/{record['sys_id']}", json={"priority": "1"})
    assert response.json()["result"]["priority"] == "5"
    response = await client.patch(f"{INC}/{record['sys_id']}", json={"urgency": "1"})
    assert response.json()["result"]["priority"] == "3"


async def test_journal_fields_are_write_only(client: httpx.AsyncClient) -> None:
    record = await _create(client, comments="Hello caller")
    assert record["comments"] == ""
    response = await client.patch(f"{INC}/{record['sys_id']}", json={"work_notes": "internal"})
    assert response.json()["result"]["work_notes"] == ""
    query = f"element_id={record['sys_id']}^ORDERBYsys_created_on"
    rows = await client.get("/api/now/table/sys_journal_field", params={"sysparm_query": query})
    entries = rows.json()["result"]
    assert [(e["element"], e["value"], e["name"]) for e in entries] == [
        ("comments", "Hello caller", "incident"),
        ("work_notes", "internal", "incident"),
    ]
    assert entries[0]["sys_created_by"] == "admin"
    shown = await client.get(f"{INC}/{record['sys_id']}", params={"sysparm_display_value": "true"})
    assert "Hello caller" in shown.json()["result"]["comments"]


async def test_delete_then_missing(client: httpx.AsyncClient) -> None:
    record = await _create(client)
    assert (await client.delete(f"{INC}/{record['sys_id']}")).status_code == 204
    response = await client.get(f"{INC}/{record['sys_id']}")
    assert response.status_code == 404
    assert response.json()["status"] == "failure"
    assert response.json()["error"]["message"] == "No Record found"
    assert (await client.patch(f"{INC}/{'0' * 32}", json={})).status_code == 404


async def test_writes_need_json_content_type(client: httpx.AsyncClient) -> None:
    response = await client.post(INC, content=b"x=1", headers={"Content-Type": "text/plain"})
    assert response.status_code == 400
    assert set(response.json()["error"]) == {"message", "detail"}


async def test_unknown_table_is_an_error(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/now/table/nope")
    assert response.status_code == 400


async def test_fields_projection_ignores_unknown(client: httpx.AsyncClient) -> None:
    await _create(client, short_description="SAP slow")
    params = {"sysparm_fields": "number,short_description,bogus"}
    result = (await client.get(INC, params=params)).json()["result"]
    assert result == [{"number": "INC0010001", "short_description": "SAP slow"}]


async def test_reference_fields(client: httpx.AsyncClient, instance: Instance) -> None:
    user = instance.insert("sys_user", {"user_name": "beth", "name": "Beth Anglin"})
    problem = await _create(client, "problem", short_description="Root cause")
    record = await _create(client, caller_id=user["sys_id"], problem_id=problem["sys_id"])
    assert record["caller_id"] == {
        "link": f"https://acme.service-now.com/api/now/table/sys_user/{user['sys_id']}",
        "value": user["sys_id"],
    }
    assert record["assigned_to"] == ""
    url = f"{INC}/{record['sys_id']}"
    plain = await client.get(url, params={"sysparm_exclude_reference_link": "true"})
    assert plain.json()["result"]["problem_id"] == problem["sys_id"]
    shown = await client.get(url, params={"sysparm_display_value": "true"})
    assert shown.json()["result"]["caller_id"]["display_value"] == "Beth Anglin"
    assert shown.json()["result"]["state"] == "New"
    both = await client.get(url, params={"sysparm_display_value": "all"})
    result = both.json()["result"]
    assert result["problem_id"]["display_value"] == "PRB0040001"
    assert result["problem_id"]["value"] == problem["sys_id"]
    assert "link" in result["problem_id"]
    assert result["priority"] == {"display_value": "5 - Planning", "value": "5"}


async def test_paging_with_link_and_total_count(client: httpx.AsyncClient) -> None:
    for i in range(5):
        await _create(client, short_description=f"n{i}")
    seen: list[str] = []
    url: str | None = f"{INC}?sysparm_limit=2&sysparm_query=ORDERBYnumber"
    while url:
        response = await client.get(url)
        assert response.headers["X-Total-Count"] == "5"
        links = dict(
            (rel, link)
            for link, rel in re.findall(r'<([^>]+)>;rel="(\w+)"', response.headers["Link"])
        )
        assert {"first", "last"} <= set(links)
        seen += [r["number"] for r in response.json()["result"]]
        url = links.get("next")
    assert seen == [f"INC001000{i}" for i in range(1, 6)]
    assert "sysparm_offset=4" in links["last"] and "sysparm_offset=2" in links["prev"]


async def test_no_count_and_limit_cap(client: httpx.AsyncClient) -> None:
    await _create(client)
    response = await client.get(INC, params={"sysparm_no_count": "true", "sysparm_limit": "99999"})
    assert "X-Total-Count" not in response.headers
    assert "sysparm_limit=10000" in response.headers["Link"]


async def test_v1_empty_query_is_404_and_v2_is_empty(client: httpx.AsyncClient) -> None:
    params = {"sysparm_query": "number=INC0000000"}
    v1 = await client.get("/api/now/v1/table/incident", params=params)
    assert v1.status_code == 404 and v1.json()["status"] == "failure"
    v2 = await client.get("/api/now/v2/table/incident", params=params)
    assert (v2.status_code, v2.json()) == (200, {"result": []})
    latest = await client.get(INC, params=params)
    assert latest.status_code == 200


async def test_plain_field_params_filter(client: httpx.AsyncClient) -> None:
    await _create(client, state="2")
    await _create(client, state="1")
    result = (await client.get(INC, params={"state": "2"})).json()["result"]
    assert [r["state"] for r in result] == ["2"]


async def test_stats_count(client: httpx.AsyncClient) -> None:
    await _create(client, impact="1")
    await _create(client, impact="2")
    params = {"sysparm_count": "true", "sysparm_query": "impact=1"}
    response = await client.get("/api/now/stats/incident", params=params)
    assert response.json() == {"result": {"stats": {"count": "1"}}}


async def test_resolving_sets_resolved_at_and_active(client: httpx.AsyncClient, clock) -> None:
    record = await _create(client)
    clock.advance(10)
    response = await client.patch(f"{INC}/{record['sys_id']}", json={"state": 6})
    result = response.json()["result"]
    assert (result["active"], result["resolved_at"]) == ("false", "2026-03-01 12:00:10")


async def test_unknown_paths_and_methods_answer_with_the_error_body(
    client: httpx.AsyncClient,
) -> None:
    missing = await client.get("/api/now/nothing")
    assert missing.status_code == 404 and missing.json()["status"] == "failure"
    wrong = await client.put(INC, json={})
    assert wrong.status_code == 405 and wrong.json()["status"] == "failure"


async def test_a_write_that_changes_nothing_is_not_saved(client: httpx.AsyncClient, clock) -> None:
    record = await _create(client, short_description="same", impact="2")
    clock.advance(30)
    url = f"{INC}/{record['sys_id']}"
    same = (await client.patch(url, json={"short_description": "same", "impact": 2})).json()
    assert (same["result"]["sys_mod_count"], same["result"]["sys_updated_on"]) == (
        "0",
        "2026-03-01 12:00:00",
    )
    noted = (await client.patch(url, json={"work_notes": "looked at it"})).json()
    assert noted["result"]["sys_mod_count"] == "1"


async def test_known_error_article_links_to_its_problem(client: httpx.AsyncClient) -> None:
    problem = await _create(client, "problem", short_description="Mail relay drops")
    article = await _create(
        client,
        "kb_template_known_error_article",
        short_description="Mail relay drops",
        workaround="Resend",
        source_task=problem["sys_id"],
    )
    assert article["number"] == "KB0010001"
    assert article["source_task"]["value"] == problem["sys_id"]


async def test_method_override_header(client: httpx.AsyncClient) -> None:
    record = await _create(client)
    headers = {"X-HTTP-Method-Override": "PATCH"}
    response = await client.post(f"{INC}/{record['sys_id']}", json={"state": "2"}, headers=headers)
    assert response.status_code == 200 and response.json()["result"]["state"] == "2"
