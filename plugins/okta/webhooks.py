"""Okta event hooks (vendor-apis.md §5.7, sync-guarantees B.1): no signature, a shared
``Authorization`` value compared in constant time; a one-time verification GET whose
challenge is echoed; deliveries of System Log events, each a nudge to read the users and
devices it names again.
"""

from __future__ import annotations

import hmac
import json

from itsmhub import RecordKind, WebhookEvent, WebhookRejected, WebhookReply, WebhookRequest

from .mapping import parse_time

MAX_BODY = 1 << 20  # 1 MiB: Okta batches at most a few hundred events per delivery
CHALLENGE_HEADER = "x-okta-verification-challenge"
KINDS = {"User": RecordKind.PERSON, "Device": RecordKind.DEVICE}


def _authorized(request: WebhookRequest, secret: str | None) -> bool:
    if secret is None:
        return False
    given = request.headers.get("authorization", "").encode()
    return hmac.compare_digest(given, secret.encode())


def verify(request: WebhookRequest, secret: str | None) -> WebhookReply:
    """Check the shared value, then answer the challenge or read the events."""
    if secret is None:
        raise WebhookRejected("event hooks are not accepted: set event_hook_secret")
    if not _authorized(request, secret):
        raise WebhookRejected("the Authorization header does not match event_hook_secret")
    if request.method.upper() == "GET":
        challenge = request.headers.get(CHALLENGE_HEADER)
        if not challenge:
            raise WebhookRejected("a GET without X-Okta-Verification-Challenge")
        return WebhookReply(challenge={"verification": challenge})
    if len(request.body) > MAX_BODY:
        raise WebhookRejected(f"the body is over {MAX_BODY} bytes")
    content_type = request.headers.get("content-type", "application/json")
    if not content_type.startswith("application/json"):
        raise WebhookRejected(f"expected application/json, got {content_type}")
    try:
        body = json.loads(request.body)
        events = body["data"]["events"]
    except (ValueError, KeyError, TypeError):
        raise WebhookRejected("the body is not an Okta event hook delivery") from None
    if not isinstance(events, list):
        raise WebhookRejected("data.events is not a list")
    return WebhookReply(events=tuple(_nudges(events)))


def _nudges(events: list) -> list[WebhookEvent]:
    """One nudge per user or device an event names. An event names several (a membership
    names a user and a group), so the delivery id is the event's uuid with the target's
    id: a retried delivery repeats both and is dropped as a duplicate."""
    out = []
    for event in events:
        if not isinstance(event, dict) or not isinstance(event.get("uuid"), str):
            continue
        targets = event.get("target") if isinstance(event.get("target"), list) else []
        for target in targets:
            kind = KINDS.get(str(target.get("type"))) if isinstance(target, dict) else None
            if kind is None or not isinstance(target.get("id"), str):
                continue
            out.append(
                WebhookEvent(
                    kind=kind,
                    remote_id=target["id"],
                    event_type=str(event.get("eventType", "")),
                    delivery_id=f"{event['uuid']}/{target['id']}",
                    occurred_at=parse_time(event.get("published")),
                )
            )
    return out
