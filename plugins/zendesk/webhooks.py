"""Verifying Zendesk webhook deliveries (vendor-apis.md §4.7, sync-guarantees B.1/B.2).

``X-Zendesk-Webhook-Signature`` is ``base64(HMAC-SHA256(signing secret, timestamp + raw
body))`` with the timestamp of ``X-Zendesk-Webhook-Signature-Timestamp``; it is compared
in constant time, deliveries older or newer than five minutes are refused, and the secret
Zendesk publishes for test deliveries is refused outright: anyone can sign with it.
A verified delivery is a nudge to re-read the ticket, never data to apply.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from typing import Any

from pydantic import SecretStr, ValidationError

from itsmhub import (
    ConfigError,
    RecordKind,
    WebhookEvent,
    WebhookRejected,
    WebhookReply,
    WebhookRequest,
)

from .mapping import Target
from .payloads import Ticket

SIGNATURE = "x-zendesk-webhook-signature"
TIMESTAMP = "x-zendesk-webhook-signature-timestamp"
INVOCATION = "x-zendesk-webhook-invocation-id"
#: The signing secret of Zendesk's test deliveries, printed in its documentation.
TEST_SECRET = "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ=="  # noqa: S105 (public, refused)
TOLERANCE = timedelta(minutes=5)
MAX_BODY = 1024 * 1024


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature Zendesk sends: base64 of the HMAC-SHA256 digest of timestamp + body."""
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    return base64.b64encode(digest).decode()


def refuse_test_secret(secret: SecretStr) -> None:
    """ConfigError for the public test secret: a verifier trusting it trusts everyone."""
    if hmac.compare_digest(secret.get_secret_value().encode(), TEST_SECRET.encode()):
        raise ConfigError(
            "the webhook signing secret is Zendesk's public test secret",
            key="webhook_secret",
            fix="use the webhook's own secret (GET /api/v2/webhooks/{id}/signing_secret)",
        )


def verify(target: Target, secret: SecretStr | None, request: WebhookRequest) -> WebhookReply:
    """Check one delivery and say which ticket it announces."""
    if secret is None:
        raise WebhookRejected(
            "no webhook_secret is configured, so no delivery can be verified",
            fix="set webhook_secret to a reference to the webhook's signing secret",
        )
    refuse_test_secret(secret)
    if len(request.body) > MAX_BODY:
        raise WebhookRejected(f"the delivery's body is over {MAX_BODY} bytes")
    given, when = request.headers.get(SIGNATURE), request.headers.get(TIMESTAMP)
    if not given or not when:
        raise WebhookRejected("the delivery has no Zendesk signature or signature timestamp")
    try:
        signed_at = datetime.fromisoformat(when.replace("Z", "+00:00"))
    except ValueError:
        raise WebhookRejected("the signature timestamp is not an ISO-8601 time") from None
    if signed_at.tzinfo is None or abs(request.received_at - signed_at) > TOLERANCE:
        raise WebhookRejected("the signature timestamp is not within five minutes of now")
    expected = sign(secret.get_secret_value(), when, request.body)
    if not hmac.compare_digest(expected.encode(), given.strip().encode()):
        raise WebhookRejected("the delivery's signature does not match")
    return WebhookReply(events=tuple(_events(target, request)))


def _events(target: Target, request: WebhookRequest) -> list[WebhookEvent]:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        raise WebhookRejected("the delivery's body is not JSON") from None
    if not isinstance(body, dict):
        return []
    ticket = _ticket(body)
    if ticket is None:
        return []
    occurred = body.get("time")
    try:
        occurred_at = datetime.fromisoformat(str(occurred)) if occurred else None
    except ValueError:
        occurred_at = None
    kind: RecordKind | None = target.kind_of(ticket)
    return [
        WebhookEvent(
            kind=kind,
            remote_id=str(ticket.id),
            event_type=str(body.get("type") or "ticket"),
            delivery_id=request.headers.get(INVOCATION) or _text(body.get("id")),
            occurred_at=occurred_at,
        )
    ]


def _ticket(body: dict[str, Any]) -> Ticket | None:
    """The ticket a delivery names: an event subscription's ``detail`` (subject
    ``zen:ticket:<id>``), or a trigger's JSON with ``ticket`` or ``ticket_id``."""
    detail = body.get("detail") if isinstance(body.get("detail"), dict) else None
    subject = str(body.get("subject") or "")
    candidates: list[Any] = []
    if detail is not None:
        candidates.append(detail)
    if subject.startswith("zen:ticket:"):
        candidates.append({"id": subject.removeprefix("zen:ticket:")})
    if isinstance(body.get("ticket"), dict):
        candidates.append(body["ticket"])
    if body.get("ticket_id") is not None:
        candidates.append({"id": body["ticket_id"]})
    for candidate in candidates:
        # Event subscriptions write type and status in capitals (INCIDENT, OPEN).
        lowered = {
            k: v.lower() if k in ("type", "status") and isinstance(v, str) else v
            for k, v in candidate.items()
        }
        try:
            return Ticket.model_validate(lowered)
        except ValidationError:
            continue
    return None


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


__all__ = ["TEST_SECRET", "TOLERANCE", "refuse_test_secret", "sign", "verify"]
