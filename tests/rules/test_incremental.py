"""The sync cycle's incremental rules decide as a replay over the same history does, and
carry each decision out once, whatever the number of cycles or restarts."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fakes.world import World

from itsmhub import ExternalRef, Incident
from itsmhub.engine.rules_run import RulesStep, replay
from itsmhub.rules.proposals import AnyProposal
from itsmhub.rules.session import RuleSession

pytestmark = pytest.mark.anyio

RULES: dict[str, Any] = {
    "recurs": {
        "type": "recurrence",
        "threshold": 3,
        "window": "3d",
        "similarity": 0.6,
        "create_in": "itsm",
    },
    "similar": {"type": "linking", "method": "similar_title", "threshold": 0.8, "window": "2h"},
    "dig": {"type": "follow_up", "trigger": "tagged", "tag": "dig-later", "create_in": "itsm"},
}
PATTERNS = [
    ("vpn", "VPN drops every few minutes on {host}"),
    ("vpn", "VPN client rejects valid certificate"),
    ("mail", "Mailbox full cannot receive mail"),
    ("sap", "SAP login timeout after {n} seconds"),
]
NOISE = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
]


def history(count: int, seed: int) -> list[Incident]:
    rng = random.Random(seed)
    start = datetime(2026, 2, 1, tzinfo=UTC)
    incidents = []
    for i in range(count):
        at = start + timedelta(hours=3 * i + rng.random())
        if rng.random() < 0.6:
            service, template = rng.choice(PATTERNS)
            title = template.format(host=f"lt-{rng.randint(1, 999)}", n=rng.randint(5, 90))
        else:
            service, title = rng.choice(["vpn", "mail", "sap"]), " ".join(rng.sample(NOISE, 4))
        incidents.append(
            Incident(
                id=f"I{i:04d}",
                title=title,
                service=service,
                tags=["dig-later"] if rng.random() < 0.05 else [],
                refs=[ExternalRef(system=rng.choice(["zendesk", "jira"]), remote_id=f"r{i}")],
                opened_at=at,
            )
        )
    return incidents


def shape(proposals: list[AnyProposal]) -> set[tuple[str, str, frozenset[str]]]:
    return {(p.rule, p.action.value, frozenset(p.subjects)) for p in proposals}


@pytest.mark.parametrize("seed", [1, 2])
async def test_incremental_decides_as_the_replay(
    world_factory: Callable[..., Any], seed: int
) -> None:
    incidents = history(120, seed)
    replayed: World = await world_factory(["zendesk", "jira", "itsm"], rules=RULES)
    for record in incidents:
        await replayed.hub.store.put_record(record)
    expected = await replay(
        replayed.hub, RuleSession(replayed.hub.config), since=None, now=replayed.clock.now
    )
    assert any(p.action.value == "create_problem" for p in expected.proposals)

    live: World = await world_factory(["zendesk", "jira", "itsm"], rules=RULES)
    step = RulesStep()
    seen: list[AnyProposal] = []
    for n, record in enumerate(incidents):
        await live.hub.store.put_record(record)
        live.clock.advance(timedelta(seconds=1))
        if n % 7 == 3:
            step = RulesStep()  # a restarted daemon rebuilds its session from the store
        seen += (await step.run(live.hub)).proposals
    assert shape(seen) == shape(expected.proposals)

    # Another cycle, another process: nothing new to do.
    again = await RulesStep().run(live.hub)
    assert again.applied == 0


async def test_a_failed_proposal_is_decided_again_next_cycle(
    world_factory: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    from itsmhub.engine import rules_run
    from itsmhub.errors import StoreError

    world: World = await world_factory(["zendesk", "jira", "itsm"], rules=RULES)
    for record in history(40, 3):
        await world.hub.store.put_record(record)
    world.clock.advance(timedelta(seconds=1))
    real = rules_run.carry_out
    failures = iter([True])

    async def failing_once(hub: Any, proposal: AnyProposal) -> bool:
        if next(failures, False):
            raise StoreError("database is locked")
        return await real(hub, proposal)

    monkeypatch.setattr(rules_run, "carry_out", failing_once)
    step = RulesStep()
    first = await step.run(world.hub)
    assert first.errors == ["rules: database is locked"]
    world.clock.advance(timedelta(seconds=1))
    second = await step.run(world.hub)
    assert second.errors == []
    expected = await replay(
        world.hub, RuleSession(world.hub.config), since=None, now=world.clock.now
    )
    assert second.applied >= 1
    assert shape(second.proposals) >= shape(expected.proposals) - shape(first.proposals)
    assert (await RulesStep().run(world.hub)).applied == 0
