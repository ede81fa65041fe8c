"""A ServiceNow backfill end to end: records/s, API calls per record, peak memory.

    .venv/bin/python bench/servicenow_backfill.py 50000

The emulator (seeded with N incidents and their journals) is served by uvicorn on
127.0.0.1 in its own process; this process runs `itsmhub backfill`'s engine path with the
real connector over HTTP into a fresh SQLite store. API calls are counted by the emulator.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from snow_server import config_data, serve


def main(count: int) -> None:
    import anyio

    from itsmhub.config import validate_config
    from itsmhub.engine import Hub, backfill
    from itsmhub.model import RecordKind
    from itsmhub.plugins import load_plugins

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    counter = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(sock, count, counter), daemon=True)
    server.start()
    os.environ["ITSMHUB_BENCH_SNOW_PASSWORD"] = "admin"
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "servicenow"})
    try:
        with tempfile.TemporaryDirectory() as folder:
            data = config_data(folder, sock.getsockname()[1])
            config, issues = validate_config(data, plugins, config_dir=Path(folder))
            assert config is not None, issues

            async def run() -> tuple[float, int]:
                async with Hub.open(config, plugins) as hub:
                    await hub.connector("servicenow").check()  # waits until it serves
                    with counter.get_lock():
                        counter.value = 0
                    started = time.perf_counter()
                    stats = await backfill(
                        hub,
                        "servicenow",
                        RecordKind.INCIDENT,
                        since=datetime(2000, 1, 1, tzinfo=UTC),
                    )
                    return time.perf_counter() - started, stats.created

            elapsed, created = anyio.run(run)
    finally:
        server.terminate()
    calls = counter.value
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = ("records", "seconds", "rec/s", "API calls", "calls/rec", "peak RSS MiB")
    print("{:>8} {:>8} {:>7} {:>9} {:>9} {:>12}".format(*header))
    print(
        f"{created:>8} {elapsed:>8.1f} {created / elapsed:>7.0f} {calls:>9} "
        f"{calls / created:>9.5f} {peak:>12.1f}"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
