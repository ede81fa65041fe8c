"""execute_many writes what SQLAlchemy's own executemany writes, on both backends: the
same conversions (aware timestamps, JSON, bytes) and constants bound in the statement."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import bindparam, select, update

from itsmhub.store import Store
from itsmhub.store.bulk import execute_many
from itsmhub.store.schema import audit_log, records

pytestmark = pytest.mark.anyio

AT = datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=UTC)


async def test_rows_bound_by_hand_read_back_as_sqlalchemy_would_bind_them(store: Store) -> None:
    rows = [
        {
            "event": "e1",
            "record_id": None,
            "connector": "snow",
            "detail": {"a": [1, "é"]},
            "at": AT,
        },
        {"event": "e2", "record_id": "R1", "connector": None, "detail": {}, "at": AT},
    ]
    async with store.engine.begin() as conn:
        await execute_many(conn, audit_log.insert(), rows)
        await conn.execute(audit_log.insert(), [{**r, "event": r["event"] + "-sa"} for r in rows])
        found = (await conn.execute(select(audit_log).order_by(audit_log.c.event))).all()
    mine = [r._asdict() for r in found if not r.event.endswith("-sa")]
    theirs = [r._asdict() for r in found if r.event.endswith("-sa")]
    for a, b in zip(mine, theirs, strict=True):
        assert {k: v for k, v in a.items() if k not in {"id", "event"}} == {
            k: v for k, v in b.items() if k not in {"id", "event"}
        }
    assert mine[0]["at"] == AT and mine[0]["detail"] == {"a": [1, "é"]}


async def test_a_constant_in_the_statement_is_bound_too(store: Store) -> None:
    async with store.engine.begin() as conn:
        await conn.execute(
            records.insert(),
            [
                {
                    "id": i,
                    "kind": "incident",
                    "data": {},
                    "version": 1,
                    "created_at": AT,
                    "updated_at": AT,
                }
                for i in ("R1", "R2")
            ],
        )
        bump = (
            update(records)
            .where(records.c.id == bindparam("b_id"))
            .values(version=records.c.version + 1, updated_at=bindparam("b_now"))
        )
        await execute_many(conn, bump, [{"b_id": "R1", "b_now": AT}, {"b_id": "R2", "b_now": AT}])
        versions = dict((await conn.execute(select(records.c.id, records.c.version))).all())
    assert versions == {"R1": 2, "R2": 2}


def test_many_rows_go_to_postgresql_as_arrays_in_their_order() -> None:
    from itsmhub.store.bulk import _as_arrays

    sql = (
        "INSERT INTO bases (record_id, at) VALUES ($1::VARCHAR, $2::TIMESTAMP WITH TIME ZONE) "
        "ON CONFLICT (record_id) DO UPDATE SET at = excluded.at"
    )
    assert _as_arrays(sql) == (
        "INSERT INTO bases (record_id, at) SELECT c0, c1 FROM "
        "unnest($1::VARCHAR[], $2::TIMESTAMP WITH TIME ZONE[]) WITH ORDINALITY AS u(c0, c1, n) "
        "ORDER BY n ON CONFLICT (record_id) DO UPDATE SET at = excluded.at"
    )
    assert _as_arrays("UPDATE records SET version=$1::INTEGER WHERE id = $2::VARCHAR") is None


async def test_rows_inserted_at_once_keep_their_order_and_values(store: Store) -> None:
    rows = [
        {"event": f"e{n}", "record_id": None, "connector": "snow", "detail": {"n": n}, "at": AT}
        for n in range(50)
    ]
    async with store.engine.begin() as conn:
        await execute_many(conn, audit_log.insert(), rows)
        found = (await conn.execute(select(audit_log).order_by(audit_log.c.id))).all()
    assert [(r.event, r.detail, r.at) for r in found] == [
        (f"e{n}", {"n": n}, AT) for n in range(50)
    ]  # serial ids follow the rows' order, as row by row


async def test_a_list_of_ids_is_one_array_on_postgresql_and_an_in_list_elsewhere(
    store: Store,
) -> None:
    from itsmhub.store.batch_reads import among

    dialect = store.engine.dialect.name
    wanted = among(records.c.id, ["R2", "R9", "R1"], dialect)
    sql = str(wanted.compile(dialect=store.engine.dialect))
    assert ("= ANY (" in sql) == (dialect == "postgresql")
    stored = [
        {"id": i, "kind": "incident", "data": {}, "version": 1, "created_at": AT, "updated_at": AT}
        for i in ("R1", "R2", "R3")
    ]
    async with store.engine.begin() as conn:
        await conn.execute(records.insert(), stored)
        found = (await conn.execute(select(records.c.id).where(wanted))).scalars().all()
        nothing = select(records.c.id).where(among(records.c.id, [], dialect))
        assert (await conn.execute(nothing)).all() == []
    assert sorted(found) == ["R1", "R2"]
