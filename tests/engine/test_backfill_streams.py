"""A backfill of several streams: read one after another, applied in order, the next
stream's first pages read while the last ones of the stream before are applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from itsmhub import PullItem, PullRequest, TransientError
from itsmhub.engine import backfill_streams

pytestmark = pytest.mark.anyio

SINCE = datetime(2025, 1, 1, tzinfo=UTC)


def _traced(world: Any, monkeypatch: Any) -> list[tuple[str, str]]:
    """Events of the reads and the commits, in the order they happen."""
    import itsmhub.engine.pull as pull

    events: list[tuple[str, str]] = []
    connector = world.hub.connector("zendesk")
    read = connector.pull

    async def traced_pull(request: PullRequest) -> AsyncIterator[PullItem]:
        events.append(("read", request.stream.name))
        async for item in read(request):
            yield item
        events.append(("read to the end", request.stream.name))

    commit = pull._commit

    async def traced_commit(hub: Any, name: str, stream: Any, *args: Any, **kw: Any) -> Any:
        await commit(hub, name, stream, *args, **kw)
        events.append(("committed", stream.name))

    monkeypatch.setattr(connector, "pull", traced_pull)
    monkeypatch.setattr(pull, "_commit", traced_commit)
    return events


async def test_streams_are_read_one_after_another_and_overlap_only_with_applying(
    world, monkeypatch
) -> None:
    zendesk = world.remotes["zendesk"]
    for n in range(1200):  # three pages of the engine's (500 items or more each)
        zendesk.add("incident", title=f"old {n}", status="new")
    for n in range(4):
        zendesk.add("problem", title=f"cause {n}", status="new")
    before = await world.hub.store.get_cursor("zendesk", "incident")
    events = _traced(world, monkeypatch)
    streams = [world.hub.stream("zendesk", kind) for kind in ("incident", "problem")]

    totals = await backfill_streams(world.hub, "zendesk", streams, since=SINCE)

    assert {name: stats.created for name, stats in totals.items()} == {
        "incident": 1200,
        "problem": 4,
    }
    reads = [e for e in events if e[0] != "committed"]
    assert reads == [  # never two reads at once: a connector keeps one pull at a time
        ("read", "incident"),
        ("read to the end", "incident"),
        ("read", "problem"),
        ("read to the end", "problem"),
    ]
    commits = [stream for what, stream in events if what == "committed"]
    assert commits == ["incident"] * 3 + ["problem"]
    last_incident_commit = max(i for i, e in enumerate(events) if e == ("committed", "incident"))
    assert events.index(("read", "problem")) < last_incident_commit  # read while applying
    assert await world.hub.store.get_cursor("zendesk", "incident") == before


async def test_a_failed_read_keeps_what_the_streams_before_committed(world) -> None:
    zendesk = world.remotes["zendesk"]
    for n in range(5):
        zendesk.add("incident", title=f"kept {n}", status="new")
    zendesk.add("problem", title="never read", status="new")
    # The fake reads 3 a page: two calls for the incidents, then the problems' first fails.
    zendesk.faults.fail_next("list_changed", TransientError("503", status=503), times=9, skip=2)
    streams = [world.hub.stream("zendesk", kind) for kind in ("incident", "problem")]

    with pytest.raises(TransientError):
        await backfill_streams(world.hub, "zendesk", streams, since=SINCE)

    for remote in zendesk.records.values():
        stored = await world.hub.store.find_by_ref("zendesk", remote.remote_id)
        assert (stored is not None) == (remote.kind.value == "incident"), remote.title


async def test_a_dry_run_of_several_streams_counts_and_writes_nothing(world) -> None:
    zendesk = world.remotes["zendesk"]
    zendesk.add("incident", title="counted", status="new")
    zendesk.add("problem", title="counted too", status="new")
    streams = [world.hub.stream("zendesk", kind) for kind in ("incident", "problem")]

    totals = await backfill_streams(world.hub, "zendesk", streams, since=SINCE, dry_run=True)

    assert [stats.created for stats in totals.values()] == [1, 1]
    for remote in zendesk.records.values():
        assert await world.hub.store.find_by_ref("zendesk", remote.remote_id) is None
