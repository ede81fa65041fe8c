"""Bulk pushes: a connector with ``write_many`` gets creates and updates in batches, and
every per-row promise of the one-call-per-row path still holds."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
from fakes.connector import FakeConnector

from itsmhub import (
    ConfigError,
    ItsmhubError,
    RecordError,
    TransientError,
    Write,
    WriteCreate,
    WriteOutcome,
)
from itsmhub.engine import Pusher

pytestmark = pytest.mark.anyio
#: Writes per write_many call: the connector's declared maximum.
WRITE_BATCH = FakeConnector.max_batch


class BulkFake(FakeConnector):
    """The fake connector with ``write_many``: each item through create/update, so the
    remote's per-operation faults hit single items; ``fail_batches`` fails whole calls."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.batches: list[int] = []
        self.fail_batches: list[ItsmhubError] = []

    async def write_many(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        self.batches.append(len(writes))
        if self.fail_batches:
            raise self.fail_batches.pop(0)
        outcomes: list[WriteOutcome] = []
        for write in writes:
            try:
                if isinstance(write, WriteCreate):
                    outcomes.append(await self.create(write.record, marker=write.marker))
                else:
                    outcomes.append(await self.update(write.ref, write.changes))
            except ItsmhubError as exc:
                outcomes.append(exc)
        return outcomes


def bulk(world: Any, name: str) -> BulkFake:
    old = world.hub.connectors[name]
    world.hub.connectors[name] = new = BulkFake(old.name, old.settings, old.context)
    return new


def copies(world: Any, system: str) -> list[Any]:
    return [r for r in world.remotes[system].records.values() if not r.deleted]


async def test_the_bulk_path_is_taken_only_when_the_connector_implements_it(world) -> None:
    assert not Pusher(world.hub, "jira").bulk
    bulk(world, "jira")
    assert Pusher(world.hub, "jira").bulk
    assert "write_many" in BulkFake.capabilities()
    assert "write_many" not in FakeConnector.capabilities()


async def test_creates_and_updates_go_in_batches_and_settle_per_row(world) -> None:
    zendesk = world.remotes["zendesk"]
    snow = bulk(world, "jira")
    count = WRITE_BATCH + 7
    tickets = [zendesk.add("incident", title=f"Outage {i}", status="new") for i in range(count)]
    await world.settle()
    assert len(copies(world, "jira")) == count
    assert sorted(snow.batches) == [7, WRITE_BATCH]
    for ticket in tickets:
        zendesk.edit(ticket.remote_id, status="in_progress")
    snow.batches.clear()
    await world.settle()
    assert sorted(snow.batches) == [7, WRITE_BATCH]
    assert {c.fields["status"] for c in copies(world, "jira")} == {"in_progress"}
    assert await world.hub.store.outbox_depth("jira") == 0
    # Each row is audited on its own, as on the single path.
    record = await world.hub.store.find_by_ref("zendesk", tickets[0].remote_id)
    events = [e.event for e in await world.hub.store.audit_trail(record.id)]
    assert events.count("record.copied") == 1 and events.count("record.pushed") == 1


async def test_one_refused_item_is_dead_lettered_and_the_rest_of_its_batch_pushed(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    snow = bulk(world, "jira")
    tickets = [zendesk.add("incident", title=f"Disk {i}", status="new") for i in range(5)]
    await world.settle()
    for ticket in tickets:
        zendesk.edit(ticket.remote_id, status="on_hold")
    jira.faults.fail_next("update", RecordError("status on_hold is not allowed"), skip=2)
    snow.batches.clear()
    await world.cycle()
    assert snow.batches == [5]
    assert sorted(c.fields["status"] for c in copies(world, "jira")) == ["new"] + ["on_hold"] * 4
    [letter] = await world.hub.store.list_dead_letters("jira")
    assert "status on_hold is not allowed" in letter.reason


async def test_a_lost_create_answer_in_a_batch_is_found_by_marker_not_duplicated(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    bulk(world, "jira")
    for i in range(3):
        zendesk.add("incident", title=f"Printer {i}", status="new")
    jira.faults.fail_after("create", TransientError("read timeout"), skip=1)
    await world.cycle()
    world.clock.advance(timedelta(hours=2))
    retry = await Pusher(world.hub, "jira").run()  # before any pull could adopt the copy
    assert (retry.pushed, retry.retried) == (1, 0)
    await world.settle()
    assert sorted(c.fields["title"] for c in copies(world, "jira")) == [
        "Printer 0",
        "Printer 1",
        "Printer 2",
    ]
    assert jira.calls["create"] == 3 and jira.calls["find_by_marker"] == 1


async def test_a_concurrent_edit_in_a_batch_is_merged_not_overwritten(world) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    bulk(world, "jira")
    tickets = [zendesk.add("incident", title=f"Share {i}", status="new") for i in range(3)]
    await world.settle()
    [first, *_] = sorted(copies(world, "jira"), key=lambda c: c.fields["title"])
    for ticket in tickets:
        zendesk.edit(ticket.remote_id, status="in_progress")
    jira.edit(first.remote_id, service="storage")  # a remote edit the hub has not read
    await world.settle()
    merged = zendesk.record(tickets[0].remote_id)
    assert (merged.fields["status"], merged.fields["service"]) == ("in_progress", "storage")
    assert jira.record(first.remote_id).fields["service"] == "storage"
    assert {c.fields["status"] for c in copies(world, "jira")} == {"in_progress"}


async def test_a_failed_batch_call_retries_every_row_later_without_duplicates(world) -> None:
    zendesk = world.remotes["zendesk"]
    snow = bulk(world, "jira")
    for i in range(4):
        zendesk.add("incident", title=f"VPN {i}", status="new")
    snow.fail_batches.append(TransientError("batch timed out"))
    report = await world.cycle()
    assert report.of("jira").push.retried == 4 and copies(world, "jira") == []
    world.clock.advance(timedelta(hours=2))
    await world.settle()
    assert len(copies(world, "jira")) == 4
    assert await world.hub.store.outbox_depth("jira") == 0


async def test_bad_credentials_on_a_batch_pause_the_connector_and_keep_the_rows(world) -> None:
    zendesk = world.remotes["zendesk"]
    snow = bulk(world, "jira")
    for i in range(3):
        zendesk.add("incident", title=f"Badge {i}", status="new")
    snow.fail_batches.append(ConfigError("401 from the batch endpoint", key="auth"))
    report = await world.cycle()
    push = report.of("jira").push
    assert push.paused and push.dead == 0 and copies(world, "jira") == []
    assert await world.hub.store.outbox_depth("jira") == 3
    last = await world.hub.store.last_audit("jira", "error")
    assert last is not None and last.event == "error.connector"
    assert "401 from the batch endpoint" in last.detail["error"]
