"""Revisits: when the directory says a person or a device changed, the open tickets about
them are enriched again, so a department move reaches the tickets of the next cycle.

The enrichment step runs this before it looks at changed tickets. It reads the people and
devices the hub stored or changed since its own position, tells each enricher to forget
what it cached of them (:meth:`~itsmhub.Enricher.forget`), and enriches again the open
tickets whose reporter is one of those people, or uses one of those devices. Closed
tickets keep what they were enriched with: reports by department stay as they were.

On a hub's first run there is nothing enriched to revisit: the position starts at now.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime

from ..extensions import Enricher
from ..model import AnyTicket, Device, Incident, KnownError, Person, Problem
from ..store import Writes
from ..store.people import subjects_of
from .boundary import guarded
from .hub import Hub

#: Where the revisits keep their position, in the cursors table.
CURSOR = ("itsmhub", "enrichment-people")
#: People and devices read per batch.
BATCH = 500

Enrich = Callable[[list[AnyTicket], Writes], Awaitable[None]]


async def revisit_people(hub: Hub, enrichers: list[Enricher], enrich: Enrich) -> int:
    """Enrich again the open tickets about people and devices changed since the stored
    position; returns how many tickets were revisited."""
    stored = _position(await hub.store.get_cursor(*CURSOR))
    until = hub.clock()
    if stored is None:
        async with hub.store.transaction() as tx:
            await tx.put_cursor(*CURSOR, [until.isoformat(), ""])
        return 0
    revisited = 0
    while True:
        changed = await hub.store.directory_changed(stored, until=until, limit=BATCH)
        if not changed:
            return revisited
        directory = await _with_device_users(hub, [i for _, i in changed])
        for enricher in enrichers:
            await guarded(enricher.connector, "forget", enricher.forget(directory))
        people = [r for r in directory if isinstance(r, Person)]
        ids = await hub.store.open_tickets_about([s for p in people for s in subjects_of(p)])
        loaded = await hub.store.load_records(ids)
        tickets = [
            record
            for i in ids
            if isinstance(record := loaded[i].record, Incident | Problem | KnownError)
        ]
        writes = Writes(now=hub.clock())
        if tickets:
            await enrich(tickets, writes)
        last_at, last = changed[-1]
        stored = (last_at, last)
        writes.cursors[CURSOR] = [last_at.isoformat(), last]
        async with hub.store.transaction() as tx:
            await tx.flush(writes)
        revisited += len(tickets)
        if len(changed) < BATCH:
            return revisited


async def _with_device_users(hub: Hub, ids: list[str]) -> list[Person | Device]:
    """The changed people and devices, and the people the changed devices are used by
    (their tickets name those devices)."""
    loaded = await hub.store.load_records(ids)
    found: dict[str, Person | Device] = {
        i: r for i in ids if isinstance(r := loaded[i].record, Person | Device)
    }
    users = {
        link.target_id
        for record in found.values()
        if isinstance(record, Device)
        for link in record.links
        if link.target_id and link.target_id not in found
    }
    extra = await hub.store.load_records(users)
    found.update({i: r for i, stored in extra.items() if isinstance(r := stored.record, Person)})
    return list(found.values())


def _position(value: object) -> tuple[datetime, str] | None:
    if isinstance(value, list) and len(value) == 2:
        return datetime.fromisoformat(str(value[0])), str(value[1])
    return None
