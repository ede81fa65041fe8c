"""Issues as Jira keeps them: creates (one or fifty) and their refusals, edits,
workflow transitions, comments and visibility, links, remote links, properties."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from itsmhub_jira.adf import to_adf
from itsmhub_jira.emulator import Site

API = "/rest/api/3"


def new(summary: str = "VPN down", **fields: Any) -> dict[str, Any]:
    base = {"project": {"key": "OPS"}, "issuetype": {"name": "Incident"}, "summary": summary}
    return {"fields": {**base, **fields}}


@pytest.mark.anyio
async def test_a_create_answers_ids_and_stamps_defaults(site: Site, api: httpx.AsyncClient) -> None:
    made = await api.post(
        f"{API}/issue",
        json={
            **new(labels=["vpn"]),
            "properties": [{"key": "itsmhub", "value": {"marker": "01J"}}],
        },
    )
    assert made.status_code == 201 and set(made.json()) == {"id", "key", "self"}
    issue = (
        await api.get(f"{API}/issue/{made.json()['key'].lower()}", params={"properties": "itsmhub"})
    ).json()
    fields = issue["fields"]
    assert fields["priority"]["name"] == "Medium" and fields["status"]["name"] == "Open"
    assert fields["reporter"]["accountId"] == site.api_user.account_id
    assert fields["created"].endswith("+0000") and issue["properties"] == {
        "itsmhub": {"marker": "01J"}
    }


@pytest.mark.anyio
async def test_refusals_name_each_field(api: httpx.AsyncClient) -> None:
    bad = await api.post(
        f"{API}/issue",
        json=new(
            "",
            description="plain text",
            labels=["a b"],
            components=[{"name": "Nope"}],
            priority={"name": "Urgent"},
            customfield_10052={"value": "Nope"},
            assignee={"accountId": "nobody"},
            status={"name": "Closed"},
        ),
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {
        "summary": "You must specify a summary of the issue.",
        "description": "Operation value must be an Atlassian Document (see ADF).",
        "labels": "The label can't contain spaces.",
        "components": "Component name 'Nope' is not valid",
        "priority": "Specify the Priority (id or name) in the string format",
        "customfield_10052": "Option value 'Nope' is not valid",
        "assignee": "Specify a valid value for assignee",
        "status": "Field 'status' cannot be set. It is not on the appropriate screen, or unknown.",
    }
    missing = await api.post(f"{API}/issue", json={"fields": {"project": {"key": "NOPE"}}})
    assert missing.json()["errors"] == {"project": "Specify a valid project ID or key"}
    gone = await api.get(f"{API}/issue/OPS-999")
    assert gone.status_code == 404 and gone.json()["errorMessages"] == [
        "Issue does not exist or you do not have permission to see it."
    ]


@pytest.mark.anyio
async def test_bulk_create_caps_at_fifty_and_answers_per_element(api: httpx.AsyncClient) -> None:
    mixed = await api.post(
        f"{API}/issue/bulk", json={"issueUpdates": [new("a"), new(""), new("c")]}
    )
    assert mixed.status_code == 201
    body = mixed.json()
    assert [i["key"] for i in body["issues"]] == ["OPS-1", "OPS-2"]
    assert body["errors"] == [
        {
            "status": 400,
            "failedElementNumber": 1,
            "elementErrors": {
                "errorMessages": [],
                "errors": {"summary": "You must specify a summary of the issue."},
            },
        }
    ]
    none = await api.post(f"{API}/issue/bulk", json={"issueUpdates": [new("")]})
    assert none.status_code == 400 and none.json()["issues"] == []
    over = await api.post(f"{API}/issue/bulk", json={"issueUpdates": [new()] * 51})
    assert over.status_code == 400
    assert "limit of 50" in over.json()["errors"][0]["elementErrors"]["errorMessages"][0]


@pytest.mark.anyio
async def test_edits_stamp_only_real_changes(site: Site, api: httpx.AsyncClient) -> None:
    key = (await api.post(f"{API}/issue", json=new())).json()["key"]
    issue = site.issue(key)
    before = issue.updated
    same = await api.put(f"{API}/issue/{key}", json={"fields": {"summary": "VPN down"}})
    assert same.status_code == 204 and issue.updated == before and issue.changelog == []
    back = await api.put(
        f"{API}/issue/{key}",
        params={"returnIssue": "true"},
        json={"fields": {"summary": "VPN flaps"}, "update": {"labels": [{"add": "x"}]}},
    )
    assert back.status_code == 200 and back.json()["fields"]["summary"] == "VPN flaps"
    assert back.json()["fields"]["labels"] == ["x"] and issue.updated > before
    log = (await api.get(f"{API}/issue/{key}/changelog")).json()
    assert log["total"] == 1 and {i["field"] for i in log["values"][0]["items"]} == {
        "summary",
        "labels",
    }


@pytest.mark.anyio
async def test_transitions_follow_the_workflow_and_the_resolution(api: httpx.AsyncClient) -> None:
    key = (await api.post(f"{API}/issue", json=new())).json()["key"]
    offered = (
        await api.get(f"{API}/issue/{key}/transitions", params={"expand": "transitions.fields"})
    ).json()["transitions"]
    by_name = {t["name"]: t for t in offered}
    assert set(by_name) == {"Start work", "Pending", "Resolve", "Cancel"}
    assert by_name["Resolve"]["fields"]["resolution"]["required"] is True
    close = await api.post(f"{API}/issue/{key}/transitions", json={"transition": {"id": "51"}})
    assert close.status_code == 400  # Close is offered from Completed only
    unresolved = await api.post(f"{API}/issue/{key}/transitions", json={"transition": {"id": "41"}})
    assert unresolved.json()["errors"] == {"resolution": "Resolution is required."}
    done = await api.post(
        f"{API}/issue/{key}/transitions",
        json={"transition": {"id": "41"}, "fields": {"resolution": {"name": "Duplicate"}}},
    )
    assert done.status_code == 204
    fields = (await api.get(f"{API}/issue/{key}")).json()["fields"]
    assert fields["status"]["name"] == "Completed" and fields["resolution"]["name"] == "Duplicate"
    assert fields["resolutiondate"] is not None
    await api.post(f"{API}/issue/{key}/transitions", json={"transition": {"id": "71"}})
    fields = (await api.get(f"{API}/issue/{key}")).json()["fields"]
    assert fields["resolution"] is None and fields["resolutiondate"] is None


@pytest.mark.anyio
async def test_comments_keep_their_visibility(api: httpx.AsyncClient) -> None:
    key = (await api.post(f"{API}/issue", json=new())).json()["key"]
    note = {
        "body": to_adf("agents only"),
        "properties": [{"key": "sd.public.comment", "value": {"internal": True}}],
    }
    internal = (await api.post(f"{API}/issue/{key}/comment", json=note)).json()
    public = (await api.post(f"{API}/issue/{key}/comment", json={"body": to_adf("hi")})).json()
    role = {"body": to_adf("ops"), "visibility": {"type": "role", "value": "Developers"}}
    restricted = (await api.post(f"{API}/issue/{key}/comment", json=role)).json()
    assert (internal["jsdPublic"], public["jsdPublic"]) == (False, True)
    assert restricted["visibility"] == {"type": "role", "value": "Developers"}
    empty = await api.post(
        f"{API}/issue/{key}/comment", json={"body": {"type": "doc", "version": 1, "content": []}}
    )
    assert empty.json()["errors"] == {"comment": "Comment body can not be empty!"}
    edited = await api.put(
        f"{API}/issue/{key}/comment/{public['id']}", json={"body": to_adf("hello")}
    )
    assert edited.status_code == 200 and edited.json()["updated"] >= edited.json()["created"]
    page = (
        await api.get(f"{API}/issue/{key}/comment", params={"orderBy": "-created", "maxResults": 2})
    ).json()
    assert page["total"] == 3 and page["comments"][0]["id"] == restricted["id"]
    one = await api.get(f"{API}/issue/{key}/comment/{internal['id']}")
    assert one.json()["body"]["content"][0]["content"][0]["text"] == "agents only"


@pytest.mark.anyio
async def test_issue_links_read_from_both_ends(api: httpx.AsyncClient) -> None:
    incident = (await api.post(f"{API}/issue", json=new())).json()["key"]
    problem = (
        await api.post(f"{API}/issue", json=new("root", issuetype={"name": "Problem"}))
    ).json()["key"]
    body = {
        "type": {"name": "Problem/Incident"},
        "inwardIssue": {"key": incident},
        "outwardIssue": {"key": problem},
    }
    first = await api.post(f"{API}/issueLink", json=body)
    again = await api.post(f"{API}/issueLink", json=body)
    assert first.status_code == again.status_code == 201 and first.content == b""
    on_incident = (await api.get(f"{API}/issue/{incident}")).json()["fields"]["issuelinks"]
    on_problem = (await api.get(f"{API}/issue/{problem}")).json()["fields"]["issuelinks"]
    assert len(on_incident) == 1 and on_incident[0]["inwardIssue"]["key"] == problem
    assert on_problem[0]["outwardIssue"]["key"] == incident
    link = (await api.get(f"{API}/issueLink/{on_incident[0]['id']}")).json()
    assert link["type"]["outward"] == "causes"
    assert (await api.delete(f"{API}/issueLink/{link['id']}")).status_code == 204
    assert (await api.delete(f"{API}/issueLink/{link['id']}")).status_code == 404
    wrong = await api.post(f"{API}/issueLink", json={**body, "type": {"name": "Causes"}})
    assert wrong.status_code == 404
    types = (await api.get(f"{API}/issueLinkType")).json()["issueLinkTypes"]
    assert "Problem/Incident" in {t["name"] for t in types}


@pytest.mark.anyio
async def test_remote_links_upsert_by_global_id(site: Site, api: httpx.AsyncClient) -> None:
    key = (await api.post(f"{API}/issue", json=new())).json()["key"]
    link = {"globalId": "system=x&id=1", "object": {"url": "https://x/1", "title": "PRB1"}}
    made = await api.post(f"{API}/issue/{key}/remotelink", json=link)
    again = await api.post(
        f"{API}/issue/{key}/remotelink",
        json={**link, "object": {"url": "https://x/1", "title": "PRB1!"}},
    )
    assert (made.status_code, again.status_code) == (201, 200)
    assert made.json()["id"] == again.json()["id"]
    listed = (await api.get(f"{API}/issue/{key}/remotelink")).json()
    assert [x["object"]["title"] for x in listed] == ["PRB1!"]
    one = await api.get(f"{API}/issue/{key}/remotelink", params={"globalId": "system=x&id=1"})
    assert one.json()["globalId"] == "system=x&id=1"
    untitled = await api.post(f"{API}/issue/{key}/remotelink", json={"object": {"url": "u"}})
    assert untitled.json()["errors"] == {"title": "'title' is required."}
    gone = await api.delete(f"{API}/issue/{key}/remotelink", params={"globalId": "system=x&id=1"})
    assert gone.status_code == 204 and (await api.get(f"{API}/issue/{key}/remotelink")).json() == []
    other = (await api.post(f"{API}/issue/{key}/remotelink", json=link)).json()
    assert (await api.delete(f"{API}/issue/{key}/remotelink/{other['id']}")).status_code == 204


@pytest.mark.anyio
async def test_properties_do_not_move_updated(site: Site, api: httpx.AsyncClient) -> None:
    key = (await api.post(f"{API}/issue", json=new())).json()["key"]
    before = site.issue(key).updated
    made = await api.put(f"{API}/issue/{key}/properties/itsmhub", json={"links": []})
    replaced = await api.put(f"{API}/issue/{key}/properties/itsmhub", json={"links": [1]})
    assert (made.status_code, replaced.status_code) == (201, 200)
    assert (await api.get(f"{API}/issue/{key}/properties/itsmhub")).json() == {
        "key": "itsmhub",
        "value": {"links": [1]},
    }
    assert (await api.get(f"{API}/issue/{key}/properties/other")).status_code == 404
    assert site.issue(key).updated == before
