"""What the sync engine asks of the store beyond the basic operations."""

from __future__ import annotations

from sqlalchemy import select, update

from ._base import Operations
from .models import Base, OutboxItem, OutboxOperation, OutboxStatus
from .schema import bases, outbox

_WAITING = (OutboxStatus.PENDING.value, OutboxStatus.IN_FLIGHT.value)


class SyncQueryOperations(Operations):
    """Lookups for the engine, and recovery of rows a dead worker held."""

    async def outbox_by_marker(self, marker: str) -> OutboxItem | None:
        """The outbox row carrying ``marker``, whatever its status, or None."""
        query = select(outbox).where(outbox.c.correlation_marker == marker)
        async with self._connect(write=False) as conn:
            row = (await conn.execute(query)).one_or_none()
        return OutboxItem.from_row(row) if row else None

    async def waiting_items(
        self, connector: str, record_id: str, operation: OutboxOperation
    ) -> list[OutboxItem]:
        """Rows of one operation for one record that are still pending or in flight."""
        query = (
            select(outbox)
            .where(
                outbox.c.connector == connector,
                outbox.c.record_id == record_id,
                outbox.c.operation == operation.value,
                outbox.c.status.in_(_WAITING),
            )
            .order_by(outbox.c.id)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [OutboxItem.from_row(row) for row in rows]

    async def release_in_flight(self, connector: str) -> int:
        """Make rows left in flight by a dead worker due again; returns how many.

        Call only while holding the connector's worker lock: then no live worker owns them.
        Their attempt count stays, so a create first looks its marker up (G3).
        """
        now = self._now()
        change = (
            update(outbox)
            .where(outbox.c.connector == connector, outbox.c.status == OutboxStatus.IN_FLIGHT.value)
            .values(status=OutboxStatus.PENDING.value, next_attempt_at=now, updated_at=now)
            .returning(outbox.c.id)
        )
        async with self._connect() as conn:
            return len((await conn.execute(change)).all())

    async def bases_of(self, record_id: str) -> list[Base]:
        """Every system's base for one record."""
        query = select(bases).where(bases.c.record_id == record_id).order_by(bases.c.system)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [Base.model_validate(row._asdict()) for row in rows]
