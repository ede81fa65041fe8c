"""Schema migrations, on SQLite and PostgreSQL: upgrade paths, refusals, schema = metadata."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

from itsmhub.errors import StoreError
from itsmhub.model import ExternalRef, Incident
from itsmhub.store import HEAD_REVISION, OutboxItemIn, alembic_config
from itsmhub.store.schema import audit_log, cursors, external_refs, metadata, records

if TYPE_CHECKING:
    from conftest import Database, FakeClock

pytestmark = pytest.mark.anyio

#: Every migration shipped, oldest first, as the script directory holds them (the list
#: itself is pinned by test_store_open.py).
SHIPPED = tuple(
    reversed(
        [rev.revision for rev in ScriptDirectory.from_config(alembic_config()).walk_revisions()]
    )
)

ALL_TABLES = {
    "alembic_version",
    "audit_log",
    "bases",
    "connector_runs",
    "cursors",
    "dead_letters",
    "external_refs",
    "field_history",
    "leases",
    "link_tombstones",
    "links",
    "lookup_cache",
    "outbox",
    "parked",
    "people_handles",
    "records",
    "ticket_facts",
    "webhook_events",
}


async def schema_diffs(engine: AsyncEngine, target: sa.MetaData = metadata) -> list[Any]:
    def compare(conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, target))

    async with engine.connect() as conn:
        return await conn.run_sync(compare)


async def table_names(db: Database) -> set[str]:
    engine = db.raw_engine()
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda sync: sa.inspect(sync).get_table_names()))
    finally:
        await engine.dispose()


async def run_sql(db: Database, *statements: str) -> list[Any]:
    """Run raw SQL in one transaction; return the rows of the last statement, if any."""
    engine = db.raw_engine()
    try:
        async with engine.begin() as conn:
            result = None
            for statement in statements:
                result = await conn.execute(sa.text(statement))
            return list(result.all()) if result is not None and result.returns_rows else []
    finally:
        await engine.dispose()


async def test_fresh_database_matches_the_metadata(db: Database) -> None:
    store = await db.open()
    try:
        assert store.schema_revision == HEAD_REVISION
        assert await schema_diffs(store.engine) == []
    finally:
        await store.close()
    assert await table_names(db) == ALL_TABLES


async def test_the_comparison_would_notice_a_difference(db: Database) -> None:
    changed = sa.MetaData(naming_convention=metadata.naming_convention)
    for table in metadata.tables.values():
        table.to_metadata(changed)
    changed.tables["records"].append_column(sa.Column("extra", sa.String(), nullable=True))
    changed.tables["cursors"].c.value.type = sa.String()
    store = await db.open()
    try:
        kinds = {
            diff[0] if isinstance(diff, tuple) else diff[0][0]
            for diff in await schema_diffs(store.engine, changed)
        }
    finally:
        await store.close()
    assert kinds == {"add_column", "modify_type"}


async def test_upgrade_from_0001_keeps_the_data(
    db: Database, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await db.upgrade_to("0001")
    assert await table_names(db) == {
        "alembic_version",
        "audit_log",
        "bases",
        "cursors",
        "external_refs",
        "records",
    }
    incident = Incident(title="VPN down in Berlin")
    engine = db.raw_engine()
    try:
        async with engine.begin() as conn:
            await conn.execute(
                records.insert().values(
                    id=incident.id,
                    kind="incident",
                    version=3,
                    created_at=clock.now,
                    updated_at=clock.now,
                    data=incident.model_dump(mode="json", exclude={"refs", "links"}),
                )
            )
            await conn.execute(
                external_refs.insert().values(
                    record_id=incident.id, system="jira", remote_id="10001", key="OPS-1"
                )
            )
            await conn.execute(
                cursors.insert().values(
                    connector="jira", stream="issues", value={"updated": 17}, updated_at=clock.now
                )
            )
            await conn.execute(
                audit_log.insert().values(
                    at=clock.now, event="imported", record_id=incident.id, detail={"from": "jira"}
                )
            )
    finally:
        await engine.dispose()

    with caplog.at_level(logging.INFO, logger="itsmhub.store"):
        store = await db.open(clock)
    try:
        assert store.migration.from_revision == "0001"
        assert store.migration.applied == SHIPPED[1:]
        assert store.schema_revision == HEAD_REVISION
        assert (
            "from 0001 to 0009 (ran 0002, 0003, 0004, 0005, 0006, 0007, 0008, 0009)" in caplog.text
        )
        assert "computed rule facts for 1 tickets stored before revision 0003" in caplog.text
        stored = await store.get_stored(incident.id)
        assert stored is not None
        assert stored.version == 3
        assert stored.record == incident.model_copy(
            update={"refs": [ExternalRef(system="jira", remote_id="10001", key="OPS-1")]}
        )
        assert await store.get_cursor("jira", "issues") == {"updated": 17}
        assert [entry.event for entry in await store.audit_trail(incident.id)] == ["imported"]
        # The tables 0002 added work.
        await store.enqueue(OutboxItemIn(connector="jira", operation="update"))
        assert await store.outbox_depth("jira") == 1
        # Tickets stored before 0003 got their rule facts when the store opened.
        facts = (await store.get_facts([incident.id]))[incident.id]
        assert (facts.title, facts.origin, facts.label) == ("VPN down in Berlin", "jira", "OPS-1")
        assert await schema_diffs(store.engine) == []
    finally:
        await store.close()


async def test_opening_a_store_at_head_runs_nothing(db: Database) -> None:
    await (await db.open()).close()
    store = await db.open()
    try:
        assert store.migration.from_revision == HEAD_REVISION
        assert store.migration.applied == ()
    finally:
        await store.close()


async def test_a_store_from_a_newer_itsmhub_is_refused(db: Database) -> None:
    await (await db.open()).close()
    await run_sql(db, "UPDATE alembic_version SET version_num = '0099_future'")
    with pytest.raises(StoreError, match="0099_future") as caught:
        await db.open()
    assert "upgrade itsmhub" in str(caught.value)
    assert await run_sql(db, "SELECT version_num FROM alembic_version") == [("0099_future",)]


async def test_a_foreign_database_is_refused_and_left_alone(db: Database) -> None:
    await run_sql(
        db,
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name VARCHAR(50))",
        "INSERT INTO customers (id, name) VALUES (1, 'ACME')",
    )
    with pytest.raises(StoreError, match=r"customers.*no itsmhub schema version"):
        await db.open()
    assert await table_names(db) == {"customers"}
    assert await run_sql(db, "SELECT id, name FROM customers") == [(1, "ACME")]
    if db.backend == "sqlite":
        # Not even the journal mode of someone else's file is changed.
        assert await run_sql(db, "PRAGMA journal_mode") == [("delete",)]


async def test_a_store_that_lost_its_version_table_is_refused(db: Database) -> None:
    store = await db.open()
    try:
        await store.put_cursor("jira", "issues", "keep me")
    finally:
        await store.close()
    await run_sql(db, "DROP TABLE alembic_version")
    with pytest.raises(StoreError, match="no itsmhub schema version"):
        await db.open()
    assert await table_names(db) == ALL_TABLES - {"alembic_version"}
    assert await run_sql(db, "SELECT value FROM cursors") in ([('"keep me"',)], [("keep me",)])


async def test_downgrade_and_upgrade_again(db: Database) -> None:
    await (await db.open()).close()
    engine = db.raw_engine()
    try:
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "0001"))
        assert "outbox" not in await table_names(db)
        async with engine.begin() as conn:
            await conn.run_sync(lambda sync: command.downgrade(alembic_config(sync), "base"))
    finally:
        await engine.dispose()
    assert await table_names(db) == {"alembic_version"}
    store = await db.open()
    try:
        assert store.migration.applied == SHIPPED
        assert await schema_diffs(store.engine) == []
    finally:
        await store.close()
