"""Pushing updates to ServiceNow one Table API call per record vs. through the Batch API.

    .venv/bin/python bench/servicenow_bulk_write.py 2000

The emulator (seeded with N incidents) is served by uvicorn on 127.0.0.1 in its own
process; API calls are counted by the emulator. Two levels are measured, each with and
without batching:

- ``engine``: the records are backfilled into a fresh SQLite store, each gets a new
  status, one UPDATE row per record is queued, and ``Pusher.run`` drains the outbox
  (store work included, ``[sync] concurrency`` as configured);
- ``connector``: the same N conditional updates straight through the connector:
  ``update`` per record (4 at a time, like the engine's default concurrency) vs.
  ``write_many`` in chunks of the engine's batch size.
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from snow_server import config_data, serve

STATUSES = ("in_progress", "on_hold")


def main(count: int) -> None:
    import anyio

    from itsmhub import FieldChange, FieldChanges, WriteUpdate
    from itsmhub.config import validate_config
    from itsmhub.engine import Hub, Pusher, backfill
    from itsmhub.engine.push import WRITE_BATCH
    from itsmhub.model import RecordKind
    from itsmhub.plugins import load_plugins
    from itsmhub.store import OutboxItemIn, OutboxOperation

    class OneCallPerRow(Pusher):
        bulk = False  # type: ignore[assignment]  (the path of connectors without write_many)

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    counter = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(
        target=serve, args=(sock, count, counter), kwargs={"all_open": True}, daemon=True
    )
    server.start()
    os.environ["ITSMHUB_BENCH_SNOW_PASSWORD"] = "admin"
    plugins = load_plugins(environ={"ITSMHUB_LOAD_PLUGINS": "servicenow"})
    results: list[tuple[str, str, int, float, int]] = []

    def measured() -> tuple[float, int]:
        with counter.get_lock():
            counter.value = 0
        return time.perf_counter(), 0

    def calls() -> int:
        return int(counter.value)

    try:
        with tempfile.TemporaryDirectory() as folder:
            data = config_data(folder, sock.getsockname()[1])
            config, issues = validate_config(data, plugins, config_dir=Path(folder))
            assert config is not None, issues

            async def engine(hub: Hub, pusher: type[Pusher], status: str) -> None:
                ids = []
                async with hub.store.transaction() as tx:
                    for record in await _records(hub):
                        record.status = status  # type: ignore[union-attr]
                        await tx.put_record(record)
                        ids.append(record.id)
                    for record_id in ids:
                        await tx.enqueue(
                            OutboxItemIn(
                                connector="servicenow",
                                record_id=record_id,
                                operation=OutboxOperation.UPDATE,
                            )
                        )
                started, _ = measured()
                stats = await pusher(hub, "servicenow").run()
                elapsed = time.perf_counter() - started
                assert stats.pushed == len(ids), stats
                name = "write_many" if pusher is Pusher else "one call per row"
                results.append(("engine", name, len(ids), elapsed, calls()))

            async def connector(hub: Hub, bulk: bool, old: str, new: str) -> None:
                snow = hub.connector("servicenow")
                records = await _records(hub)
                change = FieldChange(field="status", old=old, new=new)
                writes = [
                    WriteUpdate(
                        ref=r.ref_for("servicenow"),  # type: ignore[arg-type]
                        changes=FieldChanges(kind=RecordKind.INCIDENT, changes=(change,)),
                    )
                    for r in records
                ]
                started, _ = measured()
                if bulk:
                    for start in range(0, len(writes), WRITE_BATCH):
                        chunk = writes[start : start + WRITE_BATCH]
                        for outcome in await snow.write_many(chunk):
                            assert not isinstance(outcome, Exception), outcome
                else:
                    limiter = anyio.CapacityLimiter(config.sync.concurrency)

                    async def one(write: WriteUpdate) -> None:
                        async with limiter:
                            await snow.update(write.ref, write.changes)

                    async with anyio.create_task_group() as group:
                        for write in writes:
                            group.start_soon(one, write)
                elapsed = time.perf_counter() - started
                name = "write_many" if bulk else "update per record"
                results.append(("connector", name, len(writes), elapsed, calls()))

            async def run() -> None:
                async with Hub.open(config, plugins) as hub:
                    await hub.connector("servicenow").check()  # waits until it serves
                    since = datetime(2000, 1, 1, tzinfo=UTC)
                    await backfill(hub, "servicenow", RecordKind.INCIDENT, since=since)
                    await engine(hub, OneCallPerRow, "in_progress")
                    await engine(hub, Pusher, "on_hold")
                    await connector(hub, False, "on_hold", "in_progress")
                    await connector(hub, True, "in_progress", "on_hold")

            anyio.run(run)
    finally:
        server.terminate()
    header = ("level", "path", "records", "seconds", "rec/s", "API calls", "calls/rec")
    print("{:<10} {:<18} {:>8} {:>8} {:>7} {:>9} {:>9}".format(*header))
    for level, name, n, elapsed, api in results:
        print(
            f"{level:<10} {name:<18} {n:>8} {elapsed:>8.2f} {n / elapsed:>7.0f} {api:>9} "
            f"{api / n:>9.3f}"
        )


async def _records(hub: Any) -> list[Any]:
    """Every incident the store holds as a ServiceNow copy (sys_ids listed by the API)."""
    snow = hub.connector("servicenow")
    page = await snow.client.list("incident", "", ["sys_id"], limit=10000)
    found = [await hub.store.find_by_ref("servicenow", row["sys_id"]) for row in page.rows]
    return [record for record in found if record is not None]


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2_000)
