"""Paging loops: a guard, so a vendor that ignores a cursor stops a pull rather than
looping it, and a read-ahead, so the vendor's time overlaps the hub's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from .errors import FatalError

P = TypeVar("P")
Read = Callable[[], Awaitable[P]]

#: Pages a read-ahead holds for its caller: enough that the next request never waits
#: for the caller, few enough that memory stays that of a couple of pages.
READ_AHEAD: Final = 2


class PageGuard:
    """Refuses a page position that repeats (a page token handed back again) or, with
    ``ordered``, one that does not move forward (a keyset the vendor ignored).

        guard = PageGuard("incident pages", ordered=True)
        guard.advance((stamp, sys_id))   # FatalError if not past the last one
    """

    def __init__(self, what: str, *, ordered: bool = False) -> None:
        self.what = what
        self.ordered = ordered
        self._seen: set[Hashable] = set()
        self._last: Any = None

    def advance(self, position: Hashable) -> None:
        if position in self._seen or (
            self.ordered and self._last is not None and not position > self._last
        ):
            raise FatalError(
                f"{self.what}: the vendor answered the same page again (at {position!r}); "
                "stopping instead of looping",
                fix="report it with the connector's name: the vendor ignored the page cursor",
            )
        self._seen.add(position)
        self._last = position


@dataclass(frozen=True)
class _Failed:
    error: Exception


_END: Final = object()


async def read_ahead(
    first: Read[P], following: Callable[[P], Read[P] | None], *, depth: int = READ_AHEAD
) -> AsyncIterator[P]:
    """The pages of a chain (each page says how to read the next), read by a task of
    their own up to ``depth`` pages ahead of the caller.

    A page's request leaves as soon as the page before has arrived, not when the caller
    gets round to asking: for cursor paging, where the next request cannot be made
    before the last answer, the vendor then never waits for the hub's mapping and
    storing. A failed read is raised where the caller would have had that page; the task
    is cancelled when the caller stops early.

        async for page in read_ahead(lambda: client.page(path), lambda p: p.next and ...):
    """
    queue: asyncio.Queue[Any] = asyncio.Queue(depth)

    async def follow() -> None:
        read: Read[P] | None = first
        try:
            while read is not None:
                page = await read()
                await queue.put(page)
                read = following(page)
        except Exception as exc:  # handed to the caller, in order
            await queue.put(_Failed(exc))
            return
        await queue.put(_END)

    task = asyncio.get_running_loop().create_task(follow())
    try:
        while (got := await queue.get()) is not _END:
            if isinstance(got, _Failed):
                raise got.error
            yield got
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task
