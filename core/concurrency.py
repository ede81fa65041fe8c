"""A task group whose block's error comes out as itself.

anyio wraps any error leaving a task group in an exception group, even one raised by the
block alone; callers that catch the store's or a vendor's own errors would never see it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import anyio
from anyio.abc import TaskGroup


@asynccontextmanager
async def task_group() -> AsyncIterator[TaskGroup]:
    """anyio's task group; an error of the block is raised as itself, once the group's
    tasks have ended. The tasks must keep their own errors (one raised from a task is
    still wrapped)."""
    failed: Exception | None = None
    async with anyio.create_task_group() as group:
        try:
            yield group
        except Exception as exc:
            failed = exc
    if failed is not None:
        raise failed
