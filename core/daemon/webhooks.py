"""The webhook receiver: ``POST /webhooks/{connector}`` (and Okta's verification GET).

Per delivery, in order (sync-guarantees.md B.2): the declared size, then the raw bytes
read within ``[daemon] body_timeout`` and up to ``max_body_bytes``; the connector's own
verification (signature or shared secret, compared in constant time); freshness against
``[daemon] replay_window``; then the events are queued in the store, each under its
delivery id, and only then answered 202. A delivery id seen before is not queued again
(answered 200, so a vendor retrying after a lost answer stops). The payload never writes
a record: each event makes the connector's lane read its record again.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response

from ..engine import Hub
from ..errors import NotImplementedYet, WebhookRejected
from ..exchange import WebhookEvent, WebhookRequest
from ..store.webhooks import EventIn
from .metrics import Metrics

log = logging.getLogger("itsmhub.daemon.webhooks")

#: A delivery stamped this far in the future is refused (clock skew allowance).
SKEW = timedelta(minutes=5)


class _TooLarge(Exception):
    pass


@dataclass
class Receiver:
    """Receives deliveries for the hub's connectors; ``nudge(name)`` wakes a lane."""

    hub: Hub
    metrics: Metrics
    nudge: Callable[[str], None]
    max_body: int
    body_timeout: timedelta
    replay_window: timedelta

    async def receive(self, request: Request) -> Response:
        name = request.path_params["connector"]
        connector = self.hub.connectors.get(name)
        if connector is None or "verify_webhook" not in type(connector).capabilities():
            return self._refuse(name, 404, "not_found", f"no connector {name!r} takes webhooks")
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return self._too_large(name)
        try:
            with anyio.fail_after(self.body_timeout.total_seconds()):
                body = await self._read(request)
        except _TooLarge:
            return self._too_large(name)
        except TimeoutError:
            return self._refuse(name, 408, "timeout", "the delivery took too long to arrive")
        except ClientDisconnect:
            return self._refuse(name, 400, "disconnected", "the sender went away")
        received = self.hub.clock()
        delivery = WebhookRequest(
            method=request.method, headers=dict(request.headers), body=body, received_at=received
        )
        try:
            reply = connector.verify_webhook(delivery)
        except WebhookRejected as exc:
            return self._refuse(name, 401, "rejected", exc.message)
        except NotImplementedYet:
            return self._refuse(name, 404, "not_found", f"connector {name!r} takes no webhooks")
        if reply.challenge is not None:
            self.metrics.webhooks.labels(name, "challenge").inc()
            return JSONResponse(reply.challenge)
        stale = [e for e in reply.events if not self._fresh(e, received)]
        if stale:
            return self._refuse(
                name, 401, "stale", f"an event is stamped outside the {self.replay_window} window"
            )
        events = [_event_in(e, name, body) for e in reply.events]
        queued, duplicates = await self.hub.store.queue_webhook_events(name, events, received)
        if queued:
            self.metrics.webhooks.labels(name, "queued").inc()
            self.nudge(name)
        elif duplicates:
            self.metrics.webhooks.labels(name, "duplicate").inc()
            log.info("%s: a delivery already received came again; not queued", name)
        else:
            self.metrics.webhooks.labels(name, "empty").inc()
        status = 202 if queued else 200
        return JSONResponse({"queued": queued, "duplicates": duplicates}, status_code=status)

    async def _read(self, request: Request) -> bytes:
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise _TooLarge
            chunks.append(chunk)
        return b"".join(chunks)

    def _fresh(self, event: WebhookEvent, received: datetime) -> bool:
        if event.occurred_at is None:
            return True
        return received - self.replay_window <= event.occurred_at <= received + SKEW

    def _too_large(self, name: str) -> Response:
        return self._refuse(
            name, 413, "too_large", f"a delivery may hold at most {self.max_body} bytes"
        )

    def _refuse(self, name: str, status: int, result: str, reason: str) -> Response:
        # Logged without headers or body: they hold signatures and record data.
        self.metrics.webhooks.labels(name if name in self.hub.connectors else "-", result).inc()
        log.warning(
            "refused a webhook delivery for %s (%d): %s",
            name,
            status,
            reason,
            extra={"event": "webhook_refused", "connector": name, "status": status},
        )
        return JSONResponse({"error": reason}, status_code=status)


def _event_in(event: WebhookEvent, name: str, body: bytes) -> EventIn:
    """The event as queued. One without a vendor delivery id is keyed by the digest of
    the delivery that carried it, so the same delivery replayed is still a duplicate."""
    delivery = event.delivery_id
    if not delivery:
        digest = hashlib.sha256(name.encode() + b"\0" + body).hexdigest()[:40]
        delivery = f"sha256:{digest}:{event.remote_id}"
    return EventIn(
        delivery_id=delivery[:200],
        kind=event.kind,
        remote_id=event.remote_id,
        event_type=event.event_type,
        occurred_at=event.occurred_at,
    )


__all__ = ["SKEW", "Receiver"]
