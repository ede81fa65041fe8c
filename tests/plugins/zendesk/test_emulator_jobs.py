"""Background jobs, rate limits, faults and webhooks of the emulated account."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from itsmhub.emulation import EmulatorClock, Fault, RateLimitRule
from itsmhub_zendesk.emulator import Seeder, Support
from itsmhub_zendesk.webhooks import sign

pytestmark = pytest.mark.anyio
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


async def job(api: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    return (await api.get(f"/api/v2/job_statuses/{job_id}")).json()["job_status"]


async def test_a_create_many_job_runs_when_polled_twice(api: httpx.AsyncClient) -> None:
    tickets = [
        {"subject": "one", "comment": {"body": "1"}, "external_id": "m-1"},
        {"subject": "bad", "priority": "p0", "comment": {"body": "2"}},
        {"subject": "three", "comment": {"body": "3"}},
    ]
    started = (await api.post("/api/v2/tickets/create_many", json={"tickets": tickets})).json()
    status = started["job_status"]
    assert (status["status"], status["total"], status["results"]) == ("queued", 3, None)
    assert (await job(api, status["id"]))["status"] == "working"
    assert (await api.get("/api/v2/tickets")).json()["tickets"] == []  # nothing ran yet
    done = await job(api, status["id"])
    assert done["status"] == "completed" and done["progress"] == 3
    first, failed, third = done["results"]
    assert set(first) == {"id", "index"} and (first["index"], third["index"]) == (0, 2)
    assert failed == {
        "id": 1,
        "action": "create",
        "success": False,
        "error": "RecordInvalid",
        "details": "priority: 'p0' is not a priority",
    }
    listed = (await api.get("/api/v2/tickets", params={"external_id": "m-1"})).json()
    assert [t["id"] for t in listed["tickets"]] == [first["id"]]


async def test_an_update_many_job_runs_by_the_clock_with_a_result_per_ticket(
    api: httpx.AsyncClient, support: Support, later
) -> None:
    seeder = Seeder(support)
    fresh, stale = seeder.ticket("fresh"), seeder.ticket("stale")
    later(5)
    items = [
        {
            "id": fresh.id,
            "subject": "renamed",
            "safe_update": True,
            "updated_stamp": "2026-03-02T09:00:00Z",
        },
        {
            "id": stale.id,
            "subject": "x",
            "safe_update": True,
            "updated_stamp": "2026-01-01T00:00:00Z",
        },
        {"id": 999, "subject": "x"},
    ]
    started = await api.put("/api/v2/tickets/update_many", json={"tickets": items})
    job_id = started.json()["job_status"]["id"]
    later(2)
    shown = (
        await api.get("/api/v2/job_statuses/show_many", params={"ids": f"{job_id},gone"})
    ).json()
    [status] = shown["job_statuses"]
    updated, conflict, missing = status["results"]
    assert updated == {"id": fresh.id, "action": "update", "success": True, "status": "Updated"}
    assert (conflict["error"], missing["error"]) == ("UpdateConflict", "RecordNotFound")
    assert support.account.tickets[fresh.id].subject == "renamed"
    assert support.account.tickets[stale.id].subject == "stale"
    later(3601)
    await api.get("/api/v2/users/me")  # any request moves jobs on, and forgets old ones
    assert (await api.get(f"/api/v2/job_statuses/{job_id}")).status_code == 404


async def test_bulk_requests_take_at_most_a_hundred_tickets(api: httpx.AsyncClient) -> None:
    many = [{"subject": str(n), "comment": {"body": "x"}} for n in range(101)]
    refused = await api.post("/api/v2/tickets/create_many", json={"tickets": many})
    assert refused.status_code == 400
    assert (await api.put("/api/v2/tickets/update_many", json={})).status_code == 400


async def test_the_exports_share_ten_requests_a_minute(
    api: httpx.AsyncClient, support: Support, clock: EmulatorClock
) -> None:
    support.controls.rate_limits.add(RateLimitRule(limit=700, reason="account"))
    support.controls.rate_limits.add(
        RateLimitRule(limit=10, path="/api/v2/incremental/*", reason="incremental")
    )
    clock.set(START.replace(second=0) + timedelta(minutes=5))
    paths = ["/api/v2/incremental/tickets/cursor", "/api/v2/incremental/ticket_events"]
    for n in range(10):
        answer = await api.get(paths[n % 2], params={"start_time": 0})
        assert answer.status_code == 200
        assert answer.headers["X-Rate-Limit"] == "700"
        assert answer.headers["X-Rate-Limit-Remaining"] == str(699 - n)
    refused = await api.get(paths[0], params={"start_time": 0})
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "60"
    assert refused.json()["error"] == "APIRateLimitExceeded"
    assert (await api.get("/api/v2/users/me")).status_code == 200  # other calls go on
    clock.advance(60)
    assert (await api.get(paths[1], params={"start_time": 0})).status_code == 200


async def test_faults_answer_in_zendesks_shape(api: httpx.AsyncClient, support: Support) -> None:
    support.controls.faults.inject(Fault(status=503, path="/api/v2/tickets*"))
    failed = await api.get("/api/v2/tickets")
    assert failed.status_code == 503 and failed.json()["error"] == "ServiceUnavailable"
    support.controls.faults.inject(Fault(status=429, retry_after=7))
    limited = await api.get("/api/v2/users/me")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    support.controls.faults.inject(Fault(method="POST", lose_response=True))
    with pytest.raises(httpx.RemoteProtocolError):
        await api.post("/api/v2/tickets", json={"ticket": {"comment": {"body": "lost"}}})
    assert len(support.account.tickets) == 1  # done, though the caller never heard


async def test_webhooks_are_signed_as_zendesk_signs_them(
    api: httpx.AsyncClient, support: Support, posts, clock: EmulatorClock
) -> None:
    spec = {"webhook": {"name": "hub", "endpoint": "https://hub.example.com/hooks/zendesk"}}
    created = (await api.post("/api/v2/webhooks", json=spec)).json()["webhook"]
    secret_path = f"/api/v2/webhooks/{created['id']}/signing_secret"
    secret = (await api.get(secret_path)).json()["signing_secret"]
    assert secret["algorithm"] == "SHA256"
    ticket = (
        await api.post(
            "/api/v2/tickets", json={"ticket": {"type": "incident", "comment": {"body": "x"}}}
        )
    ).json()["ticket"]
    update = {"status": "open", "comment": {"body": "on it"}}
    await api.put(f"/api/v2/tickets/{ticket['id']}", json={"ticket": update})
    kinds = []
    for url, body, headers in posts.sent:
        assert url == "https://hub.example.com/hooks/zendesk"
        when = headers["X-Zendesk-Webhook-Signature-Timestamp"]
        assert when == clock.now().strftime("%Y-%m-%dT%H:%M:%SZ")
        assert headers["X-Zendesk-Webhook-Signature"] == sign(secret["secret"], when, body)
        event = json.loads(body)
        assert event["subject"] == f"zen:ticket:{ticket['id']}"
        kinds.append(event["type"])
    assert kinds == [
        "zen:event-type:ticket.created",
        "zen:event-type:ticket.comment_added",
        "zen:event-type:ticket.status_changed",
    ]
    assert json.loads(posts.sent[1][1])["event"]["comment"]["body"] == "on it"
    assert [d.status for d in support.sender.deliveries] == [200, 200, 200]
    assert (await api.get("/api/v2/webhooks")).json()["webhooks"][0]["id"] == created["id"]
    refused = await api.post("/api/v2/webhooks", json={"webhook": {"endpoint": "ftp://x"}})
    assert refused.status_code == 422


async def test_a_failing_endpoint_is_recorded_not_raised(support: Support) -> None:
    async def unreachable(url: str, body: bytes, headers: Any) -> int:
        raise httpx.ConnectError("refused")

    support.sender.post = unreachable
    support.sender.register("https://down.example.com")
    Seeder(support).ticket("x")
    await support.sender.flush()
    [delivery] = support.sender.deliveries
    assert delivery.status is None and delivery.error == "refused"
