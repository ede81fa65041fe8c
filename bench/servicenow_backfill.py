"""A ServiceNow backfill end to end: records/s, API calls per record, peak memory.

    .venv/bin/python bench/servicenow_backfill.py 50000

The emulator (seeded with N incidents and their journals) is served by uvicorn on
127.0.0.1 in its own process; this process runs `itsmhub backfill`'s engine path with the
real connector over HTTP into a fresh SQLite store. Then the very requests it made are
replayed with a bare httpx client (bench/wire.py): the wire limit, measured in the same
run, which the backfill's wall time is compared with.
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
from wire import Recorder, replay


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


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

            recorder = Recorder()

            async def run() -> tuple[float, float, int, float]:
                async with Hub.open(config, plugins, transports={"servicenow": recorder}) as hub:
                    await hub.connector("servicenow").check()  # waits until it serves
                    recorder.requests.clear()
                    with counter.get_lock():
                        counter.value = 0
                    started, cpu = time.perf_counter(), cpu_seconds()
                    stats = await backfill(
                        hub,
                        "servicenow",
                        RecordKind.INCIDENT,
                        since=datetime(2000, 1, 1, tzinfo=UTC),
                    )
                    elapsed, used = time.perf_counter() - started, cpu_seconds() - cpu
                wire = await replay(recorder.requests)
                return elapsed, used, stats.created, wire

            elapsed, used, created, wire = anyio.run(run)
    finally:
        server.terminate()
    calls = len(recorder.requests)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    header = ("records", "seconds", "CPU s", "rec/s", "calls", "calls/rec", "peak MiB", "wire s")
    print("{:>8} {:>8} {:>6} {:>7} {:>6} {:>9} {:>9} {:>7}  ÷ wire".format(*header))
    print(
        f"{created:>8} {elapsed:>8.1f} {used:>6.1f} {created / elapsed:>7.0f} {calls:>6} "
        f"{calls / created:>9.5f} {peak:>9.1f} {wire:>7.1f}  {elapsed / wire:.2f}"
    )
    print(
        "(wire: the same requests replayed with a bare httpx client, fetched and parsed, "
        "no store; goal: backfill ≤ 1.3 × wire)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 50_000)
