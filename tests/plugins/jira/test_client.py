"""The Jira client against respx: auth, search bodies and paging, errors in Jira's
words, 429 with Retry-After and Jira's rate headers, malformed answers."""

from __future__ import annotations

import base64
import json
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from itsmhub import (
    ConfigError,
    ConnectorContext,
    HttpSettings,
    RateLimited,
    RecordError,
    UnexpectedAnswer,
)
from itsmhub.testing import RecordingSleep
from itsmhub_jira.client import JiraClient, base_url

SITE = "https://acme.atlassian.net"
API = f"{SITE}/rest/api/3"


@pytest.fixture
def router():
    """Jira's REST API v3, mocked; every route a test declares must be called."""
    with respx.mock(assert_all_called=True) as mocked:
        yield mocked


def client(settings_for: Any, sleep: RecordingSleep | None = None, **overrides: Any) -> JiraClient:
    context = ConnectorContext(
        http=HttpSettings(max_attempts=3),
        resolve_secret=lambda ref: SecretStr("t0ken-value"),
    )
    return JiraClient(settings_for(**overrides), context, sleep=sleep or RecordingSleep())


@pytest.mark.anyio
async def test_search_sends_the_jql_fields_token_and_properties(settings_for, router) -> None:
    route = router.post(f"{API}/search/jql").mock(
        side_effect=[
            httpx.Response(
                200, json={"issues": [{"id": "1"}], "nextPageToken": "T2", "isLast": False}
            ),
            httpx.Response(200, json={"issues": [{"id": "2"}], "isLast": True}),
        ]
    )
    async with client(settings_for) as jira:
        first = await jira.search("project = OPS", ["summary"], limit=100, properties=["itsmhub"])
        second = await jira.search("project = OPS", ["summary"], limit=100, token=first.next_token)
    assert (first.next_token, first.is_last, second.next_token, second.is_last) == (
        "T2",
        False,
        None,
        True,
    )
    sent = [json.loads(call.request.content) for call in route.calls]
    assert sent[0] == {
        "jql": "project = OPS",
        "fields": ["summary"],
        "maxResults": 100,
        "properties": ["itsmhub"],
    }
    assert sent[1]["nextPageToken"] == "T2"
    auth = route.calls[0].request.headers["authorization"]
    assert base64.b64decode(auth.split()[1]).decode() == "itsmhub@example.com:t0ken-value"


@pytest.mark.anyio
async def test_a_429_waits_retry_after_and_then_succeeds(settings_for, router) -> None:
    limited = httpx.Response(
        429,
        headers={
            "Retry-After": "7",
            "RateLimit-Reason": "jira-burst-based",
            "X-RateLimit-Reset": "2026-03-26T16:00Z",
        },
        json={"errorMessages": ["Rate limit exceeded."], "errors": {}},
    )
    router.get(f"{API}/myself").mock(
        side_effect=[limited, httpx.Response(200, json={"accountId": "a"})]
    )
    sleep = RecordingSleep()
    async with client(settings_for, sleep) as jira:
        assert (await jira.myself())["accountId"] == "a"
    assert 7.0 in sleep.calls


@pytest.mark.anyio
async def test_a_long_retry_after_goes_up_as_rate_limited(settings_for, router) -> None:
    router.get(f"{API}/myself").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"}, json={})
    )
    async with client(settings_for) as jira:
        with pytest.raises(RateLimited) as info:
            await jira.myself()
    assert info.value.retry_after == 3600


@pytest.mark.anyio
async def test_near_limit_paces_the_next_request(settings_for, router) -> None:
    router.get(f"{API}/myself").mock(
        return_value=httpx.Response(
            200, json={}, headers={"X-RateLimit-NearLimit": "true", "X-RateLimit-Remaining": "3"}
        )
    )
    sleep = RecordingSleep()
    async with client(settings_for, sleep) as jira:
        await jira.myself()
        assert jira.pacer.last.near_limit and jira.pacer.delay() > 0
        await jira.myself()
    assert sleep.calls and sleep.calls[0] <= 1.0


@pytest.mark.anyio
async def test_errors_carry_jiras_words_and_never_the_token(settings_for, router) -> None:
    router.post(f"{API}/issue").mock(
        return_value=httpx.Response(
            400, json={"errorMessages": [], "errors": {"summary": "You must specify a summary."}}
        )
    )
    refused = {"errorMessages": ["t0ken-value rejected"]}
    router.get(f"{API}/field").mock(return_value=httpx.Response(401, json=refused))
    async with client(settings_for) as jira:
        with pytest.raises(RecordError, match="summary: You must specify a summary"):
            await jira.create_issue({"fields": {}})
        with pytest.raises(ConfigError) as info:
            await jira.fields()
    assert "t0ken-value" not in str(info.value)


@pytest.mark.anyio
async def test_a_bulk_create_refused_whole_is_an_answer(settings_for, router) -> None:
    body = {
        "issues": [],
        "errors": [
            {
                "status": 400,
                "failedElementNumber": 0,
                "elementErrors": {"errorMessages": [], "errors": {"summary": "required"}},
            }
        ],
    }
    router.post(f"{API}/issue/bulk").mock(return_value=httpx.Response(400, json=body))
    async with client(settings_for) as jira:
        assert await jira.create_issues([{"fields": {}}]) == body


@pytest.mark.anyio
async def test_a_malformed_answer_is_transient_and_says_how(settings_for, router) -> None:
    router.get(f"{API}/myself").mock(
        return_value=httpx.Response(200, text="<html>maintenance</html>")
    )
    async with client(settings_for) as jira:
        with pytest.raises(UnexpectedAnswer, match="not JSON; text/plain"):
            await jira.myself()


@pytest.mark.anyio
async def test_users_are_asked_for_a_hundred_at_a_time(settings_for, router) -> None:
    route = router.get(f"{API}/user/bulk").mock(
        return_value=httpx.Response(200, json={"values": [{"accountId": "x"}]})
    )
    async with client(settings_for) as jira:
        found = await jira.users([f"a{n}" for n in range(150)])
    assert len(found) == 2 and route.call_count == 2
    first = route.calls[0].request.url.params
    assert len(first.get_list("accountId")) == 100 and first["maxResults"] == "100"


@pytest.mark.anyio
async def test_absent_things_are_none_and_paths_are_encoded(settings_for, router) -> None:
    router.get(f"{API}/issue/OPS-404").mock(return_value=httpx.Response(404, json={}))
    prop = router.get(f"{API}/issue/10001/properties/a%2Fb").mock(
        return_value=httpx.Response(404, json={})
    )
    async with client(settings_for) as jira:
        assert await jira.issue("OPS-404", ["summary"]) is None
        assert await jira.property("10001", "a/b") is None
    assert prop.called


def test_a_scoped_token_goes_through_the_gateway(settings_for) -> None:
    settings = settings_for(cloud_id="11223344-a1b2-3b33-c444-def123456789")
    assert base_url(settings) == (
        "https://api.atlassian.com/ex/jira/11223344-a1b2-3b33-c444-def123456789"
    )
    assert base_url(settings_for()) == SITE
