"""The outbox, on SQLite and PostgreSQL, including concurrent claims."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import anyio
import pytest

from itsmhub.store import (
    CLAIM_LEASE,
    NotFound,
    OutboxItem,
    OutboxItemIn,
    OutboxOperation,
    OutboxStatus,
    Store,
)

if TYPE_CHECKING:
    from conftest import Database, FakeClock

pytestmark = pytest.mark.anyio


def item(connector: str = "jira", **fields: object) -> OutboxItemIn:
    values: dict[str, object] = {
        "connector": connector,
        "record_id": "R1",
        "operation": OutboxOperation.UPDATE,
        "payload": {"fields": {"priority": 2}},
    }
    values.update(fields)
    return OutboxItemIn.model_validate(values)


async def test_enqueue_stores_a_pending_item_due_now(store: Store, clock: FakeClock) -> None:
    item_id = await store.enqueue(item(correlation_marker="01MARK"))
    stored = await store.get_outbox_item(item_id)
    assert stored == OutboxItem(
        id=item_id,
        connector="jira",
        record_id="R1",
        operation=OutboxOperation.UPDATE,
        payload={"fields": {"priority": 2}},
        correlation_marker="01MARK",
        status=OutboxStatus.PENDING,
        attempts=0,
        next_attempt_at=clock.now,
        last_error=None,
        created_at=clock.now,
        updated_at=clock.now,
    )
    assert await store.get_outbox_item(item_id + 1000) is None


async def test_a_correlation_marker_is_enqueued_once(store: Store) -> None:
    create = item(operation=OutboxOperation.CREATE, correlation_marker="01MARK")
    first = await store.enqueue(create)
    assert await store.enqueue(create) == first
    assert await store.enqueue(item(correlation_marker=None)) != first
    assert await store.enqueue(item(correlation_marker=None)) != first
    assert await store.outbox_depth("jira") == 3


async def test_claim_takes_due_items_of_one_connector_oldest_first(
    store: Store, clock: FakeClock
) -> None:
    now = clock.now
    late = await store.enqueue(item(next_attempt_at=now - timedelta(minutes=1)))
    early = await store.enqueue(item(next_attempt_at=now - timedelta(minutes=5)))
    future = await store.enqueue(item(next_attempt_at=now + timedelta(minutes=1)))
    await store.enqueue(item("zendesk"))
    claimed = await store.claim_due("jira", now, limit=1)
    assert [c.id for c in claimed] == [early]
    assert (claimed[0].status, claimed[0].attempts) == (OutboxStatus.IN_FLIGHT, 1)
    assert claimed[0].next_attempt_at == now + CLAIM_LEASE
    assert [c.id for c in await store.claim_due("jira", now, limit=10)] == [late]
    assert await store.claim_due("jira", now, limit=10) == []
    assert [c.id for c in await store.claim_due("jira", clock.advance(minutes=1), 10)] == [future]
    assert await store.outbox_depth("jira") == 3
    assert await store.outbox_depth("zendesk") == 1


async def test_complete_fail_and_give_up(store: Store, clock: FakeClock) -> None:
    done, retried, dead = [await store.enqueue(item()) for _ in range(3)]
    assert len(await store.claim_due("jira", clock.now, 10)) == 3
    await store.complete(done)
    retry_at = clock.now + timedelta(seconds=30)
    await store.fail(retried, "HTTP 503 from jira (request 7f3a)", retry_at)
    await store.mark_dead(dead, "HTTP 400: field 'priority' is not on the screen")
    assert await store.outbox_depth("jira") == 1

    waiting = await store.get_outbox_item(retried)
    assert waiting is not None
    assert (waiting.status, waiting.next_attempt_at) == (OutboxStatus.PENDING, retry_at)
    assert waiting.last_error == "HTTP 503 from jira (request 7f3a)"
    assert await store.claim_due("jira", clock.advance(seconds=29), 10) == []
    again = await store.claim_due("jira", clock.advance(seconds=1), 10)
    assert [(c.id, c.attempts) for c in again] == [(retried, 2)]

    gone = await store.get_outbox_item(dead)
    assert gone is not None and gone.status == OutboxStatus.DEAD
    finished = await store.get_outbox_item(done)
    assert finished is not None and finished.status == OutboxStatus.DONE


async def test_a_done_item_stays_done(store: Store, clock: FakeClock) -> None:
    item_id = await store.enqueue(item())
    await store.claim_due("jira", clock.now, 1)
    await store.complete(item_id)
    # A late report from a worker whose claim had expired.
    await store.fail(item_id, "timeout", clock.now)
    await store.mark_dead(item_id, "timeout")
    stored = await store.get_outbox_item(item_id)
    assert stored is not None and stored.status == OutboxStatus.DONE


async def test_an_expired_claim_is_claimed_again(store: Store, clock: FakeClock) -> None:
    item_id = await store.enqueue(item())
    await store.claim_due("jira", clock.now, 1)  # this worker then dies
    assert await store.claim_due("jira", clock.advance(minutes=4), 1) == []
    reclaimed = await store.claim_due("jira", clock.advance(minutes=1), 1)
    assert [(c.id, c.attempts) for c in reclaimed] == [(item_id, 2)]


async def test_requeue_replays_a_dead_item(store: Store, clock: FakeClock) -> None:
    item_id = await store.enqueue(item(correlation_marker="01MARK"))
    await store.claim_due("jira", clock.now, 1)
    await store.mark_dead(item_id, "HTTP 400")
    await store.requeue(item_id)
    replayed = await store.claim_due("jira", clock.now, 1)
    assert [(c.id, c.attempts, c.correlation_marker) for c in replayed] == [(item_id, 1, "01MARK")]


async def test_settling_an_unknown_item_is_not_found(store: Store, clock: FakeClock) -> None:
    with pytest.raises(NotFound, match="no outbox item 404"):
        await store.complete(404)
    with pytest.raises(NotFound):
        await store.fail(404, "x", clock.now)
    with pytest.raises(NotFound):
        await store.requeue(404)


async def test_concurrent_claims_never_share_an_item(store: Store, clock: FakeClock) -> None:
    ids = {await store.enqueue(item()) for _ in range(30)}
    claims: list[list[OutboxItem]] = []

    async def claim() -> None:
        claims.append(await store.claim_due("jira", clock.now, limit=7))

    with anyio.fail_after(20):
        async with anyio.create_task_group() as group:
            for _ in range(6):
                group.start_soon(claim)
    claimed = [c.id for batch in claims for c in batch]
    assert len(claimed) == len(set(claimed)) == 30
    assert set(claimed) == ids


@pytest.mark.postgres
async def test_postgres_claims_skip_rows_locked_by_an_open_claim(
    pg_db: Database, clock: FakeClock
) -> None:
    store = await pg_db.open(clock)
    try:
        for _ in range(10):
            await store.enqueue(item())
        # Without SKIP LOCKED the second claim would wait for the first transaction.
        with anyio.fail_after(10):
            async with store.transaction() as tx:
                held = await tx.claim_due("jira", clock.now, limit=4)
                other = await store.claim_due("jira", clock.now, limit=10)
                assert len(held) == 4 and len(other) == 6
                assert not {c.id for c in held} & {c.id for c in other}
    finally:
        await store.close()


async def test_a_claim_reads_the_due_rows_in_index_order_however_many_wait(
    store: Store, db: Database, clock: FakeClock
) -> None:
    from sqlalchemy import text

    from itsmhub.store.outbox import due_rows

    for n in range(2000):
        await store.enqueue(item(record_id=f"R{n}", correlation_marker=f"M{n}"))
    query = due_rows("jira", clock.now, 200).compile(
        dialect=store.engine.dialect, compile_kwargs={"render_postcompile": True}
    )
    params = tuple(query.params[name] for name in query.positiontup or ())
    async with store.engine.connect() as conn:
        if db.backend == "postgresql":
            await conn.execute(text("ANALYZE outbox"))
            explain = f"EXPLAIN {query.string}"
        else:
            explain = f"EXPLAIN QUERY PLAN {query.string}"
        plan = " ".join(str(row) for row in await conn.exec_driver_sql(explain, params))
    assert "ix_outbox_due" in plan, plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan, plan  # read in order, no sort


async def claimed(store: Store, item_id: int) -> OutboxItem:
    """The row as a claim reads it: what its attempts sent so far."""
    row = await store.get_outbox_item(item_id)
    assert row is not None
    return row


async def test_intents_are_kept_on_their_rows_and_the_first_attempt_stays(
    store: Store, clock: FakeClock
) -> None:
    ids = [await store.enqueue(item(record_id=f"R{n}", correlation_marker=f"I{n}")) for n in "abc"]
    first = clock.now
    sent = [{"fields": {"title": "Café ☕", "n": n}, "tags": ["a", None]} for n in range(3)]
    rows = [await claimed(store, i) for i in ids]
    await store.record_intents(list(zip(rows, sent, strict=True)), first)
    clock.advance(minutes=5)
    await store.record_intents(
        [(await claimed(store, ids[0]), {"fields": {"title": "again"}})], clock.now
    )

    stored = [await store.get_outbox_item(i) for i in ids]
    assert [r.sent for r in stored if r] == [{"fields": {"title": "again"}}, sent[1], sent[2]]
    assert [r.first_attempt_at for r in stored if r] == [first, first, first]


async def test_earlier_intents_are_kept_when_a_retry_sends_other_values(
    store: Store, clock: FakeClock
) -> None:
    row_id = await store.enqueue(item(correlation_marker="E1"))
    now = clock.now
    for sent in ({"impact": 2}, {"impact": 2}, {"impact": 1}, {"impact": 3}):  # one a claim
        await store.record_intents([(await claimed(store, row_id), sent)], now)
    stored = await store.get_outbox_item(row_id)
    assert stored is not None
    assert stored.sent == {"impact": 3}
    assert stored.sent_earlier == [{"impact": 2}, {"impact": 1}]  # the repeated 2 once
