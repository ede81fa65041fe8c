"""A rehearsal: the whole store API on one transaction that is always rolled back.

``sync --plan`` runs a real cycle's pulls and steps (enrichment, rules) against it, then
reads the outbox they filled: what the next real cycle would write, computed by the same
code, leaving nothing behind. Units of work inside it are savepoints, so a page that
fails rolls back alone, as it would in a real cycle; worker locks are always held, since
nothing a rehearsal does outlives it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from .store import StoreTransaction


class Rehearsal(StoreTransaction):
    """A :class:`StoreTransaction` that also answers ``transaction()`` and
    ``worker_lock()``, so engine code written for a :class:`Store` runs on it unchanged."""

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Rehearsal]:
        """A savepoint: rolled back alone if the block raises, kept (until the rehearsal
        ends) otherwise."""
        async with self._connection.begin_nested():
            yield self

    def worker_lock(self, name: str) -> AbstractAsyncContextManager[bool]:
        """Held at once: a rehearsal writes nothing another worker could see."""
        return _held()


@asynccontextmanager
async def _held() -> AsyncIterator[bool]:
    yield True
