"""What a connector has waiting, so a daemon worker knows when to wake for it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from ._base import Operations
from .models import OutboxStatus
from .schema import outbox

#: Rows a push run works: due rows, claims whose lease ran out, vendor jobs to follow.
_WORKED = (OutboxStatus.PENDING.value, OutboxStatus.IN_FLIGHT.value, OutboxStatus.DEFERRED.value)


class WorkloadOperations(Operations):
    """When a connector's outbox next needs pushing."""

    async def next_outbox_due(self, connector: str) -> datetime | None:
        """The earliest time one of ``connector``'s outbox rows is due (a retry, a claim
        whose lease runs out, a vendor job to check), or None when nothing waits."""
        query = select(func.min(outbox.c.next_attempt_at)).where(
            outbox.c.connector == connector, outbox.c.status.in_(_WORKED)
        )
        async with self._connect(write=False) as conn:
            due: datetime | None = (await conn.execute(query)).scalar_one_or_none()
        return due


__all__ = ["WorkloadOperations"]
