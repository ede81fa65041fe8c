"""Regression tests for what a kill -9 chaos run found (issue 9): each fails without its
fix. A write whose answer (or commit) was lost leaves the row with its intent, which is
what the tests stage with the fake remote's lost responses."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from itsmhub import RemoteChange, TransientError
from itsmhub.engine import sync_once

pytestmark = pytest.mark.anyio


def only(world: Any, system: str) -> Any:
    [record] = [r for r in world.remotes[system].records.values() if not r.deleted]
    return record


async def _settle(world: Any) -> None:
    for _ in range(4):
        world.clock.advance(timedelta(hours=2))
        await world.cycle()


async def test_our_update_coming_back_after_a_lost_commit_is_not_an_edit_there(world) -> None:
    """A sets category=network; the write to B lands but its commit is lost; A sets
    software; an unrelated (later) edit in B. B's pull (after A's, as a cycle orders
    them) must read network as the hub's own write coming back, not as B's edit winning
    "newest change" over A's software."""
    a, b = world.remotes["jira"], world.remotes["zendesk"]  # a cycle pulls jira first
    ticket = a.add("incident", title="VPN drops", status="new", category="inquiry")
    await world.settle()
    a.edit(ticket.remote_id, category="network")
    b.faults.fail_after("update", TransientError("connection dropped after the write"))
    await world.cycle()
    assert only(world, "zendesk").fields["category"] == "network"  # written, unconfirmed
    a.edit(ticket.remote_id, category="software")
    b.clock.set(a.clock.now() + timedelta(hours=1))  # B's record is stamped the newest
    b.edit(only(world, "zendesk").remote_id, title="VPN drops at night")
    await _settle(world)
    assert only(world, "jira").fields["category"] == "software"
    assert only(world, "zendesk").fields["category"] == "software"
    assert only(world, "jira").fields["title"] == "VPN drops at night"


async def test_an_adopted_copy_keeps_the_edit_made_in_it_since_its_lost_create(world) -> None:
    """The create reaches B but its answer is lost; a person edits the copy in B; the
    next pull adopts the copy by its marker and must merge three-way against what the
    create sent, keeping B's edit instead of writing the hub's older value over it."""
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    jira.faults.fail_after("create", TransientError("connection dropped after the create"))
    zendesk.add("incident", title="Mail relay", status="new", description="original text")
    await world.cycle()
    copy = only(world, "jira")
    jira.edit(copy.remote_id, description="edited in B")
    await _settle(world)
    assert only(world, "jira").fields["description"] == "edited in B"
    assert only(world, "zendesk").fields["description"] == "edited in B"
    trail = [
        e.event
        for e in await world.hub.store.audit_trail(
            (await world.hub.store.find_by_ref("jira", copy.remote_id)).id  # type: ignore[union-attr]
        )
    ]
    assert "record.adopted" in trail and "record.updated" in trail


async def test_a_failing_reread_after_a_concurrent_edit_backs_off_not_crashes(world) -> None:
    """RemoteChanged makes the pusher read the record again; a 5xx on that read must be
    settled like any transient error, not end the cycle with an exception."""
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    ticket = zendesk.add("incident", title="Printer jams", status="new")
    await world.settle()
    zendesk.edit(ticket.remote_id, title="Printer jams on floor 3")
    jira.edit(only(world, "jira").remote_id, title="Printer jams daily")  # not pulled yet
    jira.faults.fail_next("get", TransientError("503 on the re-read", status=503))
    report = await sync_once(world.hub, only="zendesk")  # pull A only, then push to B
    assert report.of("jira").push.retried == 1
    assert "503 on the re-read" in (report.of("jira").push.last_error or "")
    await _settle(world)
    titles = {only(world, s).fields["title"] for s in ("zendesk", "jira")}
    assert len(titles) == 1


async def test_an_answer_a_connector_cannot_read_fails_one_write_not_the_process(
    world,
) -> None:
    """Anything but an itsmhub error escaping a connector is wrapped at the boundary: the
    row is retried with backoff, the connector is not paused, the cycle completes."""
    zendesk = world.remotes["zendesk"]
    jira = world.hub.connectors["jira"]
    calls = {"n": 0}
    original = type(jira).create

    async def broken_create(self: Any, record: Any, *, marker: str) -> RemoteChange:
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyError("result")  # as `response.json()["result"]` on a broken body
        return await original(self, record, marker=marker)

    jira.create = broken_create.__get__(jira)  # type: ignore[method-assign]
    zendesk.add("incident", title="Badge reader", status="new")
    report = await world.cycle()
    push = report.of("jira").push
    assert not push.paused and push.retried == 1
    assert "could not read" in (push.last_error or "") and "KeyError" in push.last_error
    await _settle(world)
    assert only(world, "jira").fields["title"] == "Badge reader"
