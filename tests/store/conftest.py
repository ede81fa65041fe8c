"""Fixtures for the store tests: a fake clock, and databases on SQLite and PostgreSQL.

PostgreSQL tests use ``ITSMHUB_TEST_POSTGRES_URL`` (default: local server, trust auth,
database ``test``); each test gets a schema of its own, dropped afterwards. They are skipped
when the server is unreachable, unless ``ITSMHUB_REQUIRE_POSTGRES`` is set: then they fail.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from itsmhub.store import Store, alembic_config, normalise_url

POSTGRES_URL = os.environ.get(
    "ITSMHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


#: A fixed, readable start for the fake clock.
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


class FakeClock:
    """A clock tests move by hand, so nothing waits on real time."""

    def __init__(self, start: datetime = T0) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class Database:
    """Where one test's store lives."""

    backend: str  # "sqlite" or "postgresql"
    url: str
    connect_args: dict[str, Any] = field(default_factory=dict)

    async def open(self, clock: Callable[[], datetime] | None = None) -> Store:
        if clock is None:
            return await Store.open(self.url, connect_args=self.connect_args)
        return await Store.open(self.url, clock=clock, connect_args=self.connect_args)

    def raw_engine(self) -> AsyncEngine:
        """A plain engine (no store settings, no migration): for setting up odd databases."""
        url = normalise_url(self.url)
        if self.backend == "sqlite":
            Path(str(url.database)).parent.mkdir(parents=True, exist_ok=True)
        return create_async_engine(url, connect_args=self.connect_args)

    async def upgrade_to(self, revision: str) -> None:
        """Run the migrations up to ``revision`` with the alembic command API."""
        engine = self.raw_engine()
        try:
            async with engine.begin() as conn:
                await conn.run_sync(lambda sync: command.upgrade(alembic_config(sync), revision))
        finally:
            await engine.dispose()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Database:
    # A nested path: opening the store must create the directories.
    return Database("sqlite", f"sqlite:///{tmp_path}/state/nested/itsmhub.db")


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The test server's URL, once it is known to be reachable (else skip, or fail)."""
    url = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=3):
            pass
    except OSError as exc:
        shown = url.render_as_string(hide_password=True)
        if os.environ.get("ITSMHUB_REQUIRE_POSTGRES"):
            pytest.fail(
                f"PostgreSQL at {shown} is unreachable ({exc}) and ITSMHUB_REQUIRE_POSTGRES is set"
            )
        pytest.skip(
            f"PostgreSQL at {shown} is unreachable ({exc}); start it, or point "
            "ITSMHUB_TEST_POSTGRES_URL at one (set ITSMHUB_REQUIRE_POSTGRES=1 to fail instead)"
        )
    return POSTGRES_URL


@pytest.fixture
async def pg_db(postgres_url: str, anyio_backend: str) -> AsyncIterator[Database]:
    """A fresh schema on the test server, first on the store connections' search_path."""
    schema = f"itsmhub_test_{uuid.uuid4().hex[:12]}"
    dsn = make_url(postgres_url).set(drivername="postgresql")
    admin = await asyncpg.connect(dsn.render_as_string(hide_password=False))
    try:
        await admin.execute(f'CREATE SCHEMA "{schema}"')
        yield Database("postgresql", postgres_url, {"server_settings": {"search_path": schema}})
    finally:
        await admin.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await admin.close()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(name)
    return database


@pytest.fixture
async def store(db: Database, clock: FakeClock) -> AsyncIterator[Store]:
    opened = await db.open(clock)
    try:
        yield opened
    finally:
        await opened.close()
