"""What every group of store operations builds on: a connection, a clock, upserts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from datetime import datetime

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.model import AnyRecordType

from .statistics import Growth

Upsert = sqlite.Insert | postgresql.Insert


class Operations:
    """Base of the operation mixins shared by :class:`Store` and :class:`StoreTransaction`.

    Each operation runs its statements inside ``self._connect()``: the store opens a fresh
    transaction per call there, a unit of work hands out its own open transaction.
    """

    _dialect: str
    _clock: Callable[[], datetime]
    _growth: Growth | None = None
    """PostgreSQL: rows written since tables were analysed (see ``statistics.py``)."""
    concurrent: bool = False
    """Whether operations may run at the same time, each on a connection of its own (a
    :class:`Store`); a unit of work shares one connection, so it runs them one by one."""

    def _connect(self, *, write: bool = True) -> AbstractAsyncContextManager[AsyncConnection]:
        """A connection inside a transaction; ``write=False`` promises to only read."""
        raise NotImplementedError

    async def _put_facts(self, conn: AsyncConnection, record: AnyRecordType) -> None:
        """Keep a ticket's facts current (FactOperations does it; others only call it)."""
        raise NotImplementedError

    def _now(self) -> datetime:
        return self._clock()

    def _insert(self, table: Table) -> Upsert:
        """An INSERT that can take ON CONFLICT clauses (both dialects spell it the same)."""
        if self._dialect == "postgresql":
            return postgresql.insert(table)
        return sqlite.insert(table)
