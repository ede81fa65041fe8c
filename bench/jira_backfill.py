"""A Jira backfill end to end: records/s, API calls per record, peak memory, and the
ratio to the wire limit measured in the same run.

    .venv/bin/python bench/jira_backfill.py 50000

The Jira emulator, seeded with N issues (incidents, a tenth as many problems, their
comments and links), is served by uvicorn on 127.0.0.1 in its own process. This process
runs the engine's backfill path (`itsmhub backfill`) with the real connector over HTTP
into a fresh SQLite store; API calls are counted by the emulator (`/_emulator/calls`).
Then a bare httpx client fetches and JSON-parses the very same search pages (the same
JQL partitions, read concurrently the same way) with no mapping and no store: the wire
limit. Last, the connector alone pulls the same range without the engine (records
mapped, nothing stored), which tells the connector's share from the engine's. The
project's goal is backfill time ≤ 1.3 × wire time. Figures are printed, never asserted.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import resource
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

EMAIL, TOKEN = "itsmhub@example.com", "jira-emulator-token"
SINCE = datetime(2000, 1, 1, tzinfo=UTC)
MIN_CALLS_PER_RECORD = 1 / 100  # one search page of 100 issues, comments inline (C.2)


def serve(sock: socket.socket, issues: int) -> None:
    """Serve a site seeded with ``issues`` issues on ``sock`` (the child process)."""
    import uvicorn

    from itsmhub_jira.emulator import Site, build_app, seed_site

    site = Site(api_email=EMAIL, api_token=TOKEN)
    incidents = round(issues / 1.1)
    seed_site(site, 42, incidents=incidents, problems=issues - incidents)
    config = uvicorn.Config(build_app(site), log_level="critical", lifespan="off")
    uvicorn.Server(config).run(sockets=[sock])


def config_data(folder: str, port: int) -> dict[str, Any]:
    return {
        "store": {"url": f"sqlite:///{folder}/bench.db"},
        "http": {"allow_private_networks": True, "read_timeout": 300},
        "connectors": {
            "jira": {
                "type": "jira",
                "site_url": f"http://127.0.0.1:{port}",
                "custom_domain": True,
                "email": EMAIL,
                "api_token": "env:ITSMHUB_BENCH_JIRA_TOKEN",
                "projects": ["OPS"],
                "mapping": {
                    "custom_fields": {
                        "assignment_group": "customfield_10052",
                        "root_cause": "customfield_10050",
                        "workaround": "customfield_10051",
                    }
                },
            }
        },
    }


async def backfill_run(config: Any, plugins: Any, base: str) -> tuple[float, int, int, datetime]:
    """The engine's backfill; returns (seconds, records created, API calls, until)."""
    import httpx

    from itsmhub.engine import Hub, backfill

    async with Hub.open(config, plugins) as hub:
        connector = hub.connector("jira")
        await connector.check()  # waits until the emulator serves
        async with httpx.AsyncClient(base_url=base) as admin:
            await admin.delete("/_emulator/calls")
            until = datetime.now(UTC) + timedelta(minutes=1)
            started = time.perf_counter()
            stats = await backfill(hub, "jira", "issues", since=SINCE, until=until)
            elapsed = time.perf_counter() - started
            calls = (await admin.get("/_emulator/calls")).json()["total"]
    return elapsed, stats.created, calls, until


async def wire_run(base: str, settings: Any, until: datetime) -> tuple[float, int, int]:
    """The same search pages, fetched and parsed with a bare client: no mapping, no store.
    Returns (seconds, issues, pages)."""
    import anyio
    import httpx

    from itsmhub_jira import jql
    from itsmhub_jira.reading import partitions
    from itsmhub_jira.target import Target

    target = Target(system="jira", settings=settings)
    slices = partitions(SINCE, until, settings.backfill_partitions)
    tokens: list[str | None] = [None] * len(slices)
    done = [False] * len(slices)
    issues = pages = 0
    async with httpx.AsyncClient(base_url=base, auth=(EMAIL, TOKEN), timeout=300) as client:

        async def page(n: int) -> None:
            nonlocal issues, pages
            body: dict[str, Any] = {
                "jql": jql.changed(settings.projects, target.issue_types(), *_bounds(slices[n])),
                "fields": target.fields(),
                "maxResults": settings.page_size,
                "properties": ["itsmhub"],
            }
            if tokens[n]:
                body["nextPageToken"] = tokens[n]
            data = json.loads((await client.post("/rest/api/3/search/jql", json=body)).content)
            issues += len(data["issues"])
            pages += 1
            tokens[n] = data.get("nextPageToken")
            done[n] = data.get("isLast", True) or not tokens[n]

        started = time.perf_counter()
        while not all(done):
            async with anyio.create_task_group() as group:
                for n in range(len(slices)):
                    if not done[n]:
                        group.start_soon(page, n)
        return time.perf_counter() - started, issues, pages


async def connector_run(config: Any, plugins: Any, until: datetime) -> tuple[float, int]:
    """The connector alone: the same backfill pulled and mapped to records, no store.
    Returns (seconds, records)."""
    from itsmhub import PullRequest, RemoteChange
    from itsmhub.engine import Hub

    async with Hub.open(config, plugins) as hub:
        connector = hub.connector("jira")
        [stream] = connector.streams()
        request = PullRequest(stream=stream, since=SINCE, until=until)
        started = time.perf_counter()
        records = 0
        async for item in connector.pull(request):
            records += isinstance(item, RemoteChange)
        return time.perf_counter() - started, records


def _bounds(part: Any) -> tuple[datetime | None, datetime | None]:
    return part.since, part.until


def main(count: int) -> None:
    import anyio

    from itsmhub.config import validate_config
    from itsmhub.plugins import load_plugins

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    server = multiprocessing.Process(target=serve, args=(sock, count), daemon=True)
    server.start()
    os.environ["ITSMHUB_BENCH_JIRA_TOKEN"] = TOKEN
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "jira"})
    try:
        with tempfile.TemporaryDirectory() as folder:
            config, issues = validate_config(
                config_data(folder, port), plugins, config_dir=Path(folder)
            )
            assert config is not None, issues
            elapsed, created, calls, until = anyio.run(backfill_run, config, plugins, base)
            settings = config.connectors["jira"]
            wire, read, pages = anyio.run(wire_run, base, settings, until)
            alone, mapped = anyio.run(connector_run, config, plugins, until)
    finally:
        server.terminate()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = (
        "records",
        "seconds",
        "rec/s",
        "API calls",
        "calls/rec",
        "× minimum",
        "peak RSS MiB",
        "wire s",
        "÷ wire",
    )
    print("{:>8} {:>8} {:>7} {:>9} {:>9} {:>9} {:>12} {:>7} {:>7}".format(*header))
    print(
        f"{created:>8} {elapsed:>8.1f} {created / elapsed:>7.0f} {calls:>9} "
        f"{calls / created:>9.5f} {calls / created / MIN_CALLS_PER_RECORD:>9.2f} {peak:>12.1f} "
        f"{wire:>7.1f} {elapsed / wire:>7.1f}"
    )
    print(f"(wire: {read} issues in {pages} search pages; goal: backfill ≤ 1.3 × wire)")
    print(
        f"(connector alone, no store: {mapped} records in {alone:.1f} s = "
        f"{alone / wire:.2f} × wire; the rest of the backfill is the engine's apply)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
