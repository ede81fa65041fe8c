"""What the admin commands share: the config from ``--config`` and the store it names.

Commands stay synchronous click functions and enter async code once, through
``anyio.run``; inside, :func:`open_hub` opens the store and always closes it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from ..config import Config, load_config
from ..errors import StoreError
from ..plugins import Plugins, get_plugins
from .render import cut, human

if TYPE_CHECKING:
    from ..engine import Hub
    from ..store import Store

# The store (SQLAlchemy, Alembic) and the engine are imported where they are used, never
# at the top of a CLI module: `itsmhub --help` and every TAB of shell completion would
# otherwise pay over a second for them (tests/cli/test_startup.py keeps it so).

T = TypeVar("T")


@dataclass
class AdminHub:
    """The config, the plugins and the store one command works with.

    ``store`` is None when the configured SQLite file does not exist yet: nothing has been
    synced, and a command that only reads must not create an empty store as a side effect.
    """

    config: Config
    plugins: Plugins
    store: Store | None
    store_url: str

    def require_store(self) -> Store:
        """The store, or StoreError saying that nothing has been synced yet."""
        if self.store is None:
            raise StoreError(
                f"there is no store at {self.store_url} yet: nothing has been synced",
                fix="run `itsmhub sync` first, or check [store] url in the config",
            )
        return self.store


def load_admin_config(ctx: click.Context) -> tuple[Config, Plugins]:
    """Load the ``--config`` file without resolving secrets: reading the store needs none."""
    plugins = get_plugins()
    path: Path = ctx.obj["config_path"]
    return load_config(path, plugins, resolve_secrets=False), plugins


def run_admin(ctx: click.Context, work: Callable[[AdminHub], Awaitable[T]]) -> T:
    """Load the config, open the hub, run ``work`` under ``anyio.run``, close everything."""
    import anyio

    config, plugins = load_admin_config(ctx)

    async def main() -> T:
        async with open_hub(config, plugins) as hub:
            return await work(hub)

    return anyio.run(main)


def run_engine(
    config_path: Path,
    work: Callable[[Hub], Awaitable[T]],
    *,
    prepare: Callable[[Config], Config] | None = None,
) -> T:
    """Load the config with its secrets, open the sync engine's hub (store and connectors),
    run ``work`` under ``anyio.run``, and close everything. ``prepare`` may adjust the
    loaded config for this one command."""
    import anyio

    from ..engine import open_hub as open_engine

    plugins = get_plugins()
    config = load_config(config_path, plugins)
    if prepare is not None:
        config = prepare(config)

    async def main() -> T:
        async with open_engine(config, plugins) as hub:
            return await work(hub)

    return anyio.run(main)


def store_exists(url: str) -> bool:
    """False only when ``url`` names a SQLite file that is not there (other URLs: True)."""
    from ..store.engine import normalise_url

    parsed = normalise_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database.startswith("file:"):
        return True
    return Path(database).expanduser().exists()


@asynccontextmanager
async def open_hub(config: Config, plugins: Plugins) -> AsyncIterator[AdminHub]:
    """Open the configured store (if it exists) for the length of the block."""
    from sqlalchemy.engine import make_url

    from ..store import Store
    from ..store.engine import display_url, normalise_url

    url = config.store.url
    normalise_url(url)  # a URL the store cannot use fails here, before anything is opened
    # As the admin wrote it (sqlite:///, not the driver's name), password hidden.
    shown = display_url(make_url(url))
    if not store_exists(url):
        yield AdminHub(config, plugins, None, shown)
        return
    store = await Store.open(url)
    try:
        yield AdminHub(config, plugins, store, shown)
    finally:
        await store.close()


def iso(value: datetime | None) -> str | None:
    """A UTC timestamp, short: ``2026-11-23T09:00:00Z`` (no microseconds)."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat().replace("+00:00", "Z")


def ago(delta: timedelta) -> str:
    """A duration as people read it: ``45s``, ``3m``, ``2h 5m``, ``4d 1h``."""
    seconds = max(int(delta.total_seconds()), 0)  # a watermark ahead of us (skew) reads 0s
    days, seconds = divmod(seconds, 86400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), None)
    if first is None:
        return "0s"
    # The largest unit and the one below it when not zero: "2h 5m", "1h", never "1h 5s".
    return " ".join(f"{n}{unit}" for n, unit in parts[first : first + 2] if n)


def summarise(detail: Any, width: int = 80) -> str:
    """A one-line ``key=value, ...`` summary of an audit detail or payload, cut to ``width``."""
    if isinstance(detail, dict):
        text = ", ".join(f"{key}={human(value)}" for key, value in detail.items())
    else:
        text = "" if detail is None else human(detail)
    return cut(text, width)
