"""Paging loops: the read-ahead follows a chain of pages ahead of its caller, raises a
failed read in its place, holds at most ``depth`` pages, and stops with its caller."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextlib import aclosing

import anyio
import pytest

from itsmhub import FatalError, PageGuard, TransientError, read_ahead

pytestmark = pytest.mark.anyio


class Chain:
    """Pages 0..last, each read noted; ``fail_at`` makes that page's read fail."""

    def __init__(self, last: int, fail_at: int | None = None) -> None:
        self.last, self.fail_at = last, fail_at
        self.reads: list[int] = []

    def read(self, n: int) -> Callable[[], Awaitable[int]]:
        async def page() -> int:
            self.reads.append(n)
            await anyio.lowlevel.checkpoint()  # an answer comes back on a later turn
            if n == self.fail_at:
                raise TransientError(f"page {n}: 503", status=503)
            return n

        return page

    def following(self, n: int) -> Callable[[], Awaitable[int]] | None:
        return self.read(n + 1) if n < self.last else None


async def test_the_next_page_is_read_while_the_caller_works_on_this_one() -> None:
    chain = Chain(last=5)
    got: list[int] = []
    async with aclosing(read_ahead(chain.read(0), chain.following, depth=2)) as pages:
        async for page in pages:
            if page == 0:
                for _ in range(10):  # the caller is busy; the reader's turns go on
                    await anyio.lowlevel.checkpoint()
                assert chain.reads == [0, 1, 2, 3]  # two held, one on its way
            got.append(page)
    assert got == [0, 1, 2, 3, 4, 5]


async def test_a_failed_read_comes_after_the_pages_before_it() -> None:
    chain = Chain(last=5, fail_at=3)
    got: list[int] = []
    with pytest.raises(TransientError, match="page 3"):
        async for page in read_ahead(chain.read(0), chain.following):
            got.append(page)
    assert got == [0, 1, 2]


async def test_a_guard_refusing_the_next_page_is_raised_after_this_one() -> None:
    guard = PageGuard("pages")

    def same_cursor_again(n: int) -> Callable[[], Awaitable[int]]:
        guard.advance("cursor-1")  # a vendor handing back the same cursor
        return chain.read(n + 1)

    chain = Chain(last=9)
    got: list[int] = []
    with pytest.raises(FatalError, match="same page again"):
        async for page in read_ahead(chain.read(0), same_cursor_again):
            got.append(page)
    assert got == [0, 1]


async def test_stopping_early_stops_the_reading() -> None:
    chain = Chain(last=1000)
    async with aclosing(read_ahead(chain.read(0), chain.following, depth=2)) as pages:
        async for page in pages:
            if page == 1:
                break
    reads = len(chain.reads)
    for _ in range(20):
        await anyio.lowlevel.checkpoint()
    assert len(chain.reads) == reads <= 5  # nothing read after the caller stopped
