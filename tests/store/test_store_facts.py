"""Ticket facts: written with each ticket, read in bulk and by position, on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import pytest

from itsmhub import (
    Comment,
    ExternalRef,
    Incident,
    Link,
    LinkKind,
    Person,
    Problem,
    RecordKind,
)
from itsmhub.store import Store

if TYPE_CHECKING:
    from conftest import FakeClock

pytestmark = pytest.mark.anyio

TICKETS = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)


async def test_facts_follow_their_ticket(store: Store, clock: FakeClock) -> None:
    problem = Problem(title="Mail queue stuck", known_error=True, workaround="Restart the MTA")
    await store.put_record(problem)
    incident = Incident(
        title="Outlook: mailbox full on srv-mx-02, see OPS-12",
        service="Mail",
        tags=["dig-later", "vip"],
        refs=[ExternalRef(system="zendesk", remote_id="4711", key="4711")],
        links=[Link(kind=LinkKind.CAUSED_BY, target_id=problem.id)],
        comments=[Comment(id="rule-n1", body="note", created_at=clock.now)],
        opened_at=clock.now - timedelta(hours=1),
    )
    await store.put_record(incident)
    await store.put_record(Person(display_name="Ada"))  # people have no facts
    facts = await store.get_facts([incident.id, problem.id])
    mine = facts[incident.id]
    assert (mine.kind, mine.title, mine.service, mine.tags) == (
        RecordKind.INCIDENT, incident.title, "mail", ("dig-later", "vip"),
    )  # fmt: skip
    assert (mine.origin, mine.label, mine.is_open) == ("zendesk", "4711", True)
    assert mine.opened_at == clock.now - timedelta(hours=1)
    assert mine.tokens == ("outlook", "mailbox", "full", "_host_", "see", "_ticket_")
    assert len(mine.signature) == 256
    assert (mine.problem_ids, mine.mentions, mine.notes) == (
        (problem.id,),
        ("OPS-12",),
        ("rule-n1",),
    )
    known = facts[problem.id]
    assert (known.known_error, known.workaround, known.fixed) == (True, "Restart the MTA", False)

    # Written from another system's view later: origin and key stay the first ones.
    clock.advance(minutes=5)
    seen_elsewhere = incident.model_copy(
        update={"refs": [ExternalRef(system="jira", remote_id="10001", key="OPS-99")]}
    )
    await store.put_record(seen_elsewhere)
    again = (await store.get_facts([incident.id]))[incident.id]
    assert (again.origin, again.label) == ("zendesk", "4711")


async def test_streams_in_time_order_and_reads_changes_by_position(
    store: Store, clock: FakeClock
) -> None:
    start = clock.now
    ids = []
    for n in (3, 1, 2):
        record = Incident(title=f"ticket {n}", opened_at=start + timedelta(days=n))
        ids.append(record.id)
        await store.put_record(record)
        clock.advance(seconds=1)
    titles = [f.title async for f in store.stream_facts(TICKETS)]
    assert titles == ["ticket 1", "ticket 2", "ticket 3"]
    since = [f.title async for f in store.stream_facts(TICKETS, since=start + timedelta(days=2))]
    assert since == ["ticket 2", "ticket 3"]

    first = await store.facts_changed(None, until=clock.now, limit=2)
    assert [f.title for _, f in first] == ["ticket 3", "ticket 1"]
    position = (first[-1][0], first[-1][1].record_id)
    rest = await store.facts_changed(position, until=clock.now)
    assert [f.title for _, f in rest] == ["ticket 2"]
    # ``until`` is exclusive: what changes at the reader's own time waits for next time.
    assert await store.facts_changed(position, until=rest[0][0]) == []
    upto = [f.title async for f in store.stream_facts(TICKETS, changed_until=position)]
    assert sorted(upto) == ["ticket 1", "ticket 3"]


async def test_resolves_keys_and_remote_ids_and_finds_what_links_here(store: Store) -> None:
    problem = Problem(
        title="p", refs=[ExternalRef(system="servicenow", remote_id="abc", key="PRB0040001")]
    )
    await store.put_record(problem)
    incident = Incident(
        title="i",
        refs=[ExternalRef(system="jira", remote_id="10001", key="OPS-1")],
        links=[Link(kind=LinkKind.CAUSED_BY, target_id=problem.id)],
    )
    await store.put_record(incident)
    found = await store.resolve_keys(
        ["OPS-1", "PRB0040001", "nope"], ["jira", "servicenow"], remote_ids=["abc"]
    )
    assert found == {
        "OPS-1": [("jira", incident.id)],
        "PRB0040001": [("servicenow", problem.id)],
        "abc": [("servicenow", problem.id)],
    }
    assert await store.resolve_keys(["OPS-1"], ["zendesk"]) == {}
    assert await store.linked_to(problem.id) == [incident.id]
