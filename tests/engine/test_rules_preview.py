"""``rules dry-run`` without ``--since`` previews the next cycle's rules step: after a
backfill of old tickets it sees them, as the step will, where a "last 90 days" replay
saw nothing."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from fakes.world import World, ticking

from itsmhub.engine import backfill
from itsmhub.engine.rules_preview import preview_rules_step
from itsmhub.engine.rules_run import run_over_history

pytestmark = pytest.mark.anyio

RULES: dict[str, Any] = {
    "vpn-recurs": {
        "type": "recurrence",
        "threshold": 3,
        "window": "7d",
        "fingerprint": ["title", "service"],
        "create_in": "itsm",
    },
}


def _actions(proposals: list[Any]) -> list[tuple[str, str]]:
    return sorted((p.rule, p.action.value) for p in proposals)


async def test_after_a_backfill_the_preview_sees_what_the_step_will(
    world_factory: Callable[..., Any],
) -> None:
    world: World = await world_factory(["zendesk", "itsm"], rules=RULES)
    world.hub.clock = ticking(world.clock)
    zendesk = world.remotes["zendesk"]
    long_ago = world.clock() - timedelta(days=200)
    zendesk.clock.set(long_ago)
    for host in ("lt-0423", "lt-0117", "10.1.2.3"):
        zendesk.add("incident", title=f"VPN drops every few minutes on {host}", service="vpn")
    await backfill(world.hub, "zendesk", "incident", since=long_ago - timedelta(days=1))

    last_90_days = await run_over_history(world.hub, since=world.clock() - timedelta(days=90))
    assert last_90_days.seen == 0  # what dry-run showed by default before

    preview = await preview_rules_step(world.hub)
    assert preview.since is None  # the rules have not run: the step reads every ticket
    assert preview.report.seen == 3
    assert _actions(preview.report.proposals) == [("vpn-recurs", "create_problem")]
    assert await world.hub.store.get_cursor("itsmhub", "rules") is None  # nothing kept

    report = await world.cycle()
    assert _actions(report.rules.proposals) == _actions(preview.report.proposals)

    after = await preview_rules_step(world.hub)
    assert isinstance(after.since, datetime)
    assert after.report.proposals == []  # done already: the next step proposes nothing
