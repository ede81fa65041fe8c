"""Helpers for the daemon's tests (tests/daemon/)."""

from __future__ import annotations

from collections.abc import Callable

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
