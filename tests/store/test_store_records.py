"""Records, refs, links, bases and units of work, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING

import anyio
import pytest

from itsmhub.errors import StoreError
from itsmhub.model import (
    Comment,
    ExternalRef,
    Impact,
    Incident,
    Link,
    LinkKind,
    PersonRef,
    Problem,
    Urgency,
)
from itsmhub.store import Base, NotFound, RefConflict, Store, VersionConflict

if TYPE_CHECKING:
    from conftest import FakeClock

pytestmark = pytest.mark.anyio

JIRA_1 = ExternalRef(system="jira", remote_id="10001", key="OPS-1", url="https://x/OPS-1")
SNOW_1 = ExternalRef(
    system="servicenow", remote_id="a1b2", key="INC0010001", remote_type="incident"
)


def incident(**fields: object) -> Incident:
    values: dict[str, object] = {"title": "VPN down in Berlin"}
    values.update(fields)
    return Incident.model_validate(values)


async def test_a_record_round_trips_with_its_refs_and_links(store: Store) -> None:
    problem = Problem(title="VPN concentrator flaps")
    await store.put_record(problem)
    berlin = datetime(2025, 3, 1, 9, 30, tzinfo=timezone(timedelta(hours=1)))
    original = incident(
        description="Nobody in Berlin can connect.",
        impact=Impact.HIGH,
        urgency=Urgency.MEDIUM,
        reporter=PersonRef(display_name="Ana", email="ana@example.com"),
        tags=["vpn", "network"],
        custom={"site": "BER", "floors": [1, 2]},
        opened_at=berlin,
        comments=[Comment(body="Looking into it", created_at=berlin)],
        refs=[SNOW_1, JIRA_1],
        links=[Link(kind=LinkKind.CAUSED_BY, target_id=problem.id, origin="rule:vpn")],
    )
    assert await store.put_record(original) == 1
    back = await store.get_record(original.id)
    assert back == original.model_copy(update={"refs": [JIRA_1, SNOW_1]})  # ordered by system
    assert isinstance(back, Incident)
    assert back.opened_at is not None and back.opened_at.tzinfo is UTC
    assert await store.get_record(problem.id) == problem


async def test_a_missing_record_is_none(store: Store) -> None:
    assert await store.get_record("01NOTHERE") is None
    assert await store.get_stored("01NOTHERE") is None
    assert await store.find_by_ref("jira", "404") is None
    assert await store.find_by_key("jira", "OPS-404") is None


async def test_each_put_bumps_the_version_and_the_hub_timestamps(
    store: Store, clock: FakeClock
) -> None:
    record = incident()
    created = clock.now
    assert await store.put_record(record) == 1
    changed = clock.advance(minutes=5)
    record.title = "VPN down in Berlin and Paris"
    assert await store.put_record(record) == 2
    stored = await store.get_stored(record.id)
    assert stored is not None
    assert (stored.version, stored.created_at, stored.updated_at) == (2, created, changed)
    assert stored.record.title == "VPN down in Berlin and Paris"  # type: ignore[union-attr]


async def test_expected_version_makes_a_put_conditional(store: Store) -> None:
    record = incident()
    assert await store.put_record(record, expected_version=0) == 1
    with pytest.raises(VersionConflict) as caught:
        await store.put_record(record, expected_version=0)
    assert (caught.value.expected, caught.value.actual) == (0, 1)
    assert await store.put_record(record, expected_version=1) == 2
    record.title = "stale write"
    with pytest.raises(VersionConflict, match="expected at version 1, but it is at version 2"):
        await store.put_record(record, expected_version=1)
    stored = await store.get_stored(record.id)
    assert stored is not None and stored.version == 2
    assert stored.record.title == "VPN down in Berlin"  # type: ignore[union-attr]
    with pytest.raises(VersionConflict, match="not in the store"):
        await store.put_record(incident(), expected_version=4)


async def test_records_are_found_by_ref_and_by_key(store: Store) -> None:
    record = incident(refs=[JIRA_1])
    await store.put_record(record)
    other = incident(refs=[ExternalRef(system="jira", remote_id="10002", key="OPS-2")])
    await store.put_record(other)
    assert await store.find_by_ref("jira", "10001") == record
    assert await store.find_by_key("jira", "OPS-1") == record
    assert await store.find_by_key("jira", "OPS-2") == other
    assert await store.find_by_ref("servicenow", "10001") is None


async def test_put_ref_adds_and_updates_a_ref(store: Store) -> None:
    record = incident()
    await store.put_record(record)
    await store.put_ref(record.id, JIRA_1)
    await store.put_ref(record.id, SNOW_1)
    assert await store.refs_of(record.id) == [JIRA_1, SNOW_1]
    # The issue moved to another project: same remote id, new key and URL.
    moved = JIRA_1.model_copy(update={"key": "NET-7", "url": "https://x/NET-7"})
    await store.put_ref(record.id, moved)
    assert await store.refs_of(record.id) == [moved, SNOW_1]
    assert await store.find_by_key("jira", "NET-7") == record.model_copy(
        update={"refs": [moved, SNOW_1]}
    )
    assert await store.find_by_key("jira", "OPS-1") is None


async def test_put_record_never_drops_refs_it_does_not_mention(store: Store) -> None:
    record = incident(refs=[JIRA_1, SNOW_1])
    await store.put_record(record)
    await store.put_record(record.model_copy(update={"refs": [SNOW_1]}))
    assert await store.refs_of(record.id) == [JIRA_1, SNOW_1]


async def test_two_records_cannot_claim_the_same_remote_record(store: Store) -> None:
    first = incident(refs=[JIRA_1])
    await store.put_record(first)
    second = incident(refs=[JIRA_1])
    with pytest.raises(RefConflict, match=f"already belongs to hub record {first.id}"):
        await store.put_record(second)
    # put_record is one transaction: the refused record was not half-stored.
    assert await store.get_record(second.id) is None
    await store.put_record(incident(id=second.id))
    with pytest.raises(RefConflict, match="OPS-1"):
        await store.put_ref(second.id, JIRA_1)
    assert await store.refs_of(second.id) == []


async def test_a_ref_is_never_silently_repointed(store: Store) -> None:
    record = incident(refs=[JIRA_1])
    await store.put_record(record)
    with pytest.raises(RefConflict, match="already lives in jira as 10001"):
        await store.put_ref(record.id, ExternalRef(system="jira", remote_id="99999"))
    assert await store.refs_of(record.id) == [JIRA_1]


async def test_a_ref_needs_its_record(store: Store) -> None:
    with pytest.raises(NotFound, match="no record 01NOTHERE"):
        await store.put_ref("01NOTHERE", JIRA_1)


async def test_links_are_idempotent(store: Store, clock: FakeClock) -> None:
    problem, first, second = Problem(title="flapping"), incident(), incident()
    for record in (problem, first, second):
        await store.put_record(record)
    link = Link(kind=LinkKind.CAUSED_BY, target_id=problem.id, origin="rule:r1", reason="same CI")
    assert await store.add_link(first.id, link) is True
    assert await store.add_link(first.id, link) is False
    clock.advance(seconds=1)  # links come back oldest first
    assert await store.add_link(first.id, Link(kind=LinkKind.RELATED, target_id=second.id))
    assert await store.links_of(first.id) == [
        link,
        Link(kind=LinkKind.RELATED, target_id=second.id),
    ]
    assert await store.links_of(problem.id) == []
    stored = await store.get_record(first.id)
    assert stored is not None and stored.links[0] == link


async def test_a_link_needs_both_records(store: Store) -> None:
    record = incident()
    await store.put_record(record)
    with pytest.raises(NotFound, match="both records"):
        await store.add_link(record.id, Link(kind=LinkKind.RELATED, target_id="01NOTHERE"))


async def test_bases_round_trip_in_utc(store: Store) -> None:
    record = incident(refs=[JIRA_1])
    await store.put_record(record)
    assert await store.get_base(record.id, "jira") is None
    vienna = timezone(timedelta(hours=1))
    base = Base(
        record_id=record.id,
        system="jira",
        fields={"title": "VPN down", "priority": 2, "tags": ["vpn"]},
        remote_version="2025-03-01T10:00:00.000+0100#42",
        remote_updated_at=datetime(2025, 3, 1, 10, 0, tzinfo=vienna),
        agreed_at=datetime(2025, 3, 1, 10, 0, 5, tzinfo=vienna),
    )
    await store.put_base(base)
    back = await store.get_base(record.id, "jira")
    assert back == base
    assert back is not None and back.agreed_at.tzinfo is UTC
    newer = base.model_copy(update={"fields": {"title": "VPN fixed"}, "remote_version": "43"})
    await store.put_base(newer)
    assert await store.get_base(record.id, "jira") == newer
    assert await store.get_base(record.id, "servicenow") is None


async def test_a_base_needs_its_record(store: Store) -> None:
    with pytest.raises(NotFound, match="no record 01NOTHERE"):
        await store.put_base(Base(record_id="01NOTHERE", system="jira"))


async def test_a_unit_of_work_commits_everything_together(store: Store) -> None:
    records = [incident(refs=[ExternalRef(system="jira", remote_id=str(n))]) for n in range(3)]
    async with store.transaction() as tx:
        for record in records:
            await tx.put_record(record)
            await tx.put_base(Base(record_id=record.id, system="jira", fields={"n": 1}))
        await tx.put_cursor("jira", "issues", {"updated": 1000})
        # The unit of work reads its own writes.
        assert await tx.find_by_ref("jira", "2") == records[2]
    assert await store.get_cursor("jira", "issues") == {"updated": 1000}
    for record in records:
        assert await store.get_record(record.id) == record
        assert await store.get_base(record.id, "jira") is not None


async def test_a_failed_unit_of_work_leaves_nothing_behind(store: Store) -> None:
    record = incident(refs=[JIRA_1])
    with pytest.raises(RuntimeError, match="crash mid-page"):
        async with store.transaction() as tx:
            await tx.put_record(record)
            await tx.put_base(Base(record_id=record.id, system="jira"))
            await tx.put_cursor("jira", "issues", {"updated": 1000})
            raise RuntimeError("crash mid-page")
    assert await store.get_record(record.id) is None
    assert await store.find_by_ref("jira", JIRA_1.remote_id) is None
    assert await store.get_cursor("jira", "issues") is None


async def test_readers_do_not_wait_for_an_open_unit_of_work(store: Store) -> None:
    await store.put_cursor("jira", "issues", 1)
    # On SQLite a read that took the write lock would wait for the open transaction.
    with anyio.fail_after(10):
        async with store.transaction() as tx:
            await tx.put_cursor("jira", "issues", 2)
            assert await store.get_cursor("jira", "issues") == 1
    assert await store.get_cursor("jira", "issues") == 2


async def test_a_unit_of_work_cannot_be_used_after_it_ended(store: Store) -> None:
    async with store.transaction() as tx:
        pass
    with pytest.raises(StoreError, match="already ended"):
        await tx.get_cursor("jira", "issues")


async def test_a_batch_writes_records_and_reads_them_back_alike(store: Store) -> None:
    """The batch path (a page's records in multi-row statements, their JSON serialised by
    pydantic and sent as it is) on both databases."""
    from itsmhub.model import ExternalRef, Incident
    from itsmhub.store import Writes

    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    first = Incident(
        title="Café Wi-Fi drops",  # not ASCII: stored and read back as it was written
        description="Line one\n\nline two",
        refs=[ExternalRef(system="zendesk", remote_id="7", key="#7")],
    )
    writes = Writes(now=now)
    writes.put_record(first, new=True)
    async with store.transaction() as tx:
        await tx.flush(writes)
    loaded = await store.load_records([first.id])
    assert loaded[first.id].record == first and loaded[first.id].version == 1

    edited = first.model_copy(update={"title": "Café Wi-Fi drops again"})
    writes = Writes(now=now)
    writes.put_record(edited, new=False)
    async with store.transaction() as tx:
        await tx.flush(writes)
    again = await store.load_records([first.id])
    assert again[first.id].record.title == "Café Wi-Fi drops again"
    assert again[first.id].version == 2
    assert (await store.get_record(first.id)) == again[first.id].record
