"""Records merged per second through the full sync cycle, and peak memory.

    .venv/bin/python bench/engine_cycle.py 10000 100000

Each size runs in its own process (so peak memory is that run's): a source connector
yields N incidents in pages of 1,000, a routing rule copies each one to a sink, and one
cycle pulls, merges, routes, writes the outbox and pushes every create. The connectors
generate and discard records (bench_connectors.py), so the figures are the engine's and
the SQLite store's alone.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_one(count: int) -> dict[str, float]:
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
        data = {
            "store": {"url": f"sqlite:///{folder}/bench.db"},
            "connectors": {
                "source": {"type": "bench", "records": count},
                "sink": {"type": "bench"},
            },
            "rules": {"copy": {"type": "routing", "from": "source", "to": ["sink"]}},
            "sync": {"concurrency": 8},
        }
        config, issues = validate_config(data, plugins, config_dir=Path(folder))
        assert config is not None, issues

        async def cycle() -> tuple[float, dict[str, int]]:
            async with Hub.open(config, plugins) as hub:
                started = time.perf_counter()
                report = await sync_once(hub)
                elapsed = time.perf_counter() - started
                assert report.ok, report
                assert report.of("source").pull.created == count
                assert report.of("sink").push.pushed == count
                return elapsed, dict(BenchConnector.calls)

        elapsed, calls = anyio.run(cycle)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    api_calls = sum(calls.values())
    return {
        "records": count,
        "seconds": round(elapsed, 1),
        "records_per_second": round(count / elapsed),
        "api_calls_per_record": round(api_calls / count, 4),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }


def main(sizes: list[int]) -> None:
    print(f"{'records':>8} {'seconds':>8} {'rec/s':>7} {'calls/rec':>9} {'peak RSS MiB':>12}")
    for size in sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(size)],
            capture_output=True,
            text=True,
            check=True,
            env={**os.environ},
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(
            f"{r['records']:>8} {r['seconds']:>8} {r['records_per_second']:>7} "
            f"{r['api_calls_per_record']:>9} {r['peak_rss_mib']:>12}"
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--one"]:
        print(json.dumps(run_one(int(sys.argv[2]))))
    else:
        main([int(a) for a in sys.argv[1:]] or [10_000, 100_000])
