"""The :class:`Store` and its unit of work, :class:`StoreTransaction`.

Both classes carry the same typed operations (records, refs, links, bases, cursors, audit,
dead letters, outbox, leases), written once in the ``*Operations`` mixins:

- on a :class:`Store`, each call runs in a transaction of its own and commits on return;
- on the :class:`StoreTransaction` that ``store.transaction()`` yields, every call joins
  one transaction, committed when the block exits and rolled back if it raises. That is
  how the engine stores a page of records, their bases and the cursor atomically (G2)::

      async with await Store.open("sqlite:///var/lib/itsmhub/itsmhub.db") as store:
          async with store.transaction() as tx:
              for record, base in page:
                  await tx.put_record(record)
                  await tx.put_base(base)
              await tx.put_cursor("jira", "issues", cursor)

On SQLite a writing transaction (any unit of work, any write on the store) begins with
``BEGIN IMMEDIATE``, so writers queue on the busy timeout instead of failing halfway; the
store's read methods begin a deferred transaction and never wait for a writer. PostgreSQL
runs at the server's default isolation (READ COMMITTED): for read-modify-write of a record,
read it with ``get_stored`` and write it with ``put_record(..., expected_version=...)``.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import anyio
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from itsmhub.errors import StoreError
from itsmhub.model import utcnow

from .batch_reads import BatchReadOperations
from .batch_writes import BatchWriteOperations
from .cache import CacheOperations
from .engine import FACTS_REVISION, READ_ONLY, MigrationResult, open_engine
from .facts import FactOperations
from .journal import JournalOperations
from .locks import worker_lock
from .outbox import OutboxOperations
from .people import PeopleOperations
from .records import RecordOperations
from .reporting import ReportingOperations
from .runs import RunOperations
from .state import StateOperations
from .statistics import Growth
from .sync_queries import SyncQueryOperations
from .views import ViewOperations
from .webhooks import WebhookOperations
from .workload import WorkloadOperations

if TYPE_CHECKING:
    from .rehearsal import Rehearsal

log = logging.getLogger("itsmhub.store")


class _AllOperations(
    RecordOperations,
    FactOperations,
    StateOperations,
    JournalOperations,
    OutboxOperations,
    SyncQueryOperations,
    RunOperations,
    BatchReadOperations,
    BatchWriteOperations,
    CacheOperations,
    ReportingOperations,
    ViewOperations,
    PeopleOperations,
    WebhookOperations,
    WorkloadOperations,
):
    """Every store operation; subclasses only say where the connection comes from."""


class StoreTransaction(_AllOperations):
    """A unit of work: every operation on it shares one database transaction."""

    def __init__(
        self,
        connection: AsyncConnection,
        *,
        dialect: str,
        clock: Callable[[], datetime],
        growth: Growth | None = None,
    ) -> None:
        self._connection = connection
        self._dialect = dialect
        self._clock = clock
        self._growth = growth
        self._open = True

    @asynccontextmanager
    async def _connect(self, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        if not self._open:
            raise StoreError("this store transaction has already ended; start a new one")
        yield self._connection


class Store(_AllOperations):
    """The state store. Open it with :meth:`open` (or :func:`open_store`), close it after."""

    concurrent = True

    def __init__(
        self, engine: AsyncEngine, migration: MigrationResult, *, clock: Callable[[], datetime]
    ) -> None:
        self.engine = engine
        self.migration = migration
        self._dialect = engine.dialect.name
        self._clock = clock
        # SQLite has one writer at a time. Queue this process's writers here rather than in
        # SQLite's busy handler, which polls with sleeps and wastes most of the wait.
        self._writer: anyio.Lock | None = anyio.Lock() if self._dialect == "sqlite" else None
        self._growth = Growth() if self._dialect == "postgresql" else None

    @classmethod
    async def open(
        cls,
        url: str,
        *,
        clock: Callable[[], datetime] = utcnow,
        connect_args: Mapping[str, Any] | None = None,
    ) -> Store:
        """Open the store at ``url``, creating or upgrading its schema to the head revision.

        ``sqlite:///path`` (the parent directory is created) or ``postgresql://...``.
        Raises StoreError, changing nothing, for a database written by a newer itsmhub or
        one holding tables but no itsmhub schema version. ``clock`` stamps every row (tests
        pass a fake one); ``connect_args`` go to the driver (e.g. asyncpg
        ``server_settings``).
        """
        engine, migration = await open_engine(url, connect_args=connect_args)
        store = cls(engine, migration, clock=clock)
        if FACTS_REVISION in migration.applied and migration.from_revision is not None:
            # Tickets stored before facts existed get them once, on the upgrade.
            written = await store.backfill_facts()
            log.info("computed rule facts for %d tickets stored before revision 0003", written)
        return store

    @property
    def schema_revision(self) -> str:
        """The schema revision the database is at (always the head once opened)."""
        return self.migration.to_revision

    def worker_lock(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Hold the lock ``name`` for this worker (see ``locks.py``); yields whether held."""
        return worker_lock(self.engine, name)

    async def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        await self.engine.dispose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[StoreTransaction]:
        """A unit of work: commit when the block exits, roll back if it raises."""
        async with self._writing(), self.engine.begin() as connection:
            tx = StoreTransaction(
                connection, dialect=self._dialect, clock=self._clock, growth=self._growth
            )
            try:
                yield tx
            finally:
                tx._open = False
        if self._growth is not None and self._growth.due():
            # In a transaction of its own: ANALYZE's table lock is then held for as long as
            # the analysis takes, not for the rest of a page's transaction.
            async with self.engine.begin() as connection:
                await self._growth.keep_up(connection)

    @asynccontextmanager
    async def rehearsal(self) -> AsyncIterator[Rehearsal]:
        """The store as a :class:`~itsmhub.store.rehearsal.Rehearsal`: everything done on
        it is rolled back when the block exits, whatever happens."""
        from .rehearsal import Rehearsal

        async with self._writing(), self.engine.connect() as connection:
            await connection.begin()
            rehearsal = Rehearsal(connection, dialect=self._dialect, clock=self._clock)
            try:
                yield rehearsal
            finally:
                rehearsal._open = False
                await connection.rollback()

    @asynccontextmanager
    async def _connect(self, *, write: bool = True) -> AsyncIterator[AsyncConnection]:
        async with self._writing() if write else nullcontext(), self.engine.connect() as connection:
            if not write:
                # A deferred BEGIN on SQLite: readers need no write lock.
                await connection.execution_options(**{READ_ONLY: True})
            async with connection.begin():
                yield connection

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[None]:
        if self._writer is None:
            yield
            return
        async with self._writer:
            yield


@asynccontextmanager
async def open_store(
    url: str,
    *,
    clock: Callable[[], datetime] = utcnow,
    connect_args: Mapping[str, Any] | None = None,
) -> AsyncIterator[Store]:
    """``async with open_store(url) as store:`` — :meth:`Store.open`, closed on exit."""
    store = await Store.open(url, clock=clock, connect_args=connect_args)
    try:
        yield store
    finally:
        await store.close()
