"""Opening a store: URLs, SQLite connection settings, refusing what cannot be opened."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import insert, text
from sqlalchemy.exc import StatementError

from itsmhub.errors import StoreError
from itsmhub.store import HEAD_REVISION, Store, alembic_config, normalise_url, open_store
from itsmhub.store.schema import cursors

if TYPE_CHECKING:
    from conftest import Database

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("sqlite:///relative/itsmhub.db", "sqlite+aiosqlite:///relative/itsmhub.db"),
        ("sqlite:////var/lib/itsmhub.db", "sqlite+aiosqlite:////var/lib/itsmhub.db"),
        ("sqlite+aiosqlite:///x.db", "sqlite+aiosqlite:///x.db"),
        ("postgresql://u@db:5432/hub", "postgresql+asyncpg://u@db:5432/hub"),
        ("postgres://u@db/hub", "postgresql+asyncpg://u@db/hub"),
        ("postgresql+asyncpg://u@db/hub", "postgresql+asyncpg://u@db/hub"),
    ],
)
def test_urls_are_normalised_to_async_drivers(given: str, expected: str) -> None:
    assert normalise_url(given).render_as_string() == expected


@pytest.mark.parametrize(
    "url", ["mysql://u@db/hub", "sqlite+pysqlite:///x.db", "sqlite://", "sqlite:///:memory:"]
)
def test_urls_the_store_cannot_use_are_refused(url: str) -> None:
    with pytest.raises(StoreError):
        normalise_url(url)


def test_an_unparseable_url_is_refused_without_echoing_it() -> None:
    with pytest.raises(StoreError) as caught:
        normalise_url("not a url with s3cret")
    assert "s3cret" not in str(caught.value)


#: Every migration shipped, oldest first: a new one is added here, and only here.
SHIPPED = ("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009")


def test_head_revision_is_the_last_shipped_revision() -> None:
    script = ScriptDirectory.from_config(alembic_config())
    assert script.get_heads() == [HEAD_REVISION]
    assert [rev.revision for rev in script.walk_revisions()] == list(reversed(SHIPPED))


async def test_a_fresh_sqlite_store_is_created_in_wal_mode(sqlite_db: Database) -> None:
    store = await sqlite_db.open()
    try:
        assert store.schema_revision == HEAD_REVISION
        assert store.migration.from_revision is None
        assert store.migration.applied == SHIPPED
        async with store.engine.connect() as conn:
            pragmas = {
                name: (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            }
        assert pragmas == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 30_000}
    finally:
        await store.close()
    # WAL is a property of the file: another process sees it too.
    path = Path(str(normalise_url(sqlite_db.url).database))
    with sqlite3.connect(path) as other:
        assert other.execute("PRAGMA journal_mode").fetchone() == ("wal",)


async def test_store_is_an_async_context_manager(sqlite_db: Database) -> None:
    async with await Store.open(sqlite_db.url) as store:
        await store.put_cursor("jira", "issues", {"updated": 1})
    async with open_store(sqlite_db.url) as store:
        assert await store.get_cursor("jira", "issues") == {"updated": 1}


async def test_a_file_that_is_not_sqlite_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(b"these are my notes, not a database" * 100)
    with pytest.raises(StoreError, match="cannot open the store"):
        await Store.open(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"these are my notes")


async def test_an_unreachable_server_is_a_store_error() -> None:
    # Port 1 on loopback refuses at once: no waiting on a timeout.
    with pytest.raises(StoreError, match="cannot open the store") as caught:
        await Store.open("postgresql://itsmhub:s3cret@127.0.0.1:1/hub")
    assert "s3cret" not in str(caught.value)


async def test_sqlite_timestamps_are_stored_as_utc_and_come_back_aware(
    sqlite_db: Database,
) -> None:
    async with open_store(sqlite_db.url) as store:
        async with store.engine.begin() as conn:
            local = datetime.fromisoformat("2025-03-01T14:30:00+02:00")
            await conn.execute(
                insert(cursors).values(connector="c", stream="s", value=1, updated_at=local)
            )
            raw = (await conn.execute(text("SELECT updated_at FROM cursors"))).scalar()
            back = (await conn.execute(cursors.select())).one().updated_at
        assert raw == "2025-03-01 12:30:00.000000"
        assert back == local
        assert back.utcoffset() is not None and back.utcoffset().total_seconds() == 0


async def test_naive_datetimes_are_refused(sqlite_db: Database) -> None:
    async with open_store(sqlite_db.url) as store, store.engine.begin() as conn:
        naive = datetime(2025, 3, 1, 12, 0)
        with pytest.raises(StatementError, match="no time zone"):
            await conn.execute(
                insert(cursors).values(connector="c", stream="s", value=1, updated_at=naive)
            )


@pytest.mark.postgres
async def test_postgresql_sessions_plan_each_statement_with_its_values(pg_db, clock) -> None:
    """Set on each pooled connection, and kept after a rolled-back transaction (a SET is
    transactional): a generic plan made while a table was empty must never stick."""
    store = await pg_db.open(clock)
    try:
        for _ in range(2):
            async with store.engine.connect() as conn:
                shown = (await conn.execute(text("SHOW plan_cache_mode"))).scalar()
                assert shown == "force_custom_plan"
                await conn.rollback()
    finally:
        await store.close()
