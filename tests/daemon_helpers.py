"""Helpers for the daemon's tests (tests/daemon/)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import anyio

#: How often a condition is looked at again: the daemon works in other tasks or
#: processes, and the test waits for what they do, never for a fixed time.
LOOK_AGAIN = 0.02


async def eventually(check: Callable[[], bool], what: str, within: float = 15) -> None:
    """Wait until ``check()`` holds; fail saying ``what`` did not happen ``within`` s."""
    try:
        with anyio.fail_after(within):
            # The state looked at lives in emulators served by other threads and in the
            # store: there is no event to wait on, only the state to look at again.
            while not check():  # noqa: ASYNC110
                await anyio.sleep(LOOK_AGAIN)
    except TimeoutError:
        raise AssertionError(f"not within {within}s: {what}") from None


class HoldAnswer:
    """ASGI middleware: the first ``POST path`` is handled, then its answer is held until
    ``release`` is set: the vendor acted, the caller has not heard (a lost response if the
    caller dies meanwhile)."""

    def __init__(self, app: Any, path: str) -> None:
        self.app = app
        self.path = path
        self.arrived = threading.Event()
        self.release = threading.Event()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        hold = (
            scope["type"] == "http"
            and scope["method"] == "POST"
            and scope["path"] == self.path
            and not self.arrived.is_set()
        )
        if not hold:
            await self.app(scope, receive, send)
            return
        self.arrived.set()

        async def held_send(message: Any) -> None:
            if message["type"] == "http.response.start":
                await anyio.to_thread.run_sync(self.release.wait, 30)
            await send(message)

        await self.app(scope, receive, held_send)
