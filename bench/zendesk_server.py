"""What the Zendesk benchmarks share: the emulator served in its own process, seeded with
N tickets, and a config pointing a connector at it."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

USER = "admin@example.com"
TOKEN = "zendesk-emulator-token"


def serve(sock: socket.socket, tickets: int, limited: bool) -> None:
    """Serve an account seeded with ``tickets`` (up to two comments each) on ``sock``;
    ``limited``: Zendesk's documented limits, else none."""
    import uvicorn

    from itsmhub_zendesk.emulator import Limits, Support, build_app, seed_account

    limits = Limits() if limited else Limits(account=None, incremental=None)
    support = Support(limits=limits)
    seed_account(support, 42, tickets=tickets, comments=2)
    uvicorn.Server(uvicorn.Config(build_app(support), log_level="critical", lifespan="off")).run(
        sockets=[sock]
    )


def config_data(folder: str | Path, url: str, *, limited: bool) -> dict[str, Any]:
    """One Zendesk connector on the local emulator (token from ITSMHUB_BENCH_ZENDESK_TOKEN);
    ``limited``: it paces itself by Zendesk's documented budgets (an Enterprise account's
    700 a minute, the exports' 10), else by none that matters."""
    budgets = (700, 10) if limited else (1_000_000, 1_000_000)
    return {
        "store": {"url": f"sqlite:///{folder}/bench.db"},
        "http": {"allow_private_networks": True, "read_timeout": 300},
        "connectors": {
            "zendesk": {
                "type": "zendesk",
                "url": url,
                "custom_domain": True,
                "email": USER,
                "api_token": "env:ITSMHUB_BENCH_ZENDESK_TOKEN",
                "requests_per_minute": budgets[0],
                "export_requests_per_minute": budgets[1],
                "mapping": {"custom_fields": {"workaround": 360_000_100_001}},
            }
        },
    }
