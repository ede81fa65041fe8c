"""The webhook receiver in-process (httpx over ASGI): a signed delivery is queued once;
a forged, tampered, stale, replayed or oversized one is refused and queues nothing; a
connector that takes no webhooks answers 404. And the store's webhook queue on SQLite."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from itsmhub.config import load_config
from itsmhub.daemon.leases import AnotherDaemon, Leases
from itsmhub.daemon.runner import Daemon
from itsmhub.daemon.server import build_app
from itsmhub.engine import open_hub
from itsmhub.store.webhooks import EventStatus
from itsmhub_jira.webhooks import signature

pytestmark = pytest.mark.anyio
SECRET = "a-webhook-secret-for-tests"


@pytest.fixture
async def receiver(systems, plugins) -> AsyncIterator[tuple[httpx.AsyncClient, Any]]:
    world = systems(incidents=1)
    config = load_config(
        world.config(daemon='max_body_bytes = 4096\nreplay_window = "10m"'), plugins
    )
    async with open_hub(config, plugins) as hub:
        app = build_app(Daemon(hub, worker="test", handle_signals=False))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield client, hub


def delivery(issue_id: str = "10001", *, at: float | None = None, pad: int = 0) -> bytes:
    stamp = int((time.time() if at is None else at) * 1000)
    payload = {
        "timestamp": stamp,
        "webhookEvent": "jira:issue_updated",
        "issue": {"id": issue_id, "key": "OPS-1", "fields": {"issuetype": {"name": "Incident"}}},
        "padding": "x" * pad,
    }
    return json.dumps(payload).encode()


def signed(body: bytes, identifier: str = "delivery-1", secret: str = SECRET) -> dict[str, str]:
    return {
        "X-Hub-Signature": signature(secret, body),
        "X-Atlassian-Webhook-Identifier": identifier,
        "Content-Type": "application/json",
    }


async def pending(hub: Any) -> int:
    return await hub.store.count_webhook_events("jira", EventStatus.PENDING)


async def test_a_signed_delivery_is_queued_once_and_its_replay_is_not(receiver) -> None:
    client, hub = receiver
    body = delivery()
    first = await client.post("/webhooks/jira", content=body, headers=signed(body))
    assert first.status_code == 202 and first.json() == {"queued": 1, "duplicates": 0}
    replay = await client.post("/webhooks/jira", content=body, headers=signed(body))
    assert replay.status_code == 200 and replay.json() == {"queued": 0, "duplicates": 1}
    assert await pending(hub) == 1
    [event] = await hub.store.pending_webhook_events("jira", 10)
    assert (event.remote_id, event.kind.value, event.delivery_id) == (
        "10001",
        "incident",
        "delivery-1",
    )


@pytest.mark.parametrize(
    "case", ["wrong secret", "tampered body", "no signature", "stale replay", "future stamp"]
)
async def test_forged_tampered_and_stale_deliveries_are_refused(receiver, case: str) -> None:
    client, hub = receiver
    body = delivery()
    headers = signed(body)
    if case == "wrong secret":
        headers = signed(body, secret="guessed")
    elif case == "tampered body":
        body = body.replace(b"10001", b"10002")
    elif case == "no signature":
        headers.pop("X-Hub-Signature")
    elif case == "stale replay":  # inside Jira's hour, outside this daemon's window
        body = delivery(at=time.time() - 30 * 60)
        headers = signed(body, identifier="delivery-old")
    else:
        body = delivery(at=time.time() + 3600)
        headers = signed(body)
    answer = await client.post("/webhooks/jira", content=body, headers=headers)
    assert answer.status_code == 401, answer.text
    assert SECRET not in answer.text
    assert await pending(hub) == 0


async def test_an_oversized_delivery_is_refused_before_it_is_read(receiver) -> None:
    client, hub = receiver
    body = delivery(pad=8000)
    answer = await client.post("/webhooks/jira", content=body, headers=signed(body))
    assert answer.status_code == 413
    assert await pending(hub) == 0


async def test_connectors_without_webhooks_and_unknown_ones_answer_404(receiver) -> None:
    client, _ = receiver
    assert (await client.post("/webhooks/snow", content=b"{}")).status_code == 404
    assert (await client.post("/webhooks/nobody", content=b"{}")).status_code == 404


async def test_the_queue_forgets_old_settled_events_only(receiver) -> None:
    _, hub = receiver
    from datetime import timedelta

    from itsmhub.store.webhooks import EventIn

    now = hub.clock()
    events = [EventIn(delivery_id=f"d{i}", remote_id=str(i), event_type="t") for i in range(3)]
    assert await hub.store.queue_webhook_events("jira", events, now - timedelta(days=3)) == (3, 0)
    first, *_ = await hub.store.pending_webhook_events("jira", 10)
    await hub.store.settle_webhook_events([first.id], EventStatus.DONE, at=now)
    assert await hub.store.purge_webhook_events(now - timedelta(days=1)) == 1
    assert await pending(hub) == 2  # pending ones are never forgotten
    assert await hub.store.queue_webhook_events("jira", events[1:], now) == (0, 2)


async def test_a_second_daemon_on_one_sqlite_file_refuses_to_start(systems, plugins) -> None:
    world = systems(incidents=0)
    config = load_config(world.config(), plugins)
    async with open_hub(config, plugins) as hub, Leases(hub.store, "first", total=3):
        with pytest.raises(AnotherDaemon, match="another itsmhub daemon already runs"):
            async with Leases(hub.store, "second", total=3):
                pass
