"""Fixtures for the report tests: a small hand-made history in a real store, on SQLite
and on PostgreSQL (the store tests' ``db`` fixture, imported)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from reports.history import UNTIL, seed
from store.conftest import Database, FakeClock, db, pg_db, postgres_url, sqlite_db  # noqa: F401

from itsmhub.store import Store


@pytest.fixture
async def seeded(db: Database) -> AsyncIterator[Store]:  # noqa: F811  (the imported fixture)
    """A store holding the hand-made history of ``history.py``."""
    store = await db.open(FakeClock(UNTIL))
    try:
        await seed(store)
        yield store
    finally:
        await store.close()
