"""This worker's leases: which connectors (and the rules step) it works, and how many
workers share them.

A lease is the same lock ``sync --once`` takes (``store/locks.py``), held for as long as
the worker keeps the connector:

- on PostgreSQL, an advisory lock held by one session of this worker's own. It is freed
  when the session ends: at once when the process dies (SIGKILL included: the kernel
  closes the socket and the server ends the session), and for a host that vanishes
  without closing it, once TCP keepalives on that session give up (``LEASE_EXPIRY``).
  Each worker also holds a presence lock there, so any worker can count the live ones;
- on SQLite, a ``flock`` beside the database, and one more for the daemon itself: a
  second daemon on the same file refuses to start.

A worker keeps at most its fair share of the leases (``ceil(leases / workers)``), so
several workers split the connectors between them, and gives up what is over its share
when another worker joins.
"""

from __future__ import annotations

import logging
import math
import random
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

import anyio
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from ..errors import FatalError
from ..store import Store
from ..store.locks import FileLock, advisory_key

log = logging.getLogger("itsmhub.daemon")

#: How long PostgreSQL keeps the leases of a worker whose host vanished without a word:
#: the keepalive settings of the lease session add up to it.
LEASE_EXPIRY = timedelta(seconds=30)
_KEEPALIVE = {"tcp_keepalives_idle": 15, "tcp_keepalives_interval": 5, "tcp_keepalives_count": 3}
#: The first key of every worker's presence lock (two-key advisory locks, objsubid 2).
_PRESENCE = 0x17D0
_COUNT_WORKERS = text(
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
    "AND objsubid = 2 AND classid = :presence "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


class AnotherDaemon(FatalError):
    """A daemon already runs on this SQLite store."""


class Leases:
    """Take, keep, count and give up this worker's leases. Use inside ``async with``."""

    def __init__(self, store: Store, worker: str, *, total: int) -> None:
        self.store = store
        self.worker = worker
        self.total = max(total, 1)
        self.postgres = store.engine.dialect.name == "postgresql"
        self._held: set[str] = set()
        self._files: dict[str, ExitStack] = {}
        self._conn: AsyncConnection | None = None
        self._lock = anyio.Lock()
        self._workers = 1

    # --- life -----------------------------------------------------------------------

    async def __aenter__(self) -> Leases:
        if self.postgres:
            await self._connect()
        elif not self._flock("daemon"):
            raise AnotherDaemon(
                f"another itsmhub daemon already runs on the store {self._database()}",
                fix="stop it first (systemctl stop itsmhub); to run several workers, "
                "use a PostgreSQL store",
            )
        return self

    async def __aexit__(self, *exc: object) -> None:
        for name in sorted(self._held):
            await self.give_up(name)
        for stack in self._files.values():
            stack.close()
        self._files.clear()
        if self._conn is not None:
            with anyio.CancelScope(shield=True):
                await self._conn.close()
            self._conn = None

    # --- questions ------------------------------------------------------------------

    def holds(self, name: str) -> bool:
        return name in self._held

    @property
    def held(self) -> frozenset[str]:
        return frozenset(self._held)

    @property
    def share(self) -> int:
        """The most leases this worker keeps while ``workers`` share them."""
        return math.ceil(self.total / max(self._workers, 1))

    async def refresh(self) -> bool:
        """Check the lease session is alive and count the live workers; False (and every
        lease dropped) when the session was lost, so nothing goes on unguarded."""
        if not self.postgres:
            return True
        async with self._lock:
            try:
                if self._conn is None:
                    await self._connect_locked()
                assert self._conn is not None
                count = (await self._conn.execute(_COUNT_WORKERS, {"presence": _PRESENCE})).scalar()
                self._workers = max(int(count or 1), 1)
                return True
            except (SQLAlchemyError, OSError) as exc:
                lost = sorted(self._held)
                self._held.clear()
                self._conn = None
                log.error(
                    "lost the store session holding this worker's leases (%s): %s given up; "
                    "taking them again once the store answers",
                    type(exc).__name__,
                    ", ".join(lost) or "none",
                )
                return False

    # --- taking and giving up -------------------------------------------------------

    async def take(self, name: str) -> bool:
        """Take lease ``name`` if it is free and this worker is under its share."""
        if name in self._held:
            return True
        if len(self._held) >= self.share:
            return False
        if not self.postgres:
            taken = self._flock(name)
        else:
            taken = await self._pg("SELECT pg_try_advisory_lock(:k)", name)
        if taken:
            self._held.add(name)
        return taken

    async def give_up(self, name: str) -> None:
        """Release lease ``name`` (another worker may take it at once)."""
        if name not in self._held:
            return
        self._held.discard(name)
        if not self.postgres:
            stack = self._files.pop(name, None)
            if stack is not None:
                stack.close()
            return
        with anyio.CancelScope(shield=True):
            await self._pg("SELECT pg_advisory_unlock(:k)", name)

    def over_share(self) -> bool:
        """Whether this worker holds more than its share (another worker joined)."""
        return len(self._held) > self.share

    # --- PostgreSQL -----------------------------------------------------------------

    async def _connect(self) -> None:
        async with self._lock:
            await self._connect_locked()

    async def _connect_locked(self) -> None:
        conn = await self.store.engine.connect()
        try:
            # Autocommit: the session holds locks, never an open transaction.
            conn = await conn.execution_options(isolation_level="AUTOCOMMIT")
            for setting, value in _KEEPALIVE.items():
                await conn.execute(text(f"SET {setting} = {int(value)}"))
            await conn.execute(
                text("SELECT set_config('application_name', :n, false)"),
                {"n": f"itsmhub daemon {self.worker}"[:63]},
            )
            while not (
                await conn.execute(
                    text("SELECT pg_try_advisory_lock(:c, :n)"),
                    {"c": _PRESENCE, "n": random.randrange(1, 2**31)},  # noqa: S311
                )
            ).scalar():
                pass  # that number is another worker's: draw again
        except BaseException:
            with anyio.CancelScope(shield=True):
                await conn.close()
            raise
        self._conn = conn

    async def _pg(self, statement: str, name: str) -> bool:
        async with self._lock:
            if self._conn is None:
                return False
            try:
                result = await self._conn.execute(text(statement), {"k": advisory_key(name)})
            except (SQLAlchemyError, OSError):
                self._conn = None  # refresh() reports it and drops the leases
                return False
            return bool(result.scalar())

    # --- SQLite ---------------------------------------------------------------------

    def _database(self) -> Path:
        return Path(self.store.engine.url.database or "itsmhub.db")

    def _flock(self, name: str) -> bool:
        stack = ExitStack()
        if not stack.enter_context(FileLock(self._database(), name)):
            stack.close()
            return False
        self._files[name] = stack
        return True


__all__ = ["LEASE_EXPIRY", "AnotherDaemon", "Leases"]
