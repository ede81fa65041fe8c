"""What the ServiceNow benchmarks share: the emulator served in its own process, with an
API call counter, and a config pointing a connector at it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any


def serve(sock: socket.socket, incidents: int, counter: Any, *, all_open: bool = False) -> None:
    """Serve an emulator seeded with ``incidents`` on ``sock``; count every HTTP call."""
    import uvicorn

    from itsmhub_servicenow.emulator import Instance, build_app, seed_instance

    instance = Instance()
    seed_instance(instance, 42, incidents=incidents)
    if all_open:
        for row in instance.rows("incident"):  # every record open and writable the same way
            row["state"] = "1"
    app = build_app(instance)

    async def counted(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http":
            with counter.get_lock():
                counter.value += 1
        await app(scope, receive, send)

    uvicorn.Server(uvicorn.Config(counted, log_level="critical", lifespan="off")).run(
        sockets=[sock]
    )


def config_data(folder: str | Path, port: int) -> dict[str, Any]:
    """A config with one ServiceNow connector on the local emulator; the password comes
    from ITSMHUB_BENCH_SNOW_PASSWORD."""
    return {
        "store": {"url": f"sqlite:///{folder}/bench.db"},
        "http": {"allow_private_networks": True, "read_timeout": 300},
        "connectors": {
            "servicenow": {
                "type": "servicenow",
                "instance_url": f"http://127.0.0.1:{port}",
                "auth": {
                    "method": "basic",
                    "username": "admin",
                    "password": "env:ITSMHUB_BENCH_SNOW_PASSWORD",
                },
            }
        },
    }
