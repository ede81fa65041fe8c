"""Connector runs: recorded per cycle, the newest read back, clean or failed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from itsmhub.store import Store

pytestmark = pytest.mark.anyio
T0 = datetime(2026, 3, 1, 12, tzinfo=UTC)


async def test_the_newest_run_and_the_newest_clean_one(store: Store) -> None:
    assert await store.last_run("jira") is None
    for minute, ok in ((0, True), (1, True), (2, False)):
        at = T0 + timedelta(minutes=minute)
        await store.record_run(
            "jira",
            started_at=at,
            finished_at=at + timedelta(seconds=5),
            ok=ok,
            error=None if ok else "pull issues: HTTP 503",
            stats={"pulled": minute},
            caught_up_to=at - timedelta(minutes=1),
        )
    last = await store.last_run("jira")
    assert last is not None and not last.ok and last.error == "pull issues: HTTP 503"
    clean = await store.last_run("jira", ok=True)
    assert clean is not None and clean.stats == {"pulled": 1}
    assert clean.caught_up_to == T0
    assert await store.last_run("zendesk") is None


async def test_parked_items_past_their_time_are_dropped(store: Store) -> None:
    from itsmhub.store import Writes

    def item(connector: str, awaits: str, days_ago: int) -> dict[str, object]:
        return {
            "connector": connector,
            "awaits": awaits,
            "record_id": None,
            "payload": {"comments": []},
            "parked_at": T0 - timedelta(days=days_ago),
        }

    writes = Writes(now=T0)
    writes.parked += [item("zendesk", "1", 40), item("zendesk", "2", 5), item("jira", "3", 40)]
    async with store.transaction() as tx:
        await tx.flush(writes)
    assert await store.expire_parked("zendesk", T0 - timedelta(days=30)) == 1
    assert [p.awaits for p in await store.parked_for("zendesk", ["1", "2"])] == ["2"]
    assert [p.awaits for p in await store.parked_for("jira", ["3"])] == ["3"]
