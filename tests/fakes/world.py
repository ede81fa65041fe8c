"""A hub joining several fake systems: real store, real engine, remotes that fail on
command. Used by the engine's example, property and benchmark runs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from itsmhub.config import Config, validate_config
from itsmhub.engine import CycleReport, Hub, open_hub, sync_once
from itsmhub.plugins import Plugins, load_plugins

from .connector import REMOTES
from .remote import FakeClock, FakeRemote


class HubClock:
    """The engine's clock: moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def ticking(clock: HubClock) -> Callable[[], datetime]:
    """``clock`` moving a millisecond at each reading, as a real one does: a cycle's
    rules step then reads what the same cycle pulled (a frozen clock hides it)."""

    def now() -> datetime:
        clock.advance(timedelta(milliseconds=1))
        return clock()

    return now


@dataclass
class World:
    """Several fake systems, the hub that joins them, and helpers to run it."""

    hub: Hub
    remotes: dict[str, FakeRemote]
    clock: HubClock

    async def cycle(self, only: str | None = None) -> CycleReport:
        return await sync_once(self.hub, only=only)

    async def settle(self, rounds: int = 6) -> list[CycleReport]:
        """Cycle until nothing moves, moving time past any backoff between rounds."""
        reports = []
        for _ in range(rounds):
            report = await self.cycle()
            reports.append(report)
            self.clock.advance(timedelta(hours=2))
            busy = any(
                r.pull.created or r.pull.updated or r.push.pushed or r.push.retried
                for r in report.connectors.values()
            )
            depth = [await self.hub.store.outbox_depth(n) for n in self.remotes]
            if report.ok and not busy and not any(depth):
                return reports
        raise AssertionError(f"did not settle in {rounds} rounds")


def plugins_with_fake() -> Plugins:
    environ = {"ITSMHUB_LOAD_PLUGINS": "", "ITSMHUB_PLUGIN_MODULES": "fakes.plugin"}
    plugins = load_plugins(environ=environ)
    assert not plugins.broken, plugins.broken
    return plugins


def mirror_rules(systems: list[str]) -> dict[str, Any]:
    """Every system's incidents copied to every other system."""
    return {
        f"mirror-{source}": {
            "type": "routing",
            "from": source,
            "to": [t for t in systems if t != source],
        }
        for source in systems
    }


def make_config(
    folder: Path,
    systems: list[str],
    *,
    page_size: int = 3,
    store_url: str | None = None,
    **sections: Any,
) -> Config:
    data: dict[str, Any] = {
        "store": {"url": store_url or f"sqlite:///{folder / 'itsmhub.db'}"},
        "connectors": {
            name: {"type": "fake", "remote": f"{folder}-{name}", "page_size": page_size}
            for name in systems
        },
        **sections,
    }
    config, issues = validate_config(data, plugins_with_fake(), config_dir=folder)
    assert config is not None, issues
    return config


@asynccontextmanager
async def open_world(
    folder: Path,
    systems: list[str],
    *,
    rules: dict[str, Any] | None = None,
    sync: dict[str, Any] | None = None,
    page_size: int = 3,
    store_url: str | None = None,
) -> AsyncIterator[World]:
    """Fresh remotes and a fresh store (in ``folder``, or at ``store_url``); everything
    closed on exit."""
    remotes = {}
    for name in systems:
        remotes[name] = REMOTES[f"{folder}-{name}"] = FakeRemote(FakeClock())
    sections: dict[str, Any] = {"rules": mirror_rules(systems) if rules is None else rules}
    if sync:
        sections["sync"] = sync
    config = make_config(folder, systems, page_size=page_size, store_url=store_url, **sections)
    clock = HubClock()
    try:
        async with open_hub(config, plugins_with_fake(), clock=clock) as hub:
            yield World(hub, remotes, clock)
    finally:
        for name in systems:
            REMOTES.pop(f"{folder}-{name}", None)
