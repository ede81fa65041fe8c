"""The durable outbox (G1, G3, G9): what each connector must still write to its system.

Life of a row: ``pending`` (due at ``next_attempt_at``) → claimed ``in_flight`` →
``done``, or back to ``pending`` with a later ``next_attempt_at`` after a failure, or
``dead`` when the caller gives up (and dead-letters it). A claim is a lease: an in-flight
row whose ``next_attempt_at`` has passed is claimable again, so a worker killed mid-call
never strands its rows; G1/G3 make the repeated call harmless.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from pydantic import JsonValue
from sqlalchemy import JSON, BigInteger, Select, Text, bindparam, cast, func, select, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncConnection

from ._base import Operations
from .errors import NotFound
from .models import OutboxItem, OutboxItemIn, OutboxStatus
from .schema import WAITING, outbox

#: How long a claim lasts before another worker may take the row over.
CLAIM_LEASE = timedelta(minutes=5)
#: Earlier attempts' intents a row keeps (the newest): each retry with other values adds
#: one, and a row is retried a handful of times before it is dead-lettered.
EARLIER_INTENTS = 8


def due_rows(connector: str, now: datetime, limit: int) -> Select[tuple[int]]:
    """The ids of ``connector``'s oldest due rows, locked (``ix_outbox_due`` order)."""
    return (
        select(outbox.c.id)
        .where(outbox.c.connector == connector, WAITING, outbox.c.next_attempt_at <= now)
        .order_by(outbox.c.next_attempt_at, outbox.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # ignored by SQLite, which has no row locks
    )


class OutboxOperations(Operations):
    """Enqueue, claim, settle."""

    async def enqueue(self, item: OutboxItemIn) -> int:
        """Add ``item``; return its id. An item whose correlation marker is already in the
        outbox is not added again: the existing row's id comes back (whatever its status)."""
        now = self._now()
        insert = self._insert(outbox).values(
            connector=item.connector,
            record_id=item.record_id,
            operation=item.operation.value,
            payload=item.payload,
            correlation_marker=item.correlation_marker,
            status=OutboxStatus.PENDING.value,
            attempts=0,
            next_attempt_at=item.next_attempt_at or now,
            created_at=now,
            updated_at=now,
        )
        insert = insert.on_conflict_do_nothing(index_elements=[outbox.c.correlation_marker])
        async with self._connect() as conn:
            new_id = (await conn.execute(insert.returning(outbox.c.id))).scalar_one_or_none()
            if new_id is not None:
                return int(new_id)
            query = select(outbox.c.id).where(
                outbox.c.correlation_marker == item.correlation_marker
            )
            return int((await conn.execute(query)).scalar_one())

    async def claim_due(
        self, connector: str, now: datetime, limit: int, *, lease: timedelta = CLAIM_LEASE
    ) -> list[OutboxItem]:
        """Claim up to ``limit`` due rows of ``connector``, oldest due first, for ``lease``.

        Claimed rows become ``in_flight`` with one more attempt. Concurrent claimers never
        get the same row: PostgreSQL skips rows another claim has locked (FOR UPDATE SKIP
        LOCKED); SQLite runs one writing transaction at a time.
        """
        claim = (
            update(outbox)
            .where(outbox.c.id.in_(due_rows(connector, now, limit).scalar_subquery()))
            .values(
                status=OutboxStatus.IN_FLIGHT.value,
                attempts=outbox.c.attempts + 1,
                next_attempt_at=now + lease,
                updated_at=now,
            )
            .returning(*outbox.c)
        )
        async with self._connect() as conn:
            rows = (await conn.execute(claim)).all()
        return sorted((OutboxItem.from_row(row) for row in rows), key=_by_id)

    async def record_intents(
        self, intents: list[tuple[OutboxItem, JsonValue]], now: datetime
    ) -> None:
        """Keep on each claimed row what its attempt is about to send, before the vendor
        call: a write whose answer (or commit) is lost is then recognised when it comes
        back.

        What an earlier attempt sent (the claimed row's ``sent``), if it differs, moves to
        ``sent_earlier``: that attempt may have reached the vendor too, its answer lost,
        and its values come back as well (up to ``EARLIER_INTENTS`` of them, the newest).
        A claim holds its rows, so what it read is what they hold."""
        if not intents:
            return
        rows = [(item.id, sent, _earlier(item, sent)) for item, sent in intents]
        async with self._connect() as conn:
            if conn.dialect.name == "postgresql":
                await _record_intents_at_once(conn, rows, now)
                return
            change = (
                update(outbox)
                .where(outbox.c.id == bindparam("b_id"))
                .values(
                    sent=bindparam("b_sent"),
                    sent_earlier=bindparam("b_earlier"),
                    first_attempt_at=func.coalesce(outbox.c.first_attempt_at, bindparam("b_now")),
                )
            )
            await conn.execute(
                change,
                [
                    {"b_id": i, "b_sent": sent, "b_earlier": earlier, "b_now": now}
                    for i, sent, earlier in rows
                ],
            )

    async def due_jobs(self, connector: str, now: datetime, limit: int) -> list[OutboxItem]:
        """Rows of ``connector`` waiting on a vendor job whose check is due, by job."""
        query = (
            select(outbox)
            .where(
                outbox.c.connector == connector,
                outbox.c.status == OutboxStatus.DEFERRED.value,
                outbox.c.next_attempt_at <= now,
            )
            .order_by(outbox.c.job_id, outbox.c.job_position, outbox.c.id)
            .limit(limit)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [OutboxItem.from_row(row) for row in rows]

    async def complete(self, item_id: int) -> None:
        """The remote call succeeded: the row is done."""
        await self._settle(item_id, status=OutboxStatus.DONE.value, updated_at=self._now())

    async def fail(self, item_id: int, error: str, next_attempt_at: datetime) -> None:
        """The call failed and will be retried at ``next_attempt_at``. ``error`` must be
        redacted (no secrets, headers or raw bodies). A row already done stays done."""
        await self._settle(
            item_id,
            status=OutboxStatus.PENDING.value,
            last_error=error,
            next_attempt_at=next_attempt_at,
            updated_at=self._now(),
        )

    async def mark_dead(self, item_id: int, error: str) -> None:
        """Give up on the row (the caller dead-letters it); ``error`` must be redacted."""
        await self._settle(
            item_id, status=OutboxStatus.DEAD.value, last_error=error, updated_at=self._now()
        )

    async def requeue(self, item_id: int, *, next_attempt_at: datetime | None = None) -> None:
        """Replay a dead (or done) row: pending again with a fresh attempt count.

        The row keeps its correlation marker, which keeps a replayed create idempotent.
        """
        now = self._now()
        change = (
            update(outbox)
            .where(outbox.c.id == item_id)
            .values(
                status=OutboxStatus.PENDING.value,
                attempts=0,
                next_attempt_at=next_attempt_at or now,
                updated_at=now,
            )
            .returning(outbox.c.id)
        )
        async with self._connect() as conn:
            if (await conn.execute(change)).first() is None:
                raise NotFound(f"there is no outbox item {item_id}")

    async def get_outbox_item(self, item_id: int) -> OutboxItem | None:
        """One outbox row by id, or None."""
        async with self._connect(write=False) as conn:
            row = (await conn.execute(select(outbox).where(outbox.c.id == item_id))).one_or_none()
        return OutboxItem.from_row(row) if row else None

    async def outbox_depth(self, connector: str) -> int:
        """How many rows of ``connector`` are waiting or in flight (for backpressure)."""
        query = select(func.count()).where(outbox.c.connector == connector, WAITING)
        async with self._connect(write=False) as conn:
            return int((await conn.execute(query)).scalar_one())

    async def _settle(self, item_id: int, **values: Any) -> None:
        # A row that is done stays done: a late failure report from a worker whose claim
        # expired must not send it out again.
        change = (
            update(outbox)
            .where(outbox.c.id == item_id, outbox.c.status != OutboxStatus.DONE.value)
            .values(**values)
            .returning(outbox.c.id)
        )
        async with self._connect() as conn:
            if (await conn.execute(change)).first() is None:
                await _must_exist(conn, item_id)


async def _must_exist(conn: AsyncConnection, item_id: int) -> None:
    query = select(outbox.c.id).where(outbox.c.id == item_id)
    if (await conn.execute(query)).first() is None:
        raise NotFound(f"there is no outbox item {item_id}")


def _by_id(item: OutboxItem) -> int:
    return item.id


def _earlier(item: OutboxItem, sent: JsonValue) -> list[JsonValue] | None:
    """What the row's earlier attempts sent, with its last one if this one differs."""
    earlier = list(item.sent_earlier or [])
    if item.sent is not None and item.sent != sent and item.sent not in earlier:
        earlier = [*earlier, item.sent][-EARLIER_INTENTS:]
    return earlier or None


async def _record_intents_at_once(
    conn: AsyncConnection,
    rows: list[tuple[int, JsonValue, list[JsonValue] | None]],
    now: datetime,
) -> None:
    """PostgreSQL: every row's intents in one statement over arrays, not one per row."""
    to_json = outbox.c.sent.type.dialect_impl(conn.dialect).bind_processor(conn.dialect)
    assert to_json is not None
    given = (
        func.unnest(
            bindparam("ids", type_=postgresql.ARRAY(BigInteger)),
            bindparam("sents", type_=postgresql.ARRAY(Text)),
            bindparam("earliers", type_=postgresql.ARRAY(Text)),
        )
        .table_valued("id", "sent", "earlier")
        .render_derived(name="given")
    )
    change = (
        update(outbox)
        .where(outbox.c.id == given.c.id)
        .values(
            sent=cast(given.c.sent, JSON),
            sent_earlier=cast(given.c.earlier, JSON),
            first_attempt_at=func.coalesce(outbox.c.first_attempt_at, bindparam("b_now")),
        )
    )
    await conn.execute(
        change,
        {
            "ids": [i for i, _, _ in rows],
            "sents": [to_json(sent) for _, sent, _ in rows],
            "earliers": [None if earlier is None else to_json(earlier) for _, _, earlier in rows],
            "b_now": now,
        },
    )
