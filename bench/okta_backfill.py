"""An Okta directory backfill end to end: records/s, API calls per record against the
minimum (users and devices 200 a page, every membership by group), peak memory, and the
ratio to the wire limit.

    .venv/bin/python bench/okta_backfill.py 10000

The emulator (N people, their groups and devices) is served by uvicorn on 127.0.0.1 in
its own process; this process runs `itsmhub backfill`'s engine path with the real
connector over HTTP into a fresh SQLite store, for the users and devices streams. The
wire limit is the same pages fetched and JSON-parsed with a bare httpx client, no store.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from okta_server import TOKEN, config_data, start


def cpu() -> float:
    """This process's CPU time (user + system): the hub's own work, whatever the load."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def wire(port: int) -> tuple[float, int]:
    """Fetch and parse what the backfill reads (users by lastUpdated, every membership by
    group, devices with their users), following next links; no mapping, no store."""
    import httpx

    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    calls = 0
    async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"SSWS {TOKEN}"}) as c:

        async def walk(url: str, params: dict | None) -> list:
            nonlocal calls
            items: list = []
            while url:
                response = await c.get(url, params=params)
                calls += 1
                items += response.json()
                url = response.links.get("next", {}).get("url")
                params = None
            return items

        search = 'lastUpdated ge "2000-01-01T00:00:00.000Z"'
        users = {"search": search, "sortBy": "lastUpdated", "sortOrder": "asc", "limit": 200}
        await walk("/api/v1/users", users)
        for group in await walk("/api/v1/groups", {"limit": 10000}):
            await walk(f"/api/v1/groups/{group['id']}/users", {"limit": 1000})
        await walk("/api/v1/devices", {"search": search, "expand": "user", "limit": 200})
    return time.perf_counter() - started, calls


async def connector_alone(hub) -> float:  # type: ignore[no-untyped-def]
    """The same pulls, mapped to records but not applied: where the time goes."""
    from itsmhub import PullRequest

    connector = hub.connector("okta")
    started = time.perf_counter()
    for stream in ("users", "devices"):
        request = PullRequest(
            stream=hub.stream("okta", stream), since=datetime(2000, 1, 1, tzinfo=UTC)
        )
        async for _ in connector.pull(request):
            pass
    return time.perf_counter() - started


def main(count: int) -> None:
    import anyio

    from itsmhub.config import validate_config
    from itsmhub.engine import Hub, backfill_streams
    from itsmhub.plugins import load_plugins

    server, counter, port = start(count)
    os.environ["ITSMHUB_BENCH_OKTA_TOKEN"] = TOKEN
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "okta"})
    try:
        with tempfile.TemporaryDirectory() as folder:
            data = config_data(folder, port)
            config, issues = validate_config(data, plugins, config_dir=Path(folder))
            assert config is not None, issues

            async def run() -> tuple[float, float, dict[str, int], float, int, float]:
                async with Hub.open(config, plugins) as hub:
                    await hub.connector("okta").check()  # waits until it serves
                    with counter.get_lock():
                        counter.value = 0
                    started, used = time.perf_counter(), cpu()
                    streams = [hub.stream("okta", s) for s in ("users", "devices")]
                    since = datetime(2000, 1, 1, tzinfo=UTC)
                    totals = await backfill_streams(hub, "okta", streams, since=since)
                    created = {name: stats.created for name, stats in totals.items()}
                    elapsed, used = time.perf_counter() - started, cpu() - used
                    alone = await connector_alone(hub)
                wire_time, wire_calls = await wire(port)
                return elapsed, used, created, wire_time, wire_calls, alone

            elapsed, used, created, wire_time, wire_calls, alone = anyio.run(run)
    finally:
        server.terminate()
    calls = (counter.value - wire_calls) // 2  # the engine's run, then the connector's alone
    records = sum(created.values())
    users = created["users"]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The fewest calls that read it all at the largest page sizes Okta allows: users and
    # devices 200 a page, the groups in one page, members 1,000 a page (the wire's walk).
    minimum = wire_calls
    print(f"people {users}, devices {created['devices']}; load average {os.getloadavg()[0]:.1f}")
    header = ("records", "seconds", "rec/s", "API calls", "calls/rec", "min calls", "peak MiB")
    print("{:>8} {:>8} {:>7} {:>9} {:>9} {:>9} {:>8}".format(*header))
    print(
        f"{records:>8} {elapsed:>8.1f} {records / elapsed:>7.0f} {calls:>9} "
        f"{calls / records:>9.5f} {minimum:>9} {peak:>8.1f}"
    )
    print(
        f"wire: {wire_time:.2f} s for the same {wire_calls} calls; "
        f"backfill / wire = {elapsed / wire_time:.2f}; the connector alone (pull and map, "
        f"no store) {alone:.2f} s = {alone / wire_time:.2f} x wire"
    )
    print(f"the backfill's CPU time in this process: {used:.2f} s ({records / used:.0f} rec/s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
