"""Admin webhooks: verify the signature, then say which issues may have changed.

A Jira admin webhook with a secret signs each delivery with ``X-Hub-Signature:
sha256=<hex HMAC-SHA256 of the raw body>`` and names it with
``X-Atlassian-Webhook-Identifier``, which stays the same across retries (vendor-apis.md
§2.8, sync-guarantees.md B.1–B.2). The payload only nudges: the engine re-reads the issue
through the API, so a delivery never writes state by itself.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from itsmhub import RecordKind, WebhookEvent, WebhookRejected, WebhookReply, WebhookRequest

SIGNATURE = "x-hub-signature"
IDENTIFIER = "x-atlassian-webhook-identifier"
MAX_BODY = 1024 * 1024
#: Jira retries a failed delivery up to five times, minutes apart: older ones are replays.
FRESHNESS = timedelta(hours=1)
#: Clock skew allowed for a delivery stamped in the future.
SKEW = timedelta(minutes=5)


def signature(secret: str, body: bytes) -> str:
    """The header value Jira sends for ``body``: ``sha256=<hex>``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify(
    request: WebhookRequest,
    secret: str | None,
    kind_of: Any,
) -> WebhookReply:
    """Check the delivery and read its events; :class:`WebhookRejected` if it is not
    authentic or not fresh. ``kind_of(issue_type, labels)`` names an issue's record kind."""
    if not secret:
        raise WebhookRejected(
            "no webhook secret is configured, so no delivery can be verified",
            fix="set webhook_secret to the secret of the Jira admin webhook",
        )
    if request.method.upper() != "POST":
        raise WebhookRejected(f"a webhook delivery is a POST, not a {request.method}")
    if len(request.body) > MAX_BODY:
        raise WebhookRejected(f"the delivery is larger than {MAX_BODY} bytes")
    given = request.headers.get(SIGNATURE, "")
    method, _, digest = given.partition("=")
    if method.lower() != "sha256" or not digest:
        raise WebhookRejected(f"the delivery has no sha256 {SIGNATURE} header")
    expected = signature(secret, request.body)
    if not hmac.compare_digest(expected.encode(), f"sha256={digest.lower()}".encode()):
        raise WebhookRejected("the delivery's signature does not match the webhook secret")
    try:
        payload = json.loads(request.body)
    except ValueError:
        raise WebhookRejected("the signed delivery is not JSON") from None
    if not isinstance(payload, dict):
        raise WebhookRejected("the signed delivery is not a JSON object")
    occurred = _stamp(payload.get("timestamp"))
    if occurred is None:
        raise WebhookRejected("the delivery has no timestamp")
    if not request.received_at - FRESHNESS <= occurred <= request.received_at + SKEW:
        raise WebhookRejected(
            f"the delivery is stamped {occurred.isoformat()}, outside the hour Jira retries in"
        )
    delivery = request.headers.get(IDENTIFIER) or None
    return WebhookReply(events=tuple(_events(payload, occurred, delivery, kind_of)))


def _stamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value / 1000, UTC)


def _events(
    payload: dict[str, Any], occurred: datetime, delivery: str | None, kind_of: Any
) -> list[WebhookEvent]:
    event_type = str(payload.get("webhookEvent") or "unknown")
    issues: list[tuple[str, RecordKind | None]] = []
    issue = payload.get("issue")
    if isinstance(issue, dict) and isinstance(issue.get("id"), str | int):
        fields = issue.get("fields") if isinstance(issue.get("fields"), dict) else {}
        issue_type = (fields.get("issuetype") or {}).get("name") if fields else None
        labels = fields.get("labels") if fields else None
        issues.append((str(issue["id"]), kind_of(issue_type, labels or [])))
    link = payload.get("issueLink")
    if isinstance(link, dict):  # issuelink_created/deleted name both ends by id
        for end in ("sourceIssueId", "destinationIssueId"):
            if isinstance(link.get(end), str | int):
                issues.append((str(link[end]), None))
    return [
        WebhookEvent(
            kind=kind,
            remote_id=remote_id,
            event_type=event_type,
            delivery_id=f"{delivery}:{remote_id}" if delivery and len(issues) > 1 else delivery,
            occurred_at=occurred,
        )
        for remote_id, kind in dict(issues).items()
    ]


__all__ = ["FRESHNESS", "IDENTIFIER", "SIGNATURE", "signature", "verify"]
