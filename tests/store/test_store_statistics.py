"""Planner statistics keep up with a store filling fast: on PostgreSQL a table is
analysed once the rows written to it reach its size at the last analysis."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import text

from itsmhub.model import ExternalRef, Person
from itsmhub.store import Store, Writes
from itsmhub.store.statistics import FIRST

if TYPE_CHECKING:
    from conftest import Database

pytestmark = pytest.mark.anyio

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)


async def write_people(store: Store, start: int, count: int) -> None:
    writes = Writes(now=NOW)
    for n in range(start, start + count):
        ref = ExternalRef(system="okta", remote_id=f"00u{n}")
        writes.put_record(Person(display_name=f"Person {n}", refs=[ref]), new=True)
    async with store.transaction() as tx:
        await tx.flush(writes)


async def analysed(store: Store) -> dict[str, float]:
    """Each watched table's rows as the planner's statistics know them."""
    query = text(
        "SELECT relname, reltuples FROM pg_class WHERE relnamespace = "
        "current_schema()::regnamespace AND relname IN ('records', 'external_refs', 'outbox')"
    )
    async with store.engine.connect() as conn:
        return {name: float(count) for name, count in await conn.execute(query)}


async def test_a_table_filling_fast_is_analysed_as_it_doubles(store: Store, db: Database) -> None:
    if db.backend != "postgresql":
        assert store._growth is None  # SQLite's planner keeps no statistics unless asked
        return
    await write_people(store, 0, FIRST - 1)
    assert (await analysed(store))["records"] <= 0  # not yet: never analysed

    await write_people(store, FIRST - 1, 1)
    first = await analysed(store)
    assert first["records"] == FIRST and first["external_refs"] == FIRST
    assert first["outbox"] <= 0  # nothing written to it, nothing analysed

    await write_people(store, FIRST, FIRST - 1)
    assert (await analysed(store))["records"] == FIRST  # the next one at twice the size
    await write_people(store, 2 * FIRST - 1, 1)
    assert (await analysed(store))["records"] == 2 * FIRST
