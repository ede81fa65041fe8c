"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import socket
import sys
import textwrap
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack
from importlib.metadata import EntryPoint
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from fakes.world import World, open_world
from sqlalchemy.engine import make_url

from itsmhub.plugins import Plugins, load_plugins

EXAMPLE_CONFIG = Path(__file__).resolve().parent.parent / "config.example.toml"
POSTGRES_URL = os.environ.get(
    "ITSMHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def cli_logging_restored() -> Iterator[None]:
    """Every CLI invocation sets per-logger levels (itsmhub's own, libraries at WARNING)
    for the whole process; put them back so one test's CLI run cannot hide the log
    records another test reads."""
    import logging

    from itsmhub.cli import logs

    loggers = [logging.getLogger(name) for name in ("", "itsmhub", *logs.QUIET)]
    levels = [logger.level for logger in loggers]
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)
    logging.getLogger().removeHandler(logs._handler)


@pytest.fixture
def make_entry_point(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[str, str], EntryPoint]]:
    """Write a throwaway plugin module and return an entry point that loads it."""
    folder = tmp_path / "fake_plugins"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    written: list[str] = []

    def make(name: str, source: str) -> EntryPoint:
        module = f"fake_itsmhub_{name.replace('-', '_')}"
        (folder / f"{module}.py").write_text(textwrap.dedent(source))
        written.append(module)
        return EntryPoint(name=name, value=module, group="itsmhub")

    yield make
    for module in written:
        sys.modules.pop(module, None)


@pytest.fixture(scope="session")
def installed_plugins() -> Plugins:
    """The real plugins of this checkout, loaded once."""
    return load_plugins(environ={})


@pytest.fixture
async def world_factory(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Build fake systems joined by a real hub (fakes/world.py); closed after the test."""
    async with AsyncExitStack() as stack:
        count = 0

        async def make(systems: list[str], **options: Any) -> World:
            nonlocal count
            count += 1
            folder = tmp_path / f"world{count}"
            folder.mkdir()
            return await stack.enter_async_context(open_world(folder, systems, **options))

        yield make


@pytest.fixture
def pg_store() -> Iterator[str]:
    """A PostgreSQL database of this test's own (dropped after); skipped without a server
    unless ITSMHUB_REQUIRE_POSTGRES is set."""
    import anyio

    url = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=3):
            pass
    except OSError as exc:
        if os.environ.get("ITSMHUB_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL is unreachable ({exc}) and ITSMHUB_REQUIRE_POSTGRES is set")
        pytest.skip(f"PostgreSQL is unreachable ({exc}); set ITSMHUB_TEST_POSTGRES_URL")
    name = f"itsmhub_test_{uuid.uuid4().hex[:10]}"
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)

    async def execute(statement: str) -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    def run(statement: str) -> None:
        # A thread of its own: an async fixture may ask for this one inside its event loop.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(anyio.run, execute, statement).result()

    run(f'CREATE DATABASE "{name}"')
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        run(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
