"""Property-based: random interleavings of edits, comments, cycles and failures in two or
three systems always converge to the same values everywhere, with no duplicate remote
record and every conflict audited with both values."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import anyio
from fakes.world import World, open_world
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from itsmhub import TransientError, normalize_text, read_footer

FIELDS = {
    "title": st.sampled_from(["VPN drops", "VPN flaps", "VPN down for Berlin"]),
    "status": st.sampled_from(["new", "in_progress", "on_hold", "resolved"]),
    "service": st.sampled_from(["vpn", "network", "remote-access"]),
}


def step(systems: list[str]) -> st.SearchStrategy[tuple[Any, ...]]:
    system = st.sampled_from(systems)
    return st.one_of(
        st.tuples(st.just("edit"), system, st.sampled_from(sorted(FIELDS)), st.data()),
        st.tuples(st.just("comment"), system, st.text("abcdef ", min_size=1, max_size=12)),
        st.tuples(st.just("cycle"), st.permutations(systems)),
        st.tuples(
            st.just("fault"),
            system,
            st.sampled_from(["create", "update", "add_comment", "list_changed"]),
            st.sampled_from(["transient", "lost"]),
        ),
    )


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[str], list[tuple[Any, ...]]]:
    systems = ["servicenow", "jira", "zendesk"][: draw(st.integers(2, 3))]
    return systems, draw(st.lists(step(systems), max_size=14))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_random_interleavings_converge(scenario: tuple[list[str], list[tuple[Any, ...]]]) -> None:
    systems, steps = scenario
    with tempfile.TemporaryDirectory() as folder:
        anyio.run(_run, Path(folder), systems, steps)


async def _run(folder: Path, systems: list[str], steps: list[tuple[Any, ...]]) -> None:
    async with open_world(folder, systems, sync={"max_attempts": 100}) as world:
        origin = world.remotes[systems[0]]
        origin.add("incident", title="VPN drops", status="new", service="vpn")
        for action, *args in steps:
            await _do(world, action, args)
        for remote in world.remotes.values():
            remote.faults.clear()
        await world.settle(rounds=10)
        await _check(world, systems)


async def _do(world: World, action: str, args: list[Any]) -> None:
    if action == "cycle":
        for name in args[0]:
            await world.cycle(only=name)
        return
    remote = world.remotes[args[0]]
    copies = [r for r in remote.records.values() if not r.deleted]
    if action == "edit" and copies:
        name, data = args[1], args[2]
        remote.edit(copies[0].remote_id, **{name: data.draw(FIELDS[name])})
    elif action == "comment" and copies:
        remote.comment(copies[0].remote_id, args[1], author="Ada")
    elif action == "fault":
        op, how = args[1], args[2]
        if how == "lost" and op != "list_changed":
            remote.faults.fail_after(op, TransientError("503 from the fake", status=503))
        else:
            remote.faults.fail_next(op, TransientError("503 from the fake", status=503))


async def _check(world: World, systems: list[str]) -> None:
    [record] = [r async for r in _hub_records(world)]
    values = []
    for name in systems:
        live = [r for r in world.remotes[name].records.values() if not r.deleted]
        assert len(live) == 1, f"{name} holds {len(live)} copies"  # no duplicate
        copy = live[0]
        values.append({f: copy.fields.get(f) for f in FIELDS})
        bodies = sorted(_body(c.body) for c in copy.comments)
        assert bodies == sorted(_body(c.body) for c in record.comments), name
    assert all(v == values[0] for v in values), values  # the same values everywhere
    for entry in await world.hub.store.audit_trail(record.id):
        if entry.event == "conflict":
            assert {"incoming", "incumbent", "winner"} <= set(entry.detail)
            assert entry.detail["incoming"]["value"] != entry.detail["incumbent"]["value"]


async def _hub_records(world: World) -> Any:
    origin = next(iter(world.remotes))
    for remote in world.remotes[origin].records.values():
        found = await world.hub.store.find_by_ref(origin, remote.remote_id)
        if found is not None:
            yield found


def _body(text: str) -> str:
    """A comment's words as the hub reads them: without the author line and marker copies
    carry, and normalised (whitespace a tool adds or drops is no difference)."""
    return normalize_text(read_footer(text).body)
