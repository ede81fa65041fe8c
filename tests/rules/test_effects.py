"""Carrying out proposals: through the hub and the outbox, and never twice."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fakes.world import World

from itsmhub import ExternalRef, Incident, IncidentStatus, LinkKind, Problem
from itsmhub.engine.effects import carry_out
from itsmhub.rules.proposals import AddLink, AddNote, CreateProblem, ResolveIncident
from itsmhub.store import OutboxOperation

pytestmark = pytest.mark.anyio


async def _world(world_factory: Callable[..., Any]) -> World:
    return await world_factory(["zendesk", "itsm"], rules={})


async def _incident(world: World, title: str, system: str = "zendesk") -> Incident:
    record = Incident(title=title, refs=[ExternalRef(system=system, remote_id=title)])
    await world.hub.store.put_record(record)
    return record


async def _pending(world: World, connector: str, operation: OutboxOperation) -> int:
    items = await world.hub.store.claim_due(connector, world.clock.now, 1000)
    for item in items:  # put them back: this only counts
        await world.hub.store.fail(item.id, "counted", world.clock.now)
    return sum(1 for item in items if item.operation is operation)


async def test_a_problem_is_created_once_with_its_links(world_factory: Callable[..., Any]) -> None:
    world = await _world(world_factory)
    a, b = await _incident(world, "VPN down 1"), await _incident(world, "VPN down 2")
    proposal = CreateProblem(
        rule="vpn",
        reason="2 incidents",
        problem_id="RPROBLEM0000000000000000001",
        title="Recurring: VPN down",
        description="evidence",
        create_in="itsm",
        members=[a.id, b.id],
    )
    assert await carry_out(world.hub, proposal) is True
    assert await carry_out(world.hub, proposal) is False
    created = await world.hub.store.get_record(proposal.problem_id)
    assert isinstance(created, Problem) and created.description == "evidence"
    assert await world.hub.store.linked_to(created.id) == sorted([a.id, b.id])
    assert await _pending(world, "itsm", OutboxOperation.CREATE) == 1
    assert await _pending(world, "zendesk", OutboxOperation.LINK) == 2
    trail = [e.event for e in await world.hub.store.audit_trail(created.id)]
    assert trail.count("rule.create_problem") == 1


async def test_no_problem_when_the_members_got_one_meanwhile(
    world_factory: Callable[..., Any],
) -> None:
    world = await _world(world_factory)
    a = await _incident(world, "VPN down")
    first = CreateProblem(
        rule="r",
        reason="x",
        problem_id="RFIRST",
        title="t",
        description="d",
        create_in="itsm",
        members=[a.id],
    )
    second = first.model_copy(update={"problem_id": "RSECOND"})
    assert await carry_out(world.hub, first) is True
    assert await carry_out(world.hub, second) is False
    assert await world.hub.store.get_record("RSECOND") is None


async def test_notes_are_written_once_and_links_are_sets(world_factory: Callable[..., Any]) -> None:
    world = await _world(world_factory)
    a, b = await _incident(world, "A"), await _incident(world, "B")
    note = AddNote(rule="ke", reason="r", record_id=a.id, note_id="rule-n1", body="Workaround: x")
    link = AddLink(rule="refs", reason="r", record_id=a.id, target_id=b.id, kind=LinkKind.RELATED)
    reverse = AddLink(
        rule="refs", reason="r", record_id=b.id, target_id=a.id, kind=LinkKind.RELATED
    )
    assert [await carry_out(world.hub, p) for p in (note, note, link, link, reverse)] == [
        True,
        False,
        True,
        False,
        False,
    ]
    stored = await world.hub.store.get_record(a.id)
    assert isinstance(stored, Incident)
    assert [c.id for c in stored.comments] == ["rule-n1"]
    assert stored.comments[0].visibility.value == "internal"
    assert await _pending(world, "zendesk", OutboxOperation.COMMENT) == 1


async def test_resolving_propagates_to_every_tool(world_factory: Callable[..., Any]) -> None:
    world = await _world(world_factory)
    a = await _incident(world, "Mail stuck")
    resolve = ResolveIncident(rule="ke", reason="fixed", record_id=a.id, problem_id="P", notes="n")
    assert await carry_out(world.hub, resolve) is True
    assert await carry_out(world.hub, resolve) is False
    stored = await world.hub.store.get_record(a.id)
    assert isinstance(stored, Incident) and stored.status is IncidentStatus.RESOLVED
    assert await _pending(world, "zendesk", OutboxOperation.UPDATE) == 1
