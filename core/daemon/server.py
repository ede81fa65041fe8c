"""The daemon's HTTP server: the webhook receiver, ``/healthz``, ``/readyz``,
``/metrics`` and, when ``[daemon] reports`` is on, the live report pages under
``/reports``; a Starlette app served by uvicorn on a socket bound before it starts.

The daemon owns the process's signals: uvicorn's own handlers are left out, and the
server is stopped by the daemon's shutdown.
"""

from __future__ import annotations

import socket
from collections.abc import Generator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route

from .health import Health
from .webhooks import Receiver

if TYPE_CHECKING:
    from .runner import Daemon

METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"


def build_app(daemon: Daemon) -> Starlette:
    """The app: every route the daemon serves."""
    settings = daemon.config.daemon
    receiver = Receiver(
        hub=daemon.hub,
        metrics=daemon.metrics,
        nudge=daemon.nudge_connector,
        max_body=settings.max_body_bytes,
        body_timeout=settings.body_timeout,
        replay_window=settings.replay_window,
    )
    health = Health(daemon.hub, worker=daemon.worker, stopping=daemon.stopping)

    async def metrics(request: Request) -> Response:
        body = await daemon.metrics.render(daemon.hub.store, sorted(daemon.hub.connectors))
        return Response(body, media_type=METRICS_TYPE)

    routes: list[Route | Mount] = [
        Route("/webhooks/{connector}", receiver.receive, methods=["POST", "GET"]),
        Route("/healthz", health.healthz, methods=["GET"]),
        Route("/readyz", health.readyz, methods=["GET"]),
        Route("/metrics", metrics, methods=["GET"]),
    ]
    if settings.reports:
        from ..reports.web import create_app

        token = None
        if settings.reports_token is not None:
            token = daemon.hub.plugins.resolve_secret(settings.reports_token, key="reports_token")
        routes.append(Mount("/reports", app=create_app(daemon.hub, token=token)))
    return Starlette(routes=routes)


class _Server(uvicorn.Server):
    @contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield  # the daemon handles SIGTERM and SIGINT itself


def make_server(app: Starlette, *, grace: float) -> uvicorn.Server:
    """A uvicorn server for ``app`` that leaves signals alone and logs through our
    loggers (no access log: requests carry signatures in their headers)."""
    config = uvicorn.Config(
        app,
        lifespan="off",
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=max(int(grace), 1),
        timeout_keep_alive=5,
        server_header=False,
    )
    return _Server(config)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{'[' + host + ']' if ':' in host else host}:{port}"


__all__ = ["build_app", "make_server", "url_of"]
