"""Search as Jira answers it: bounded queries, ids by default, page caps, search-after
tokens that survive edits, the index lag and ``reconcileIssues``."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

from itsmhub_jira.emulator import Site, add_issue

SEARCH = "/rest/api/3/search/jql"
ALL_OPS = "project = OPS ORDER BY updated ASC, id ASC"


def many(site: Site, count: int) -> None:
    for n in range(count):
        add_issue(site, summary=f"issue {n}", created=site.now() - timedelta(minutes=count - n))


@pytest.mark.anyio
async def test_ids_by_default_and_fields_when_asked(site: Site, api: httpx.AsyncClient) -> None:
    many(site, 2)
    bare = (await api.post(SEARCH, json={"jql": ALL_OPS})).json()
    assert bare["issues"] == [{"id": "10001"}, {"id": "10002"}] and bare["isLast"]
    full = (await api.post(SEARCH, json={"jql": ALL_OPS, "fields": ["summary", "status"]})).json()
    issue = full["issues"][0]
    assert issue["key"] == "OPS-1" and set(issue["fields"]) == {"summary", "status"}
    assert issue["fields"]["status"]["statusCategory"]["key"] == "new"
    got = await api.get(SEARCH, params={"jql": ALL_OPS, "fields": "*all,-comment"})
    assert "comment" not in got.json()["issues"][0]["fields"]


@pytest.mark.anyio
async def test_pages_are_capped_and_tokens_walk_them(site: Site, api: httpx.AsyncClient) -> None:
    many(site, 120)
    page = (
        await api.post(SEARCH, json={"jql": ALL_OPS, "fields": ["summary"], "maxResults": 500})
    ).json()
    assert len(page["issues"]) == 100 and not page["isLast"]
    ids = await api.post(SEARCH, json={"jql": ALL_OPS, "fields": ["id"], "maxResults": 500})
    assert len(ids.json()["issues"]) == 120 and ids.json()["isLast"]
    rest = await api.post(
        SEARCH, json={"jql": ALL_OPS, "fields": ["summary"], "nextPageToken": page["nextPageToken"]}
    )
    assert [i["key"] for i in rest.json()["issues"]][:2] == ["OPS-101", "OPS-102"]


@pytest.mark.anyio
async def test_a_token_keeps_its_place_when_read_issues_move(
    site: Site, api: httpx.AsyncClient
) -> None:
    many(site, 4)
    body = {"jql": ALL_OPS, "fields": ["summary"], "maxResults": 2}
    first = (await api.post(SEARCH, json=body)).json()
    site.edit(site.issues["10001"], {"summary": "edited"}, actor=site.api_user.account_id)
    rest = (await api.post(SEARCH, json={**body, "nextPageToken": first["nextPageToken"]})).json()
    keys = [i["key"] for i in rest["issues"]]
    assert keys == ["OPS-3", "OPS-4"]  # an offset pager would have skipped OPS-3
    last = (await api.post(SEARCH, json={**body, "nextPageToken": rest["nextPageToken"]})).json()
    assert [i["fields"]["summary"] for i in last["issues"]] == ["edited"] and last["isLast"]


@pytest.mark.anyio
async def test_queries_and_tokens_jira_refuses(site: Site, api: httpx.AsyncClient) -> None:
    unbounded = await api.post(SEARCH, json={"jql": "ORDER BY updated"})
    assert unbounded.status_code == 400 and "Unbounded JQL" in unbounded.json()["errorMessages"][0]
    bad = await api.post(SEARCH, json={"jql": "projet = OPS"})
    assert bad.json() == {
        "errorMessages": [
            "Field 'projet' does not exist or you do not have permission to view it."
        ],
        "errors": {},
    }
    forged = await api.post(SEARCH, json={"jql": ALL_OPS, "nextPageToken": "abc"})
    assert forged.status_code == 400 and "token" in forged.json()["errorMessages"][0]
    many(site, 3)
    page = (await api.post(SEARCH, json={"jql": ALL_OPS, "maxResults": 1})).json()
    other = await api.post(
        SEARCH, json={"jql": "project = OPS", "nextPageToken": page["nextPageToken"]}
    )
    assert other.status_code == 400  # a token belongs to its query
    site.controls.clock.advance(8 * 24 * 3600)  # type: ignore[attr-defined]
    late = await api.post(
        SEARCH, json={"jql": ALL_OPS, "maxResults": 1, "nextPageToken": page["nextPageToken"]}
    )
    assert late.status_code == 400  # tokens expire after seven days


@pytest.mark.anyio
async def test_writes_show_in_search_after_the_lag(site: Site, api: httpx.AsyncClient) -> None:
    site.controls.lag.seconds = 30
    created = await api.post(
        "/rest/api/3/issue",
        json={
            "fields": {
                "project": {"key": "OPS"},
                "issuetype": {"name": "Incident"},
                "summary": "fresh",
            }
        },
    )
    issue_id = created.json()["id"]
    body = {"jql": ALL_OPS, "fields": ["summary"]}
    assert (await api.post(SEARCH, json=body)).json()["issues"] == []
    reconciled = await api.post(SEARCH, json={**body, "reconcileIssues": [int(issue_id)]})
    assert [i["id"] for i in reconciled.json()["issues"]] == [issue_id]
    site.controls.clock.advance(31)  # type: ignore[attr-defined]
    site.edit(site.issues[issue_id], {"summary": "renamed"}, actor=site.api_user.account_id)
    stale = (await api.post(SEARCH, json=body)).json()["issues"]
    assert [i["fields"]["summary"] for i in stale] == ["fresh"]  # the indexed version
    site.controls.clock.advance(31)  # type: ignore[attr-defined]
    now = (await api.post(SEARCH, json=body)).json()["issues"]
    assert [i["fields"]["summary"] for i in now] == ["renamed"]
    count = await api.post("/rest/api/3/search/approximate-count", json={"jql": "project = OPS"})
    assert count.json() == {"count": 1}


@pytest.mark.anyio
async def test_long_threads_are_cut_in_search_but_not_in_reads(
    site: Site, api: httpx.AsyncClient
) -> None:
    from itsmhub_jira.emulator import add_comment

    issue = add_issue(site, summary="chatty")
    for n in range(site.search_comment_limit + 5):
        add_comment(site, issue, f"note {n}")
    found = (await api.post(SEARCH, json={"jql": ALL_OPS, "fields": ["comment"]})).json()
    thread = found["issues"][0]["fields"]["comment"]
    assert len(thread["comments"]) == site.search_comment_limit and thread["total"] == 25
    page = (await api.get(f"/rest/api/3/issue/{issue.id}/comment", params={"startAt": 20})).json()
    assert len(page["comments"]) == 5 and page["total"] == 25 and page["startAt"] == 20
