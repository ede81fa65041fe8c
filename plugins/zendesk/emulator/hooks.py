"""Webhooks: ticket events sent to the endpoints an admin registered, signed as Zendesk
signs them (``X-Zendesk-Webhook-Signature``: base64 HMAC-SHA256 of timestamp + body)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from .render import stamp
from .state import Account, Announcement, Webhook

Post = Callable[[str, bytes, Mapping[str, str]], Awaitable[int]]
"""Sends one delivery: (url, body, headers) → the status the endpoint answered."""
ACCOUNT_ID = 10_000_001
EVENT_VERSION = "2022-11-06"
#: Subscriptions that receive every ticket event.
ALL_TICKET_EVENTS = frozenset({"conditional_ticket_events", "zen:event-type:ticket.*"})
logger = logging.getLogger("itsmhub.emulator.zendesk")


def signature(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


async def http_post(url: str, body: bytes, headers: Mapping[str, str]) -> int:
    async with httpx.AsyncClient(timeout=10.0, trust_env=False) as client:
        return (await client.post(url, content=body, headers=dict(headers))).status_code


@dataclass(frozen=True)
class Delivery:
    """One delivery made, for tests and ``/_emulator/state``."""

    webhook_id: str
    event_type: str
    ticket_id: int
    status: int | None
    error: str | None = None


class Sender:
    """Turns the account's announcements into signed deliveries."""

    def __init__(self, account: Account, post: Post = http_post) -> None:
        self.account = account
        self.post = post
        self.deliveries: list[Delivery] = []

    def register(
        self,
        endpoint: str,
        *,
        name: str = "itsmhub",
        subscriptions: list[str] | None = None,
        secret: str | None = None,
    ) -> Webhook:
        webhook = Webhook(
            id=uuid.uuid4().hex[:26].upper(),
            name=name,
            endpoint=endpoint,
            secret=secret or self.account.webhook_secret,
            subscriptions=list(subscriptions or ["conditional_ticket_events"]),
            created_at=self.account.now(),
        )
        self.account.webhooks[webhook.id] = webhook
        return webhook

    async def flush(self) -> None:
        """Send what was announced since the last flush (endpoint failures are recorded,
        not retried: Zendesk's retry rules are not modelled)."""
        pending, self.account.announcements = self.account.announcements, []
        for announcement in pending:
            for webhook in list(self.account.webhooks.values()):
                if webhook.status == "active" and _wants(webhook, announcement.type):
                    await self._deliver(webhook, announcement)

    async def _deliver(self, webhook: Webhook, announcement: Announcement) -> None:
        body = json.dumps(envelope(announcement), separators=(",", ":")).encode()
        when = stamp(self.account.now())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Zendesk Webhook",
            "X-Zendesk-Account-Id": str(ACCOUNT_ID),
            "X-Zendesk-Webhook-Id": webhook.id,
            "X-Zendesk-Webhook-Invocation-Id": uuid.uuid4().hex,
            "X-Zendesk-Webhook-Signature": signature(webhook.secret, when, body),
            "X-Zendesk-Webhook-Signature-Timestamp": when,
        }
        ticket_id = announcement.ticket.id
        try:
            status = await self.post(webhook.endpoint, body, headers)
        except httpx.HTTPError as exc:
            logger.info("webhook %s to %s failed: %s", webhook.id, webhook.endpoint, exc)
            self.deliveries.append(
                Delivery(webhook.id, announcement.type, ticket_id, None, str(exc))
            )
            return
        self.deliveries.append(Delivery(webhook.id, announcement.type, ticket_id, status))


def _wants(webhook: Webhook, event_type: str) -> bool:
    subscriptions = set(webhook.subscriptions)
    return (
        bool(subscriptions & ALL_TICKET_EVENTS) or f"zen:event-type:{event_type}" in subscriptions
    )


def envelope(announcement: Announcement) -> dict[str, Any]:
    """A ticket event as event-subscription webhooks carry it."""
    ticket = announcement.ticket
    detail = {
        "id": str(ticket.id),
        "external_id": ticket.external_id,
        "type": (ticket.type or "").upper() or None,
        "status": ("DELETED" if ticket.deleted else ticket.status.upper()),
        "priority": (ticket.priority or "").upper() or None,
        "subject": ticket.subject,
        "requester_id": str(ticket.requester_id),
        "assignee_id": str(ticket.assignee_id) if ticket.assignee_id else None,
        "group_id": str(ticket.group_id) if ticket.group_id else None,
        "tags": list(ticket.tags),
        "created_at": stamp(ticket.created_at),
        "updated_at": stamp(ticket.updated_at),
    }
    event: dict[str, Any] = {}
    for name, value in announcement.event.items():
        if name == "comment":
            event["comment"] = {
                "id": str(value.id),
                "body": value.body,
                "is_public": value.public,
                "author": {"id": str(value.author_id)},
            }
        else:
            event[name] = value
    return {
        "type": f"zen:event-type:{announcement.type}",
        "account_id": ACCOUNT_ID,
        "id": str(uuid.uuid4()),
        "time": stamp(announcement.at),
        "zendesk_event_version": EVENT_VERSION,
        "subject": f"zen:ticket:{ticket.id}",
        "detail": detail,
        "event": event,
    }


__all__ = ["ACCOUNT_ID", "Delivery", "Post", "Sender", "envelope", "http_post", "signature"]
