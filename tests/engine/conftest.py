"""Engine tests run a real store and engine over fake systems (see fakes/world.py;
``world_factory`` is in the suite's conftest)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes.world import World


@pytest.fixture
async def world(world_factory: Callable[..., Any]) -> World:
    return await world_factory(["zendesk", "jira"])
