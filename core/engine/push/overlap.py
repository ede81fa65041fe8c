"""One round's settlement running while the next round is claimed and prepared.

A push round is store work (claim, load, keep intents, settle) around the vendor calls.
On PostgreSQL the store's share runs on the server's core while this process waits; with
the round before settling in the background, that wait is spent preparing the next round.

The next round must not read what the settlement is still writing: it waits for it first
when the records it needs are among those the settling round held (or when that round read
remotes again, whose merge may write elsewhere), and always before its own vendor calls, so
that a pause the round before ran into stops them. Settlements themselves run one at a time,
in the order of their rounds. Each round's own crash safety is unchanged: a kill while one
settles and the next is prepared leaves both rounds' rows claimed, which the next run
releases and retries like any interrupted round.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

import anyio
from anyio.abc import TaskGroup


class Settling:
    """The settlement in flight, if any, and the records it may write."""

    def __init__(self, group: TaskGroup | None) -> None:
        self._group = group
        """None: nothing overlaps (the store is one shared connection, as in a rehearsal)."""
        self._done: anyio.Event | None = None
        self._error: Exception | None = None
        self._writes: frozenset[str] | None = frozenset()

    @property
    def busy(self) -> bool:
        return self._done is not None

    @property
    def can_overlap(self) -> bool:
        return self._group is not None

    def start(
        self, settle: Callable[[], Awaitable[None]], *, writes: Collection[str] | None
    ) -> None:
        """Settle in the background; ``writes`` are the records it may write (None: any)."""
        assert self._done is None, "settlements run one at a time: wait() first"
        if self._group is None:
            raise RuntimeError("this push settles in line: await the settlement instead")
        done = self._done = anyio.Event()
        self._writes = frozenset(writes) if writes is not None else None

        async def run() -> None:
            try:
                await settle()
            except Exception as exc:  # raised where the pusher waits, as if settled in line
                self._error = exc
            finally:
                done.set()

        self._group.start_soon(run)

    def overlaps(self, needs: Collection[str]) -> bool:
        """Whether the settlement in flight may write any of the records ``needs``."""
        if self._done is None:
            return False
        return self._writes is None or not self._writes.isdisjoint(needs)

    async def wait(self) -> None:
        """Until the settlement in flight has committed; its error, if it failed."""
        if self._done is None:
            return
        await self._done.wait()
        self._done = None
        error, self._error = self._error, None
        if error is not None:
            raise error
