"""Audit log, dead letters, cursors and leases, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from itsmhub.store import DeadLetterIn, DeadLetterStatus, NotFound, Store

if TYPE_CHECKING:
    from conftest import FakeClock

pytestmark = pytest.mark.anyio


def letter(**fields: object) -> DeadLetterIn:
    values: dict[str, object] = {
        "connector": "zendesk",
        "record_key": "4711",
        "remote_version": "1740830400",
        "error_class": "RecordError",
        "http_status": 422,
        "reason": "status 'hold' is not mapped",
        "payload": {"id": 4711, "status": "hold", "requester": "[redacted]"},
    }
    values.update(fields)
    return DeadLetterIn.model_validate(values)


async def test_audit_trail_is_per_record_and_in_order(store: Store, clock: FakeClock) -> None:
    first = await store.audit(
        "conflict_resolved",
        record_id="R1",
        connector="jira",
        detail={"field": "priority", "jira": 2, "servicenow": 1, "winner": "servicenow"},
    )
    clock.advance(seconds=1)
    await store.audit("imported", record_id="R2")
    second = await store.audit("pushed", record_id="R1", connector="servicenow")
    await store.audit("config_reloaded")
    trail = await store.audit_trail("R1")
    assert [(entry.id, entry.event, entry.connector) for entry in trail] == [
        (first, "conflict_resolved", "jira"),
        (second, "pushed", "servicenow"),
    ]
    assert trail[0].detail["winner"] == "servicenow"
    assert trail[0].at == clock.now - timedelta(seconds=1)
    assert trail[1].detail == {}
    assert await store.audit_trail("R404") == []


async def test_a_repeated_dead_letter_adds_up(store: Store, clock: FakeClock) -> None:
    first = await store.add_dead_letter(letter())
    assert (first.attempts, first.status, first.first_seen, first.last_seen) == (
        1, DeadLetterStatus.OPEN, clock.now, clock.now,
    )  # fmt: skip
    later = clock.advance(minutes=10)
    again = await store.add_dead_letter(letter(reason="still unmapped", payload=None, attempts=3))
    assert again.id == first.id
    assert (again.attempts, again.first_seen, again.last_seen) == (4, first.first_seen, later)
    assert again.reason == "still unmapped"
    assert again.payload == first.payload  # a repeat without payload keeps the stored one
    assert await store.get_dead_letter(first.id) == again


async def test_another_version_of_the_record_is_another_letter(store: Store) -> None:
    one = await store.add_dead_letter(letter())
    two = await store.add_dead_letter(letter(remote_version="1740830999"))
    unknown = await store.add_dead_letter(letter(remote_version=""))
    assert len({one.id, two.id, unknown.id}) == 3
    # An unknown version ('') still adds up instead of piling up.
    assert (await store.add_dead_letter(letter(remote_version=""))).id == unknown.id


async def test_dead_letters_are_listed_by_connector_and_status(store: Store) -> None:
    zendesk = await store.add_dead_letter(letter())
    jira = await store.add_dead_letter(letter(connector="jira", record_key="OPS-9"))
    dropped = await store.add_dead_letter(letter(record_key="4712"))
    await store.set_dead_letter_status(dropped.id, DeadLetterStatus.DROPPED)
    assert [d.id for d in await store.list_dead_letters()] == [zendesk.id, jira.id]
    assert [d.id for d in await store.list_dead_letters("zendesk")] == [zendesk.id]
    assert [d.id for d in await store.list_dead_letters(status=DeadLetterStatus.DROPPED)] == [
        dropped.id
    ]
    assert len(await store.list_dead_letters(status=None)) == 3
    assert await store.list_dead_letters("okta") == []


async def test_a_retried_letter_reopens_but_a_dropped_one_stays_dropped(store: Store) -> None:
    retried = await store.add_dead_letter(letter(record_key="1"))
    dropped = await store.add_dead_letter(letter(record_key="2"))
    await store.set_dead_letter_status(retried.id, DeadLetterStatus.RETRIED)
    await store.set_dead_letter_status(dropped.id, DeadLetterStatus.DROPPED)
    assert (await store.add_dead_letter(letter(record_key="1"))).status == DeadLetterStatus.OPEN
    again = await store.add_dead_letter(letter(record_key="2"))
    assert (again.status, again.attempts) == (DeadLetterStatus.DROPPED, 2)


async def test_unknown_dead_letters(store: Store) -> None:
    assert await store.get_dead_letter(404) is None
    with pytest.raises(NotFound, match="no dead letter 404"):
        await store.set_dead_letter_status(404, DeadLetterStatus.DROPPED)


async def test_cursors_round_trip_any_json(store: Store, clock: FakeClock) -> None:
    assert await store.get_cursor("jira", "issues") is None
    await store.put_cursor("jira", "issues", {"updated_ms": 1740830400000, "seen": ["1@2"]})
    await store.put_cursor("jira", "backfill", "token-abc")
    await store.put_cursor("zendesk", "tickets", 17)
    await store.put_cursor("jira", "issues", {"updated_ms": 1740830460000, "seen": []})
    assert await store.get_cursor("jira", "issues") == {"updated_ms": 1740830460000, "seen": []}
    assert await store.get_cursor("jira", "backfill") == "token-abc"
    assert await store.get_cursor("zendesk", "tickets") == 17


async def test_a_lease_has_one_holder_until_it_expires(store: Store, clock: FakeClock) -> None:
    ttl = timedelta(seconds=30)
    assert await store.acquire_lease("pull:jira", "worker-a", ttl=ttl)
    assert not await store.acquire_lease("pull:jira", "worker-b", ttl=ttl)
    assert await store.acquire_lease("pull:zendesk", "worker-b", ttl=ttl)
    clock.advance(seconds=20)
    assert await store.acquire_lease("pull:jira", "worker-a", ttl=ttl)  # renewed to +50 s
    clock.advance(seconds=20)
    assert not await store.acquire_lease("pull:jira", "worker-b", ttl=ttl)
    clock.advance(seconds=10)
    assert await store.acquire_lease("pull:jira", "worker-b", ttl=ttl)  # a's lease expired
    assert not await store.release_lease("pull:jira", "worker-a")
    assert await store.release_lease("pull:jira", "worker-b")
    assert await store.acquire_lease("pull:jira", "worker-a", ttl=ttl)
