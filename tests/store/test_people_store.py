"""The directory's people and devices in the store, and the tickets about each person, on
SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from itsmhub.model import (
    Device,
    Enrichment,
    ExternalRef,
    Incident,
    IncidentStatus,
    Link,
    LinkKind,
    Person,
    PersonRef,
    Problem,
    RecordKind,
)
from itsmhub.store import Store

pytestmark = pytest.mark.anyio


def person(key: str, **fields) -> Person:
    fields.setdefault("email", f"{key}@acme.example")
    ref = ExternalRef(system="okta", remote_id=f"00u{key}", key=fields["email"])
    return Person(id=f"P-{key}", display_name=key.title(), refs=[ref], **fields)


async def test_people_their_devices_and_the_tickets_about_them(store: Store, clock) -> None:
    ada = person("ada", email="Ada@Acme.example", login="ada", department="Engineering")
    old_ada = person("ada-old", email="ada@acme.example", department="Engineering", active=False)
    bud = person("bud", department="Sales")
    laptop = Device(
        id="D-1", name="Ada's Mac", links=[Link(kind=LinkKind.USED_BY, target_id=ada.id)]
    )
    for record in (ada, old_ada, bud, laptop):
        await store.put_record(record)
    await store.add_link(laptop.id, laptop.links[0])
    start = clock()
    clock.advance(minutes=1)
    tickets = [
        Incident(id="I-1", title="VPN", enrichment=Enrichment(reporter_id=ada.id)),
        Incident(
            id="I-2",
            title="Old",
            status=IncidentStatus.CLOSED,
            enrichment=Enrichment(reporter_id=ada.id),
        ),
        Incident(id="I-3", title="Mail", reporter=PersonRef(email="BUD@acme.example")),
        Problem(id="PR-1", title="Root", enrichment=Enrichment(reporter_id=ada.id)),
    ]
    for ticket in tickets:
        await store.put_record(ticket)

    assert (await store.find_person("ADA@acme.example")).id == ada.id  # the active one
    assert (await store.find_person("ada")).id == ada.id  # by login
    assert (await store.find_person("P-bud")).id == bud.id
    assert await store.find_person("nobody@acme.example") is None
    assert [p.id for p in await store.list_people(department="engineering")] == [ada.id, old_ada.id]
    assert (await store.devices_used_by([ada.id, bud.id])) == {ada.id: [laptop]}
    assert await store.open_tickets_about([ada.id, "bud@acme.example"]) == ["I-1", "I-3", "PR-1"]
    about = await store.tickets_about(ada, kinds=[RecordKind.INCIDENT])
    assert [t.record_id for t in about] == ["I-1"]
    every = await store.tickets_about(ada, open_only=False)
    assert {t.record_id for t in every} == {"I-1", "I-2", "PR-1"}
    assert await store.open_ticket_counts([ada, bud]) == {ada.id: 2, bud.id: 1}
    changed = await store.directory_changed(None, until=clock())
    assert [i for _, i in changed] == sorted([ada.id, old_ada.id, bud.id, laptop.id])
    assert {when for when, _ in changed} == {start}
    assert await store.directory_changed(changed[1], until=clock()) == changed[2:]
    clock.advance(minutes=1)
    await store.put_record(bud.model_copy(update={"department": "Finance"}))
    later = await store.directory_changed(changed[-1], until=clock.advance(seconds=1))
    assert [i for _, i in later] == [bud.id]
