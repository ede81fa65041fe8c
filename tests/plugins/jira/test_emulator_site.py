"""The site around the issues: sign-in, people and their e-mails, fields, projects,
permissions, rate limits in Jira's headers, and signed admin webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from itsmhub.emulation import RateLimitRule
from itsmhub_jira.emulator import Site, add_issue

API = "/rest/api/3"


@pytest.mark.anyio
async def test_only_the_accounts_token_signs_in(site: Site, checked) -> None:
    wrong = httpx.BasicAuth("itsmhub@example.com", "guess")
    async with httpx.AsyncClient(
        transport=checked, base_url="https://acme.atlassian.net", auth=wrong
    ) as client:
        refused = await client.get(f"{API}/myself")
    assert refused.status_code == 401
    assert refused.json()["errorMessages"][0].startswith("You are not authenticated")


@pytest.mark.anyio
async def test_people_show_emails_only_where_their_owner_lets_them(
    site: Site, api: httpx.AsyncClient
) -> None:
    me = (await api.get(f"{API}/myself")).json()
    assert me["timeZone"] == "America/New_York" and me["emailAddress"] == "itsmhub@example.com"
    open_ = site.add_user("Ada Lovelace", "ada@example.com")
    hidden = site.add_user("Alan Turing", "alan@example.com", email_visible=False)
    page = (
        await api.get(
            f"{API}/user/bulk",
            params=[
                ("accountId", open_.account_id),
                ("accountId", hidden.account_id),
                ("accountId", "nobody"),
                ("maxResults", "1"),
            ],
        )
    ).json()
    assert page["total"] == 2 and not page["isLast"] and page["values"][0]["emailAddress"]
    rest = (
        await api.get(
            f"{API}/user/bulk",
            params=[
                ("accountId", open_.account_id),
                ("accountId", hidden.account_id),
                ("startAt", "1"),
            ],
        )
    ).json()
    assert "emailAddress" not in rest["values"][0] and rest["isLast"]
    found = (await api.get(f"{API}/user/search", params={"query": "alan@"})).json()
    assert [u["accountId"] for u in found] == [hidden.account_id]


@pytest.mark.anyio
async def test_fields_projects_and_permissions(site: Site, api: httpx.AsyncClient) -> None:
    fields = {f["id"]: f for f in (await api.get(f"{API}/field")).json()}
    assert fields["customfield_10050"]["schema"]["custom"].endswith(":textarea")
    assert fields["summary"]["schema"] == {"type": "string", "system": "summary"}
    project = (await api.get(f"{API}/project/OPS")).json()
    assert {t["name"] for t in project["issueTypes"]} >= {"Incident", "Problem"}
    assert (await api.get(f"{API}/project/NOPE")).status_code == 404
    site.denied.add("LINK_ISSUES")
    granted = (
        await api.get(
            f"{API}/mypermissions",
            params={"projectKey": "OPS", "permissions": "BROWSE_PROJECTS,LINK_ISSUES"},
        )
    ).json()
    assert {k: v["havePermission"] for k, v in granted["permissions"].items()} == {
        "BROWSE_PROJECTS": True,
        "LINK_ISSUES": False,
    }
    assert (await api.get(f"{API}/mypermissions")).status_code == 400


@pytest.mark.anyio
async def test_rate_limits_answer_with_jiras_headers(site: Site, api: httpx.AsyncClient) -> None:
    site.controls.rate_limits.add(
        RateLimitRule(limit=5, window=10, reason="jira-per-issue-on-write")
    )
    answers = [await api.get(f"{API}/myself") for _ in range(6)]
    assert [a.status_code for a in answers] == [200] * 5 + [429]
    assert "X-RateLimit-NearLimit" not in answers[0].headers
    assert answers[4].headers["X-RateLimit-NearLimit"] == "true"
    refused = answers[5]
    assert refused.headers["RateLimit-Reason"] == "jira-per-issue-on-write"
    assert (
        refused.headers["X-RateLimit-Reset"].endswith("Z")
        and int(refused.headers["Retry-After"]) >= 1
    )
    assert refused.json() == {"errorMessages": ["Rate limit exceeded."], "errors": {}}


class Receiver:
    """The hub's webhook endpoint, as the site delivers to it."""

    def __init__(self, statuses: list[int]) -> None:
        self.statuses = statuses
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(self.statuses.pop(0) if self.statuses else 200)


@pytest.mark.anyio
async def test_admin_webhooks_are_signed_and_redelivered_with_their_identifier(
    site: Site, api: httpx.AsyncClient
) -> None:
    receiver = Receiver([503])
    site.webhooks.transport = httpx.MockTransport(receiver)
    registered = await api.post(
        "/rest/webhooks/1.0/webhook",
        json={
            "name": "itsmhub",
            "url": "https://hub.example.com/webhooks/jira",
            "events": ["jira:issue_created", "comment_created"],
            "filters": {"issue-related-events-section": "project = OPS"},
            "secret": "s3cret",
        },
    )
    assert registered.status_code == 201 and "secret" not in registered.json()
    made = await api.post(
        f"{API}/issue",
        json={
            "fields": {
                "project": {"key": "OPS"},
                "issuetype": {"name": "Incident"},
                "summary": "VPN down",
            }
        },
    )
    assert made.status_code == 201
    [first] = receiver.requests
    digest = hmac.new(b"s3cret", first.content, hashlib.sha256).hexdigest()
    assert first.headers["X-Hub-Signature"] == f"sha256={digest}"
    assert first.headers["X-Atlassian-Webhook-Retry"] == "0"
    payload = json.loads(first.content)
    assert payload["webhookEvent"] == "jira:issue_created" and payload["issue"]["key"] == "OPS-1"
    redelivered = (await api.post("/_emulator/webhooks")).json()
    assert redelivered == {"redelivered": 1}
    second = receiver.requests[1]
    assert (
        second.headers["X-Atlassian-Webhook-Identifier"]
        == first.headers["X-Atlassian-Webhook-Identifier"]
    )
    assert second.headers["X-Atlassian-Webhook-Retry"] == "1" and second.content == first.content
    listed = (await api.get("/rest/webhooks/1.0/webhook")).json()
    assert listed[0]["filters"] == {"issue-related-events-section": "project = OPS"}
    add_issue(site, summary="seeded quietly")  # seeding is not an event
    assert len(receiver.requests) == 2
    bad = await api.post("/rest/webhooks/1.0/webhook", json={"url": "x", "events": ["nope"]})
    assert bad.status_code == 400
    assert (await api.delete("/rest/webhooks/1.0/webhook/1")).status_code == 204
