"""A Zendesk backfill end to end: records per second and per minute, API calls per record,
peak memory, and the ratio to the wire limit measured in the same run.

    .venv/bin/python bench/zendesk_backfill.py 50000             # no rate limit
    .venv/bin/python bench/zendesk_backfill.py 50000 --limited   # the exports' 10 a minute

The emulator, seeded with N tickets and their comments, is served by uvicorn on 127.0.0.1
in its own process. This process backfills the ``tickets`` stream, then the
``ticket_events`` stream (the comments, folded into the tickets), through the engine
(``Hub.open`` + ``backfill``) into a fresh SQLite store, with one connector and client.

Wire limit: after the backfill, a bare ``httpx`` client fetches and JSON-parses the very
same pages with no store (the emulator's rate rules removed first). With ``--limited`` the
emulator applies Zendesk's documented limits (700 requests a minute for the account, 10 a
minute shared by the exports) in real time and the connector paces itself by the same
budgets; the run then also reports records per minute against the 10,000 a minute the
exports allow at most, and the time the calls made need at 10 a minute.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from zendesk_server import TOKEN, USER, config_data, serve


def wire_time(url: str) -> tuple[float, list[int]]:
    """Fetch and parse the same export pages with a bare client: (seconds, [ticket pages,
    event pages, events])."""
    import json

    auth = httpx.BasicAuth(f"{USER}/token", TOKEN)
    started = time.perf_counter()
    pages = [0, 0, 0]
    with httpx.Client(base_url=url, auth=auth, timeout=300) as client:
        params: dict[str, Any] = {"start_time": 0, "per_page": 1000}
        while True:
            body = json.loads(
                client.get("/api/v2/incremental/tickets/cursor", params=params).content
            )
            pages[0] += 1
            if body["end_of_stream"]:
                break
            params = {"cursor": body["after_cursor"], "per_page": 1000}
        start = 0
        while True:
            page = client.get(
                "/api/v2/incremental/ticket_events",
                params={"start_time": start, "include": "comment_events", "per_page": 1000},
            )
            body = json.loads(page.content)
            pages[1] += 1
            pages[2] += len(body["ticket_events"])
            if body["end_of_stream"]:
                break
            start = body["end_time"]
    return time.perf_counter() - started, pages


async def backfill_run(config: Any, plugins: Any, url: str, limited: bool) -> dict[str, Any]:
    from itsmhub import PullRequest
    from itsmhub.engine import Hub, backfill

    since = datetime(2000, 1, 1, tzinfo=UTC)
    async with Hub.open(config, plugins) as hub:
        connector = hub.connector("zendesk")
        await connector.check()  # waits until the emulator serves
        async with httpx.AsyncClient(base_url=url) as admin:
            await admin.delete("/_emulator/calls")
            started = time.perf_counter()
            stats = await backfill(hub, "zendesk", "tickets", since=since)
            tickets_done = time.perf_counter()
            events = await backfill(hub, "zendesk", "ticket_events", since=since)
            finished = time.perf_counter()
            calls = (await admin.get("/_emulator/calls")).json()["calls"]
            alone = None
            if not limited:  # the same pages read and mapped with no store
                begun = time.perf_counter()
                for name in ("tickets", "ticket_events"):
                    stream = hub.stream("zendesk", name)
                    async for _ in connector.pull(PullRequest(stream=stream, since=since)):
                        pass
                alone = time.perf_counter() - begun
    return {
        "records": stats.created,
        "tickets_s": tickets_done - started,
        "events_s": finished - tickets_done,
        "comment_items": events.seen,
        "calls": calls,
        "connector_alone_s": alone,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=50_000)
    parser.add_argument("--limited", action="store_true", help="Zendesk's documented limits")
    args = parser.parse_args()

    import anyio

    from itsmhub.config import validate_config
    from itsmhub.plugins import load_plugins

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    server = multiprocessing.Process(
        target=serve, args=(sock, args.count, args.limited), daemon=True
    )
    server.start()
    url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    os.environ["ITSMHUB_BENCH_ZENDESK_TOKEN"] = TOKEN
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "zendesk"})
    try:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            config, issues = validate_config(
                config_data(folder, url, limited=args.limited), plugins, config_dir=Path(folder)
            )
            assert config is not None, issues
            result = anyio.run(backfill_run, config, plugins, url, args.limited)
        httpx.delete(f"{url}/_emulator/rate_limits")
        wire, pages = wire_time(url)
    finally:
        server.terminate()
    report(args, result, wire, pages)


def report(args: Any, result: dict[str, Any], wire: float, pages: list[int]) -> None:
    """Print the figures (see the module docstring for what each means)."""
    calls = result["calls"]
    ticket_calls = calls.get("GET /api/v2/incremental/tickets/cursor", 0)
    event_calls = calls.get("GET /api/v2/incremental/ticket_events", 0)
    other = sum(calls.values()) - ticket_calls - event_calls
    records, tickets_s, events_s = result["records"], result["tickets_s"], result["events_s"]
    total_s = tickets_s + events_s
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    mode = "Zendesk's limits (10 export requests a minute)" if args.limited else "no rate limit"
    print(f"{args.count} tickets, {mode}")
    print(
        f"  tickets through the engine : {records} records in {tickets_s:.1f} s "
        f"= {records / tickets_s:.0f} records/s = {60 * records / tickets_s:,.0f} records/min"
    )
    print(
        f"  comments through the engine: {result['comment_items']} comment items in "
        f"{events_s:.1f} s"
    )
    print(
        f"  API calls                  : {ticket_calls} ticket export + {event_calls} event "
        f"export + {other} other = {sum(calls.values())}"
    )
    print(f"  calls per ticket           : {ticket_calls / records:.5f} (minimum 1/1000 = 0.00100)")
    print(
        f"  calls per ticket event     : {event_calls / max(pages[2], 1):.5f} for "
        f"{pages[2]} events (minimum 1/1000 = 0.00100)"
    )
    print(f"  peak RSS (client)          : {peak:.1f} MiB")
    print(
        f"  wire: the same {pages[0]}+{pages[1]} pages fetched and parsed with bare "
        f"httpx in {wire:.1f} s; backfill/wire = {total_s / wire:.2f}x (goal <= 1.3x)"
    )
    if result["connector_alone_s"] is not None:
        alone = result["connector_alone_s"]
        print(
            f"  the connector alone        : the same pages read and mapped with no store in "
            f"{alone:.1f} s ({alone / wire:.2f}x the wire)"
        )
    if args.limited:
        needed = max(ticket_calls + event_calls - 10, 0) * 6.0
        print(
            f"  at 10 export requests a minute: the {ticket_calls + event_calls} export calls "
            f"need at least {needed:.0f} s; took {total_s:.0f} s "
            f"({total_s / max(needed, 1):.2f}x)"
        )
        print(
            f"  tickets per minute         : {60 * records / total_s:,.0f} "
            f"(theoretical maximum 10,000/min for tickets alone; with the comment pages "
            f"{10_000 * ticket_calls / max(ticket_calls + event_calls, 1):,.0f}/min)"
        )


if __name__ == "__main__":
    main()
