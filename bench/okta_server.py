"""What the Okta benchmarks share: the emulator served in its own process with an API
call counter, and a config pointing a connector at it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

TOKEN = "00emulator-api-token"


def serve(sock: socket.socket, people: int, counter: Any) -> None:
    """Serve an org seeded with ``people`` (and their devices) on ``sock``; count calls.
    Okta's per-minute buckets are off: the benchmark measures the hub, not the budget."""
    import uvicorn

    from itsmhub_okta.emulator import Org, build_app, seed_org

    org = Org()
    seed_org(org, 42, people=people)
    app = build_app(org, rate_limits=False)

    async def counted(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and not scope["path"].startswith("/_emulator"):
            with counter.get_lock():
                counter.value += 1
        await app(scope, receive, send)

    uvicorn.Server(uvicorn.Config(counted, log_level="critical", lifespan="off")).run(
        sockets=[sock]
    )


def config_data(folder: str | Path, port: int) -> dict[str, Any]:
    """One Okta connector on the local emulator (token from ITSMHUB_BENCH_OKTA_TOKEN), its
    per-minute budgets off, as on the emulator."""
    return {
        "store": {"url": f"sqlite:///{folder}/bench.db"},
        "http": {"allow_private_networks": True, "read_timeout": 300},
        "connectors": {
            "okta": {
                "type": "okta",
                "org_url": f"http://127.0.0.1:{port}",
                "custom_domain": True,
                "auth": {"method": "api_token", "token": "env:ITSMHUB_BENCH_OKTA_TOKEN"},
                "rate_limits": {"users": 0, "user": 0, "groups": 0, "devices": 0, "logs": 0},
            }
        },
    }


def start(people: int) -> tuple[Any, Any, int]:
    """The server process, its call counter and its port."""
    import multiprocessing

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    counter = multiprocessing.Value("i", 0)
    server = multiprocessing.Process(target=serve, args=(sock, people, counter), daemon=True)
    server.start()
    return server, counter, sock.getsockname()[1]
