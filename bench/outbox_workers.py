"""Outbox throughput with one, two and three daemon workers sharing a PostgreSQL store.

    .venv/bin/python bench/outbox_workers.py [INCIDENTS]   (ITSMHUB_TEST_POSTGRES_URL)

Three ServiceNow emulators, each in a process of its own, receive a copy of every Jira
incident: INCIDENTS × 3 creates go through the outbox. For each worker count, a fresh
database and fresh emulators; the workers start and split the five leases (Jira, the
three ServiceNow connectors, the rules step) before the incidents are created in Jira,
so the work lands on workers already sharing it. Throughput is the creates settled
divided by the time from the first write's first attempt to the last write's
settlement, both read from the outbox rows; the workers' CPU time (read from /proc) is
counted from the moment the leases are split, so it covers the Jira pull, the rules step
and the pushes, not the start-up.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import anyio
import asyncpg
import httpx
from daemon_world import snow_processes, start_worker, write_config
from sqlalchemy.engine import make_url

POSTGRES = os.environ.get("ITSMHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
JIRA = httpx.BasicAuth("itsmhub@example.com", "jira-emulator-token")
TARGETS = ("snow-a", "snow-b", "snow-c")
LEASES = {"connector:jira", "daemon:steps", *(f"connector:{t}" for t in TARGETS)}


def main(incidents: int) -> None:
    print(f"{incidents} incidents × {len(TARGETS)} ServiceNow targets per run")
    print("| workers | creates | seconds | creates/s | attempts per create | workers' CPU s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for workers in (1, 2, 3):
        print(run(workers, incidents), flush=True)


def run(workers: int, incidents: int) -> str:
    from itsmhub.testing import serve
    from itsmhub_jira.emulator import Site, build_app

    database = f"itsmhub_bench_{uuid.uuid4().hex[:8]}"
    admin = make_url(POSTGRES).set(drivername="postgresql")
    anyio.run(_sql, admin, f'CREATE DATABASE "{database}"')
    store = admin.set(database=database).render_as_string(hide_password=False)
    site = Site()
    try:
        with (
            snow_processes(len(TARGETS)) as urls,
            tempfile.TemporaryDirectory() as folder,
            serve(build_app(site)) as jira_url,
        ):
            schedules = '[daemon.schedules.jira]\ninterval = "1s"\njitter = "0s"\n'
            config = write_config(
                Path(folder),
                store,
                jira_url,
                dict(zip(TARGETS, urls, strict=True)),
                schedules=schedules,
            )
            started = [start_worker(config) for _ in range(workers)]
            try:
                _until_spread(started)
                idle = sum(w.cpu_seconds() for w in started)  # start-up is not the work's
                _open_issues(jira_url, incidents)
                _until(lambda: _copies(urls) >= incidents * len(TARGETS), 600)
                cpu = sum(w.cpu_seconds() for w in started) - idle
            finally:
                for worker in started:
                    worker.stop()
        creates, seconds, attempts = anyio.run(_timing, store)
    finally:
        anyio.run(_sql, admin, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    return (
        f"| {workers} | {creates} | {seconds:.1f} | {creates / seconds:.0f} | "
        f"{attempts / creates:.2f} | {cpu:.1f} |"
    )


def _until_spread(workers: list) -> None:
    def spread() -> bool:
        held: list[set[str]] = []
        for worker in workers:
            worker.drain()
            mine = set()
            for line in worker.seen:
                if line.get("lease") in LEASES:
                    if line["message"].startswith("took"):
                        mine.add(line["lease"])
                    else:
                        mine.discard(line["lease"])
            held.append(mine)
        return all(held) and sum(map(len, held)) == len(LEASES)

    _until(spread, 60)


def _open_issues(url: str, count: int) -> None:
    with httpx.Client(base_url=url, auth=JIRA, timeout=60) as jira:
        for first in range(0, count, 50):
            updates = [
                {
                    "fields": {
                        "project": {"key": "OPS"},
                        "issuetype": {"name": "Incident"},
                        "summary": f"Disk full on node {n}",
                    }
                }
                for n in range(first, min(first + 50, count))
            ]
            made = jira.post("/rest/api/3/issue/bulk", json={"issueUpdates": updates})
            assert made.status_code == 201, made.text


def _copies(urls: list[str]) -> int:
    total = 0
    with httpx.Client(timeout=30) as client:
        for url in urls:
            state = client.get(f"{url}/_emulator/state").json()
            total += int(state.get("tables", state).get("incident", 0))
    return total


def _until(check, within: float) -> None:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError(f"not within {within}s")
        time.sleep(0.1)


async def _sql(admin, statement: str) -> None:
    conn = await asyncpg.connect(admin.render_as_string(hide_password=False))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def _timing(store: str) -> tuple[int, float, int]:
    url = make_url(store).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(url)
    try:
        row = await conn.fetchrow(
            "SELECT count(*) AS n, sum(attempts) AS attempts, "
            "extract(epoch FROM max(updated_at) - min(first_attempt_at)) AS seconds "
            "FROM outbox WHERE operation = 'create' AND status = 'done'"
        )
    finally:
        await conn.close()
    return int(row["n"]), float(row["seconds"]), int(row["attempts"])


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
