"""A push round that went well settles while the next round is claimed and prepared
(``engine/push/overlap.py``); every per-row promise still holds."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

from itsmhub import ConfigError, StoreError, TransientError
from itsmhub.engine import Pusher
from itsmhub.engine.cycle import ConnectorReport, pull_connector
from itsmhub.engine.plan import plan
from itsmhub.engine.push import pusher as pusher_module
from itsmhub.engine.push.overlap import Settling
from itsmhub.engine.push.tasks import Batch

pytestmark = pytest.mark.anyio


def copies(world: Any, system: str) -> list[Any]:
    return [r for r in world.remotes[system].records.values() if not r.deleted]


class Timeline:
    """When each round's settlement ran and when each batch was loaded."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.events: list[tuple[str, int]] = []
        settle, load = Pusher._settle, Batch.load
        timeline = self

        async def settling(pusher: Pusher, tasks: list[Any], *args: Any) -> None:
            first = tasks[0].item.id
            timeline.events.append(("settle", first))
            await settle(pusher, tasks, *args)
            timeline.events.append(("settled", first))

        async def loading(store: Any, system: str, items: list[Any]) -> Batch:
            timeline.events.append(("load", items[0].id))
            return await load(store, system, items)

        monkeypatch.setattr(Pusher, "_settle", settling)
        monkeypatch.setattr(Batch, "load", loading)

    def overlapped(self) -> int:
        """Batches loaded while the round before was still settling."""
        open_now, count = 0, 0
        for event, _ in self.events:
            open_now += {"settle": 1, "settled": -1}.get(event, 0)
            count += event == "load" and open_now > 0
        return count

    def most_at_once(self) -> int:
        """Settlements in flight at once, at most."""
        now = most = 0
        for event, _ in self.events:
            now += {"settle": 1, "settled": -1}.get(event, 0)
            most = max(most, now)
        return most


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def any_world(request: pytest.FixtureRequest, world_factory: Any) -> Any:
    """The engine's world on each backend: PostgreSQL is where the overlap pays."""
    if request.param == "sqlite":
        return await world_factory(["zendesk", "jira"])
    return await world_factory(["zendesk", "jira"], store_url=request.getfixturevalue("pg_store"))


async def test_a_round_settles_while_the_next_is_prepared_and_each_row_is_pushed_once(
    any_world, monkeypatch
) -> None:
    world = any_world
    monkeypatch.setattr(pusher_module, "CLAIM_BATCH", 3)
    timeline = Timeline(monkeypatch)
    zendesk = world.remotes["zendesk"]
    tickets = [zendesk.add("incident", title=f"Printer {i}", status="new") for i in range(10)]
    report = await world.cycle()
    assert report.ok and report.of("jira").push.pushed == 10
    # Rounds 2..4 load while the round before settles (on PostgreSQL, as the server answers).
    assert timeline.overlapped() >= 1
    assert timeline.most_at_once() == 1  # settlements commit one at a time
    assert sorted(c.fields["title"] for c in copies(world, "jira")) == sorted(
        f"Printer {i}" for i in range(10)
    )
    for ticket in tickets:
        record = await world.hub.store.find_by_ref("zendesk", ticket.remote_id)
        assert record is not None and record.ref_for("jira") is not None
        events = [e.event for e in await world.hub.store.audit_trail(record.id)]
        assert events.count("record.copied") == 1
    assert await world.hub.store.outbox_depth("jira") == 0


async def test_a_failed_round_settles_before_the_next_is_claimed(world, monkeypatch) -> None:
    """Bad credentials pause the connector: no later round claims or calls anything."""
    monkeypatch.setattr(pusher_module, "CLAIM_BATCH", 2)
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    for i in range(6):
        zendesk.add("incident", title=f"Badge {i}", status="new")
    jira.faults.fail_next("create", ConfigError("401 from Jira", key="auth"))
    report = await world.cycle()
    push = report.of("jira").push
    assert push.paused
    # The 401's round made its two calls (one went through); no later round made any.
    assert jira.calls["create"] == 2 and len(copies(world, "jira")) == push.pushed == 1
    assert await world.hub.store.outbox_depth("jira") == 5


async def test_a_transient_failure_settles_in_line_and_the_rows_go_out_later(
    world, monkeypatch
) -> None:
    monkeypatch.setattr(pusher_module, "CLAIM_BATCH", 2)
    timeline = Timeline(monkeypatch)
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    for i in range(4):
        zendesk.add("incident", title=f"Disk {i}", status="new")
    jira.faults.fail_next("create", TransientError("503"))
    await world.settle()
    assert sorted(c.fields["title"] for c in copies(world, "jira")) == [
        f"Disk {i}" for i in range(4)
    ]
    assert timeline.most_at_once() == 1


async def test_a_preview_settles_in_line_on_its_one_connection(world, monkeypatch) -> None:
    monkeypatch.setattr(pusher_module, "CLAIM_BATCH", 2)
    timeline = Timeline(monkeypatch)
    zendesk = world.remotes["zendesk"]
    for i in range(5):
        zendesk.add("incident", title=f"Laptop {i}", status="new")
    async with world.hub.store.rehearsal() as rehearsal:
        assert not rehearsal.concurrent
    assert world.hub.store.concurrent
    planned = await plan(world.hub)
    assert timeline.overlapped() == 0 and timeline.events
    assert len([w for w in planned.writes if w.system == "jira"]) == 5
    assert copies(world, "jira") == []


async def test_a_store_failure_mid_push_is_raised_as_itself(world, monkeypatch) -> None:
    """Not wrapped in an exception group: callers catch the store's own errors."""
    monkeypatch.setattr(pusher_module, "CLAIM_BATCH", 2)
    zendesk = world.remotes["zendesk"]
    tickets = [zendesk.add("incident", title=f"Scanner {i}", status="new") for i in range(6)]
    await pull_connector(world.hub, "zendesk", ConnectorReport())  # copies wait in the outbox
    claim, claims = world.hub.store.claim_due, []

    async def failing(*args: Any, **kwargs: Any) -> Any:
        claims.append(args)
        if len(claims) == 2:
            raise StoreError("the store went away", fix="start it again")
        return await claim(*args, **kwargs)

    monkeypatch.setattr(world.hub.store, "claim_due", failing)
    with pytest.raises(StoreError, match="went away"):
        await Pusher(world.hub, "jira").run()
    # The round in flight when the claim failed still settled: its copies are known.
    found = [await world.hub.store.find_by_ref("zendesk", t.remote_id) for t in tickets]
    known = [r for r in found if r is not None and r.ref_for("jira") is not None]
    assert len(known) == len(copies(world, "jira")) == 2


# --- the settlement in flight, alone --------------------------------------------------


async def test_settling_knows_which_records_it_writes() -> None:
    async with anyio.create_task_group() as group:
        settling = Settling(group)
        assert not settling.busy and not settling.overlaps({"a"})
        gate = anyio.Event()
        settling.start(gate.wait, writes={"a", "b"})
        assert settling.busy
        assert settling.overlaps({"b", "z"}) and not settling.overlaps({"y", "z"})
        gate.set()
        await settling.wait()
        assert not settling.busy and not settling.overlaps({"a"})
        settling.start(gate.wait, writes=None)  # may write anything
        assert settling.overlaps({"q"})
        await settling.wait()


async def test_a_settlements_error_is_raised_where_the_pusher_waits() -> None:
    async def refused() -> None:
        raise RuntimeError("the store went away")

    async with anyio.create_task_group() as group:
        settling = Settling(group)
        settling.start(refused, writes=set())
        with pytest.raises(RuntimeError, match="went away"):
            await settling.wait()
        await settling.wait()  # raised once, then nothing is in flight


async def test_settling_in_line_has_nothing_to_start() -> None:
    settling = Settling(None)
    assert not settling.can_overlap
    with pytest.raises(RuntimeError, match="in line"):
        settling.start(anyio.sleep, writes=set())
