"""Verified webhook deliveries, queued durably before the vendor gets its 2xx.

Life of an event: ``pending`` (queued by the receiver) → ``done`` once its record was
read again through the API (or found gone, or left to polling), or ``dead`` after
repeated failures. A delivery id already queued for a connector is a duplicate and is
not queued again, whatever its status, for as long as the row is kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import delete, func, select, update

from itsmhub.model import RecordKind, UtcDateTime

from ._base import Operations
from .schema import webhook_events


class EventStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DEAD = "dead"


class EventIn(BaseModel):
    """One nudge to queue: record ``remote_id`` of a connector may have changed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    delivery_id: str
    kind: RecordKind | None = None
    remote_id: str
    event_type: str
    occurred_at: UtcDateTime | None = None


class QueuedEvent(BaseModel):
    """A queued event, as the daemon works it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: int
    connector: str
    delivery_id: str | None
    kind: RecordKind | None
    remote_id: str
    event_type: str
    status: EventStatus
    attempts: int
    received_at: UtcDateTime
    occurred_at: UtcDateTime | None = None
    processed_at: UtcDateTime | None = None
    error: str | None = None


class WebhookOperations(Operations):
    """Queue, list, settle and forget webhook events."""

    async def queue_webhook_events(
        self, connector: str, events: Sequence[EventIn], received_at: datetime
    ) -> tuple[int, int]:
        """Queue ``events`` in one transaction; return (queued, duplicates). An event whose
        delivery id the connector already has is a duplicate and is left out."""
        if not events:
            return 0, 0
        rows = [
            {
                "connector": connector,
                "delivery_id": event.delivery_id,
                "kind": event.kind.value if event.kind is not None else None,
                "remote_id": event.remote_id,
                "event_type": event.event_type[:200],
                "status": EventStatus.PENDING.value,
                "attempts": 0,
                "received_at": received_at,
                "occurred_at": event.occurred_at,
            }
            for event in {e.delivery_id: e for e in events}.values()
        ]
        insert = self._insert(webhook_events).values(rows)
        insert = insert.on_conflict_do_nothing(
            index_elements=[webhook_events.c.connector, webhook_events.c.delivery_id]
        )
        async with self._connect() as conn:
            queued = len((await conn.execute(insert.returning(webhook_events.c.id))).all())
        return queued, len(events) - queued

    async def pending_webhook_events(self, connector: str, limit: int) -> list[QueuedEvent]:
        """The oldest pending events of ``connector``."""
        query = (
            select(webhook_events)
            .where(
                webhook_events.c.connector == connector,
                webhook_events.c.status == EventStatus.PENDING.value,
            )
            .order_by(webhook_events.c.id)
            .limit(limit)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [QueuedEvent.model_validate(row._asdict()) for row in rows]

    async def count_webhook_events(self, connector: str, status: EventStatus) -> int:
        """How many events of ``connector`` have ``status``."""
        query = select(func.count()).where(
            webhook_events.c.connector == connector, webhook_events.c.status == status.value
        )
        async with self._connect(write=False) as conn:
            return int((await conn.execute(query)).scalar_one())

    async def settle_webhook_events(
        self,
        ids: Sequence[int],
        status: EventStatus,
        *,
        at: datetime,
        error: str | None = None,
    ) -> None:
        """Record the outcome of an attempt on events ``ids``: done or dead (with ``at``
        as when), or still pending after a failed try. Each counts one more attempt.
        ``error`` must be redacted."""
        if not ids:
            return
        values: dict[str, object] = {
            "status": status.value,
            "attempts": webhook_events.c.attempts + 1,
            "error": error[:2000] if error else None,
        }
        if status is not EventStatus.PENDING:
            values["processed_at"] = at
        change = update(webhook_events).where(webhook_events.c.id.in_(list(ids))).values(values)
        async with self._connect() as conn:
            await conn.execute(change)

    async def purge_webhook_events(self, before: datetime) -> int:
        """Forget events received before ``before`` that are no longer pending (their
        delivery ids stop counting as seen); returns how many."""
        query = delete(webhook_events).where(
            webhook_events.c.received_at < before,
            webhook_events.c.status != EventStatus.PENDING.value,
        )
        async with self._connect() as conn:
            result = await conn.execute(query)
        return int(result.rowcount or 0)


__all__ = ["EventIn", "EventStatus", "QueuedEvent", "WebhookOperations"]
