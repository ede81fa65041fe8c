"""Records merged per second through the sync engine, its CPU time and peak memory.

    .venv/bin/python bench/engine_cycle.py 10000 100000                  # full cycle, SQLite
    .venv/bin/python bench/engine_cycle.py --store postgresql 10000 100000
    .venv/bin/python bench/engine_cycle.py --pull-only 100000 1000000    # a backfill's path

Each size runs in its own process (so peak memory is that run's). A source connector
yields N incidents in pages of 1,000; for the full cycle a routing rule copies each one
to a sink, and one cycle pulls, merges, routes, writes the outbox and pushes every
create. ``--pull-only`` has no sink: the cycle pulls, merges and stores (records, refs,
bases, facts, audit), which is what a backfill does. The connectors generate and discard
records (bench_connectors.py), so the figures are the engine's and the store's alone.

PostgreSQL: ``ITSMHUB_TEST_POSTGRES_URL`` (default the local server); each run uses a
fresh database ``itsmhub_bench``. CPU is the process's user + system time, threads
included: on a shared machine it is the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
POSTGRES = os.environ.get("ITSMHUB_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def fresh_postgres() -> str:
    """A new, empty database on the server of ``POSTGRES``; its URL."""
    import asyncpg
    from sqlalchemy.engine import make_url

    url = make_url(POSTGRES)
    admin = await asyncpg.connect(
        host=url.host, port=url.port or 5432, user=url.username, password=url.password,
        database="postgres",
    )  # fmt: skip
    try:
        await admin.execute("DROP DATABASE IF EXISTS itsmhub_bench WITH (FORCE)")
        await admin.execute("CREATE DATABASE itsmhub_bench")
    finally:
        await admin.close()
    return url.set(database="itsmhub_bench").render_as_string(hide_password=False)


def run_one(count: int, store: str, pull_only: bool) -> dict[str, Any]:
    import anyio

    from itsmhub.config import validate_config
    from itsmhub.engine import Hub, sync_once
    from itsmhub.plugins import load_plugins

    sys.path.insert(0, str(HERE))
    plugins = load_plugins(
        environ={"ITSMHUB_LOAD_PLUGINS": "", "ITSMHUB_PLUGIN_MODULES": "bench_connectors"}
    )
    from bench_connectors import BenchConnector

    with tempfile.TemporaryDirectory() as folder:
        url = anyio.run(fresh_postgres) if store == "postgresql" else f"sqlite:///{folder}/b.db"
        connectors: dict[str, Any] = {"source": {"type": "bench", "records": count}}
        data: dict[str, Any] = {"store": {"url": url}, "connectors": connectors}
        if not pull_only:
            connectors["sink"] = {"type": "bench"}
            data["rules"] = {"copy": {"type": "routing", "from": "source", "to": ["sink"]}}
            data["sync"] = {"concurrency": 8}
        config, issues = validate_config(data, plugins, config_dir=Path(folder))
        assert config is not None, issues

        async def cycle() -> tuple[float, float, dict[str, int]]:
            async with Hub.open(config, plugins) as hub:
                started, cpu = time.perf_counter(), cpu_seconds()
                report = await sync_once(hub)
                assert report.ok, report.errors
                assert report.of("source").pull.created == count
                # A cycle pushes at most 10,000 rows a connector (MAX_ROUNDS × CLAIM_BATCH)
                # so that one busy target cannot starve the others: the daemon's next
                # cycles push the rest, as these do.
                pushed = 0 if pull_only else report.of("sink").push.pushed
                while not pull_only and pushed < count:
                    more = await sync_once(hub)
                    assert more.ok and more.of("sink").push.pushed, more.errors
                    pushed += more.of("sink").push.pushed
                elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
                return elapsed, used, dict(BenchConnector.calls)

        elapsed, used, calls = anyio.run(cycle)
    return {
        "records": count,
        "seconds": round(elapsed, 1),
        "cpu_seconds": round(used, 1),
        "records_per_second": round(count / elapsed),
        "api_calls_per_record": round(sum(calls.values()) / count, 4),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[10_000, 100_000])
    parser.add_argument("--store", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pull-only", action="store_true")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.sizes[0], args.store, args.pull_only)))
        return
    what = "pull only (a backfill)" if args.pull_only else "full cycle"
    print(f"{what}, {args.store}")
    header = ("records", "seconds", "CPU s", "rec/s", "calls/rec", "peak MiB")
    print("{:>9} {:>8} {:>7} {:>7} {:>9} {:>9}".format(*header))
    for size in args.sizes:
        command = [sys.executable, __file__, "--one", "--store", args.store, str(size)]
        if args.pull_only:
            command.append("--pull-only")
        out = subprocess.run(command, capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['records']:>9} {r['seconds']:>8} {r['cpu_seconds']:>7} "
            f"{r['records_per_second']:>7} {r['api_calls_per_record']:>9} {r['peak_rss_mib']:>9}"
        )


if __name__ == "__main__":
    main()
