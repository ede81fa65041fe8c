"""Verifying webhook deliveries: the recipe of sync-guarantees B.2, case by case."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from itsmhub import ConfigError, RecordKind, WebhookRejected, WebhookRequest
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import Seeder, Support
from itsmhub_zendesk.webhooks import TEST_SECRET, sign

SECRET = "zendesk-emulator-signing-secret"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
STAMP = "2026-03-02T09:00:00Z"
BODY = json.dumps(
    {
        "type": "zen:event-type:ticket.status_changed",
        "id": "5c1d7a9e",
        "time": STAMP,
        "subject": "zen:ticket:42",
        "detail": {"id": "42", "type": "INCIDENT", "status": "OPEN", "tags": []},
    }
).encode()


def delivery(
    body: bytes = BODY,
    *,
    stamp: str = STAMP,
    secret: str = SECRET,
    at: datetime = NOW,
    **headers: str,
) -> WebhookRequest:
    signed = {
        "X-Zendesk-Webhook-Signature": sign(secret, stamp, body),
        "X-Zendesk-Webhook-Signature-Timestamp": stamp,
        "X-Zendesk-Webhook-Invocation-Id": "inv-1",
    }
    return WebhookRequest(headers=signed | headers, body=body, received_at=at)


@pytest.fixture
def verifier(connector_for) -> ZendeskConnector:
    return connector_for(None)


def test_a_signed_fresh_delivery_names_its_ticket(verifier: ZendeskConnector) -> None:
    reply = verifier.verify_webhook(delivery())
    [event] = reply.events
    assert (event.remote_id, event.kind, event.delivery_id) == ("42", RecordKind.INCIDENT, "inv-1")
    assert event.event_type == "zen:event-type:ticket.status_changed"
    assert event.occurred_at == NOW
    late = delivery(at=NOW + timedelta(minutes=4, seconds=59))
    assert verifier.verify_webhook(late).events


@pytest.mark.parametrize(
    "request_",
    [
        delivery(secret="another secret"),
        delivery(at=NOW + timedelta(minutes=5, seconds=1)),
        delivery(at=NOW - timedelta(minutes=6)),
        delivery(stamp="yesterday"),
        delivery(stamp="2026-03-02T09:00:00"),
        delivery(**{"X-Zendesk-Webhook-Signature": "AAAA"}),
        WebhookRequest(body=BODY, received_at=NOW),
        WebhookRequest(
            headers={
                "X-Zendesk-Webhook-Signature": sign(SECRET, STAMP, BODY),
                "X-Zendesk-Webhook-Signature-Timestamp": STAMP,
            },
            body=BODY + b" ",
            received_at=NOW,
        ),
        delivery(b"x" * (1024 * 1024 + 1)),
        delivery(b"{not json"),
    ],
    ids=[
        "wrong secret",
        "from the future",
        "stale",
        "unreadable timestamp",
        "timestamp without zone",
        "forged signature",
        "unsigned",
        "tampered body",
        "oversize",
        "signed garbage",
    ],
)
def test_what_is_not_authentic_fresh_and_sane_is_rejected(
    verifier: ZendeskConnector, request_: WebhookRequest
) -> None:
    with pytest.raises(WebhookRejected):
        verifier.verify_webhook(request_)


@pytest.mark.anyio
async def test_the_public_test_secret_is_refused_outright(connector_for, transport) -> None:
    connector = connector_for(transport, webhook_secret="env:ZD_TEST_HOOK")
    with pytest.raises(ConfigError, match="public test secret"):
        connector.verify_webhook(delivery(secret=TEST_SECRET))
    result = await connector.check()
    [item] = [i for i in result.items if i.name == "webhook secret"]
    assert not item.ok and not result.ok


def test_without_a_secret_nothing_is_accepted(connector_for) -> None:
    connector = connector_for(None, webhook_secret=None)
    with pytest.raises(WebhookRejected, match="no webhook_secret"):
        connector.verify_webhook(delivery())


def test_trigger_bodies_and_bodies_naming_no_ticket(verifier: ZendeskConnector) -> None:
    trigger = json.dumps({"ticket": {"id": 7, "type": "problem", "tags": ["known_error"]}})
    [event] = verifier.verify_webhook(delivery(trigger.encode())).events
    assert (event.remote_id, event.kind, event.event_type) == (
        "7",
        RecordKind.KNOWN_ERROR,
        "ticket",
    )
    by_id = json.dumps({"ticket_id": 8}).encode()
    assert verifier.verify_webhook(delivery(by_id)).events[0].kind is None
    assert verifier.verify_webhook(delivery(b"[]")).events == ()
    assert verifier.verify_webhook(delivery(b"{}")).events == ()


@pytest.mark.anyio
async def test_the_emulators_deliveries_verify(
    support: Support, posts, connector_for, clock
) -> None:
    support.sender.register("https://hub.example.com/hooks")
    Seeder(support).ticket("VPN down", type="incident")
    await support.sender.flush()
    [(_, body, headers)] = posts.sent
    connector = connector_for(None)
    reply = connector.verify_webhook(
        WebhookRequest(headers=headers, body=body, received_at=clock.now())
    )
    [event] = reply.events
    assert event.kind is RecordKind.INCIDENT and event.event_type.endswith("ticket.created")
