"""Fixtures for the report tests: a small hand-made history in a real store, on SQLite
and on PostgreSQL (the store tests' databases)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from reports.history import UNTIL, seed
from store.conftest import Database, FakeClock, pg_db, postgres_url, sqlite_db  # noqa: F401

from itsmhub.store import Store


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    name = "sqlite_db" if request.param == "sqlite" else "pg_db"
    database: Database = request.getfixturevalue(name)
    return database


@pytest.fixture
async def seeded(db: Database) -> AsyncIterator[Store]:
    """A store holding the hand-made history of ``history.py``."""
    store = await db.open(FakeClock(UNTIL))
    try:
        await seed(store)
        yield store
    finally:
        await store.close()
