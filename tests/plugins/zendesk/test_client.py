"""The Zendesk client against respx: auth, query building, paging, errors, rate limits."""

from __future__ import annotations

import base64
import json

import httpx
import pytest
import respx

from itsmhub import ConfigError, RateLimited, RecordError, RemoteChanged, TransientError
from itsmhub.http import BudgetPacer
from itsmhub.testing import RecordingSleep
from itsmhub_zendesk.client import ZendeskClient, rate_budgets

BASE = "https://acme.zendesk.com"
pytestmark = pytest.mark.anyio


def client_for(connector_for, **settings) -> ZendeskClient:
    return connector_for(None, **settings).client


async def test_an_api_token_signs_in_as_email_slash_token(connector_for) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/api/v2/users/me").respond(
            200, json={"user": {"id": 1, "name": "Admin", "email": "admin@example.com"}}
        )
        client = client_for(connector_for)
        assert (await client.me()).email == "admin@example.com"
        await client.aclose()
    request = route.calls.last.request
    expected = base64.b64encode(b"admin@example.com/token:zendesk-emulator-token").decode()
    assert request.headers["Authorization"] == f"Basic {expected}"
    assert request.headers["Accept"] == "application/json"


async def test_an_oauth_token_is_sent_as_a_bearer(connector_for) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/api/v2/users/me").respond(200, json={"user": {"id": 1}})
        client = client_for(connector_for, api_token=None, email=None, oauth_token="env:ZD_TOKEN")
        await client.me()
        await client.aclose()
    assert route.calls.last.request.headers["Authorization"] == "Bearer zendesk-emulator-token"


async def test_the_exports_are_asked_for_a_thousand_from_a_start_or_a_cursor(
    connector_for,
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        tickets = router.get("/api/v2/incremental/tickets/cursor").respond(
            200, json={"tickets": [], "after_cursor": "abc", "end_of_stream": True}
        )
        events = router.get("/api/v2/incremental/ticket_events").respond(
            200, json={"ticket_events": [], "end_time": 5, "end_of_stream": True}
        )
        client = client_for(connector_for, page_size=1000)
        await client.export_tickets(cursor=None, start_time=1700000000, per_page=1000)
        page = await client.export_tickets(cursor="abc", start_time=None, per_page=1000)
        assert page.after_cursor == "abc" and page.end_of_stream
        await client.export_events(start_time=1700000000, per_page=1000)
        await client.aclose()
    first, second = (dict(c.request.url.params) for c in tickets.calls)
    assert first == {"per_page": "1000", "start_time": "1700000000"}
    assert second == {"per_page": "1000", "cursor": "abc"}
    assert dict(events.calls.last.request.url.params) == {
        "start_time": "1700000000",
        "include": "comment_events",
        "per_page": "1000",
    }


async def test_a_429_waits_the_vendors_retry_after_then_succeeds(
    connector_for, sleep: RecordingSleep
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/v2/tickets/5").mock(
            side_effect=[
                httpx.Response(
                    429, headers={"Retry-After": "7"}, json={"error": "APIRateLimitExceeded"}
                ),
                httpx.Response(200, json={"ticket": {"id": 5}}),
            ]
        )
        client = client_for(connector_for)
        ticket = await client.ticket("5")
        await client.aclose()
    assert ticket is not None and ticket.id == 5
    assert 7.0 in sleep.calls


async def test_a_long_retry_after_goes_up_for_the_outbox_to_schedule(connector_for) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get("/api/v2/tickets/5").respond(429, headers={"Retry-After": "3600"})
        client = client_for(connector_for)
        with pytest.raises(RateLimited) as info:
            await client.ticket("5")
        await client.aclose()
    assert info.value.retry_after == 3600


async def test_the_vendors_remaining_budget_paces_the_next_request(
    connector_for, sleep: RecordingSleep
) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        router.get("/api/v2/tickets").mock(
            side_effect=[
                httpx.Response(
                    200,
                    json={"tickets": []},
                    headers={
                        "X-Rate-Limit": "700",
                        "X-Rate-Limit-Remaining": "12",
                        "zendesk-ratelimit-tickets-index": "total=100; remaining=0; resets=41",
                    },
                ),
                httpx.Response(200, json={"tickets": []}),
            ]
        )
        client = client_for(connector_for)
        await client.by_external_id("m")
        await client.by_external_id("m")
        await client.aclose()
    assert 41.0 in sleep.calls


@pytest.mark.parametrize(
    ("status", "body", "error", "words"),
    [
        (401, {"error": "Couldn't authenticate you"}, ConfigError, "Couldn't authenticate you"),
        (
            422,
            {
                "error": "RecordInvalid",
                "description": "Record validation errors",
                "details": {"problem_id": [{"description": "must be a problem"}]},
            },
            RecordError,
            "problem_id: must be a problem",
        ),
        (
            409,
            {"error": "UpdateConflict", "description": "Safe Update prevented"},
            RemoteChanged,
            "changed",
        ),
        (503, {"error": "ServiceUnavailable"}, TransientError, "ServiceUnavailable"),
    ],
)
async def test_errors_are_classified_with_zendesks_words(
    connector_for, status: int, body: dict, error: type, words: str
) -> None:
    with respx.mock(base_url=BASE) as router:
        router.put("/api/v2/tickets/5").respond(
            status, json=body, headers={"X-Zendesk-Request-Id": "req-9"}
        )
        client = client_for(connector_for)
        with pytest.raises(error) as info:
            await client.update("5", {"subject": "x"})
        await client.aclose()
    assert words in str(info.value)
    assert "zendesk-emulator-token" not in str(info.value)


async def test_a_missing_ticket_is_none_and_an_unreadable_answer_transient(
    connector_for,
) -> None:
    with respx.mock(base_url=BASE) as router:
        router.get("/api/v2/tickets/5").respond(404, json={"error": "RecordNotFound"})
        router.get("/api/v2/tickets/6").respond(200, text="<html>maintenance</html>")
        client = client_for(connector_for)
        assert await client.ticket("5") is None
        with pytest.raises(TransientError, match="not the expected JSON"):
            await client.ticket("6")
        await client.aclose()


async def test_comment_pages_are_followed_by_their_cursor(connector_for) -> None:
    def page(ids: list[int], more: bool) -> httpx.Response:
        comments = [{"id": i, "body": str(i), "created_at": "2026-03-01T00:00:00Z"} for i in ids]
        meta = {"has_more": more, "after_cursor": str(ids[-1])}
        return httpx.Response(200, json={"comments": comments, "meta": meta})

    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/api/v2/tickets/5/comments").mock(
            side_effect=[page([1, 2], True), page([3], False)]
        )
        client = client_for(connector_for)
        comments = await client.comments("5")
        await client.aclose()
    assert [c.id for c in comments] == [1, 2, 3]
    second = dict(route.calls[1].request.url.params)
    assert second == {"page[size]": "100", "sort": "created_at", "page[after]": "2"}


async def test_show_many_asks_a_hundred_ids_at_a_time(connector_for) -> None:
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        route = router.get("/api/v2/tickets/show_many").respond(200, json={"tickets": []})
        client = client_for(connector_for)
        await client.tickets([str(n) for n in range(250)])
        await client.aclose()
    sizes = [len(c.request.url.params["ids"].split(",")) for c in route.calls]
    assert sizes == [100, 100, 50]


async def test_bulk_writes_send_the_tickets_array(connector_for) -> None:
    job = {"job_status": {"id": "j1", "status": "queued"}}
    with respx.mock(base_url=BASE, assert_all_called=True) as router:
        create = router.post("/api/v2/tickets/create_many").respond(200, json=job)
        update = router.put("/api/v2/tickets/update_many").respond(200, json=job)
        client = client_for(connector_for)
        assert (await client.create_many([{"subject": "a"}])).id == "j1"
        await client.update_many([{"id": 1, "subject": "b"}])
        await client.aclose()
    assert json.loads(create.calls.last.request.content) == {"tickets": [{"subject": "a"}]}
    assert json.loads(update.calls.last.request.content) == {"tickets": [{"id": 1, "subject": "b"}]}


async def test_the_budgets_are_the_account_limit_and_the_exports_shared_ten(
    connector_for, virtual_time
) -> None:
    settings = connector_for(None, requests_per_minute=400).settings
    budgets = rate_budgets(settings)
    assert [(b.requests, b.per, b.path) for b in budgets] == [
        (400, 60.0, "*"),
        (10, 60.0, "/api/v2/incremental/*"),
    ]
    time = virtual_time
    pacer = BudgetPacer(budgets, clock=time, sleep=time.sleep)
    for _ in range(10):
        await pacer.spend("GET", "/api/v2/incremental/ticket_events")
        time.now += 1
    await pacer.spend("GET", "/api/v2/incremental/tickets/cursor")
    assert time.slept == [50.0]  # the eleventh, 10 s in, waits for the first to age a minute
    await pacer.spend("GET", "/api/v2/tickets/5")
    assert time.slept == [50.0]  # other calls spend from the account's budget only
