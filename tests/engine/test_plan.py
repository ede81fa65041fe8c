"""``sync --plan`` tells the truth: what it lists is what the next cycle writes, rule
proposals included, and one connector that cannot be read does not hide the others."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from fakes.world import World, ticking

from itsmhub import FatalError, RecordKind
from itsmhub.engine import plan

pytestmark = pytest.mark.anyio

RECURRENCE: dict[str, Any] = {
    "copy": {"type": "routing", "from": "zendesk", "to": ["jira"]},
    "vpn-recurs": {
        "type": "recurrence",
        "threshold": 3,
        "window": "7d",
        "fingerprint": ["title", "service"],
        "create_in": "itsm",
    },
}

#: The fake remotes' call for each outbox operation.
_CALLS = {"create": "create", "update": "update", "comment": "add_comment", "link": "link"}


def _writes_made(world: World, before: dict[str, Counter[str]]) -> Counter[tuple[str, str]]:
    made: Counter[tuple[str, str]] = Counter()
    for name, remote in world.remotes.items():
        for operation, call in _CALLS.items():
            count = remote.calls[call] - before[name][call]
            if count:
                made[name, operation] += count
    return made


async def test_the_plan_lists_what_the_next_cycle_writes_rules_included(
    world_factory: Callable[..., Any],
) -> None:
    world: World = await world_factory(["zendesk", "jira", "itsm"], rules=RECURRENCE)
    world.hub.clock = ticking(world.clock)  # as a real one: the rules read what was pulled
    zendesk = world.remotes["zendesk"]
    for remote in world.remotes.values():
        remote.clock.set(world.clock.now)
    for host in ("lt-0423", "lt-0117", "10.1.2.3"):
        zendesk.add("incident", title=f"VPN drops every few minutes on {host}", service="vpn")

    planned = await plan(world.hub)

    [proposal] = [p for p in planned.proposals if p.action.value == "create_problem"]
    assert proposal.create_in == "itsm"
    assert planned.rules_seen == 3 and planned.unread == {}
    assert all(not remote.records_of(RecordKind.PROBLEM) for remote in world.remotes.values())
    assert await world.hub.store.get_cursor("zendesk", "incident") is None

    before = {name: Counter(remote.calls) for name, remote in world.remotes.items()}
    report = await world.cycle()
    assert report.ok, report
    planned_writes = Counter((w.system, w.operation) for w in planned.writes)
    assert planned_writes[("itsm", "create")] == 1  # the problem
    assert planned_writes[("jira", "create")] == 3  # the routed copies
    assert _writes_made(world, before) == planned_writes
    assert len(world.remotes["itsm"].records_of(RecordKind.PROBLEM)) == 1


async def test_a_connector_that_cannot_be_read_leaves_the_others_planned(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    zendesk, jira = world.remotes["zendesk"], world.remotes["jira"]
    zendesk.add("incident", title="Planned although Jira is down", status="new")
    jira.faults.fail_next("list_changed", FatalError("403 Forbidden"), times=10)

    planned = await plan(world.hub)

    assert "403 Forbidden" in planned.unread["jira"]
    assert [(w.system, w.operation) for w in planned.writes] == [("jira", "create")]

    monkeypatch.setattr(world.hub.connectors["jira"], "can", lambda operation: operation != "pull")
    planned = await plan(world.hub)
    assert planned.unread == {"jira": "the fake connector cannot pull changes"}
    assert [(w.system, w.operation) for w in planned.writes] == [("jira", "create")]
