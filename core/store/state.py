"""Connector state: pull cursors (G2) and the leases that let one worker hold a pull loop."""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import JsonValue
from sqlalchemy import delete, or_, select

from ._base import Operations
from .schema import cursors, leases


class StateOperations(Operations):
    """Cursors and leases."""

    async def get_cursor(self, connector: str, stream: str) -> JsonValue | None:
        """The cursor stored for ``connector``'s ``stream``, or None before the first sync."""
        query = select(cursors.c.value).where(
            cursors.c.connector == connector, cursors.c.stream == stream
        )
        async with self._connect(write=False) as conn:
            value: JsonValue | None = (await conn.execute(query)).scalar_one_or_none()
        return value

    async def cursors_of(self, connector: str) -> dict[str, JsonValue]:
        """Every cursor stored for ``connector``, by stream name (sorted)."""
        query = (
            select(cursors.c.stream, cursors.c.value)
            .where(cursors.c.connector == connector)
            .order_by(cursors.c.stream)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return {row.stream: row.value for row in rows}

    async def put_cursor(self, connector: str, stream: str, value: JsonValue) -> None:
        """Store the cursor; call it in the transaction that stores what the page covered."""
        upsert = self._insert(cursors).values(
            connector=connector, stream=stream, value=value, updated_at=self._now()
        )
        upsert = upsert.on_conflict_do_update(
            index_elements=[cursors.c.connector, cursors.c.stream],
            set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
        )
        async with self._connect() as conn:
            await conn.execute(upsert)

    async def acquire_lease(
        self, name: str, holder: str, *, ttl: timedelta, now: datetime | None = None
    ) -> bool:
        """Take or renew lease ``name`` for ``ttl``; False while another holder's is unexpired.

        One atomic upsert, so two workers racing for a free lease cannot both win.
        """
        now = now or self._now()
        upsert = self._insert(leases).values(name=name, holder=holder, expires_at=now + ttl)
        upsert = upsert.on_conflict_do_update(
            index_elements=[leases.c.name],
            set_={"holder": upsert.excluded.holder, "expires_at": upsert.excluded.expires_at},
            where=or_(leases.c.holder == upsert.excluded.holder, leases.c.expires_at <= now),
        )
        async with self._connect() as conn:
            return (await conn.execute(upsert.returning(leases.c.name))).first() is not None

    async def release_lease(self, name: str, holder: str) -> bool:
        """Give lease ``name`` up early; False if ``holder`` did not hold it."""
        query = (
            delete(leases)
            .where(leases.c.name == name, leases.c.holder == holder)
            .returning(leases.c.name)
        )
        async with self._connect() as conn:
            return (await conn.execute(query)).first() is not None
