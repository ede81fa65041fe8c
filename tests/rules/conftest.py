"""Rules tests run the real store and engine over fake systems (see fakes/world.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest
from fakes.world import World, open_world


@pytest.fixture
async def world_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    async with AsyncExitStack() as stack:
        count = 0

        async def make(systems: list[str], **options: Any) -> World:
            nonlocal count
            count += 1
            folder = tmp_path / f"world{count}"
            folder.mkdir()
            return await stack.enter_async_context(open_world(folder, systems, **options))

        yield make
