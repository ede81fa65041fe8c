"""The supervisor: the lanes, the HTTP server, the signals, and a graceful shutdown.

On the first SIGTERM or SIGINT the daemon stops taking work: the server stops accepting
deliveries, lanes start nothing new, and the runs under way finish (their pages and
cursors commit, their pushes settle). Whatever still runs after ``[daemon]
shutdown_grace`` is cut short; the writes it had in flight are made due again (this
worker still holds their connectors), and the daemon exits 0. A second signal exits at
once: everything committed stays committed, and the in-flight writes are recovered by
whoever takes their connector next, as after a crash.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import anyio

from ..config import Config
from ..durations import format_duration
from ..engine import Hub, open_hub
from ..http.hooks import observe_responses
from ..plugins import Plugins
from .lanes import ConnectorLane, Lane, StepsLane
from .leases import Leases
from .metrics import Metrics

log = logging.getLogger("itsmhub.daemon")


def worker_name() -> str:
    """This process as other workers and the logs name it: ``host:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"


class Daemon:
    """One worker: lanes for the connectors (all, or ``only`` one) and the rules step,
    and, with a bound ``sock``, the HTTP server."""

    def __init__(
        self,
        hub: Hub,
        *,
        worker: str | None = None,
        sock: socket.socket | None = None,
        only: str | None = None,
        handle_signals: bool = True,
    ) -> None:
        self.hub = hub
        self.config: Config = hub.config
        self.worker = worker or worker_name()
        self.sock = sock
        self.handle_signals = handle_signals
        self.metrics = Metrics()
        self.stopping = anyio.Event()
        self.stop_reason: str | None = None
        self.cut_short = False
        names = [hub.connector(only).name] if only else sorted(hub.connectors)
        self.connector_lanes = {name: ConnectorLane(self, name) for name in names}
        lanes: list[Lane] = list(self.connector_lanes.values())
        if only is None and hub.steps:
            lanes.append(StepsLane(self))
        self.lanes = lanes
        self.leases = Leases(hub.store, self.worker, total=len(lanes))
        self._server: Any = None
        self._signal_scope = anyio.CancelScope()

    # --- what lanes and the receiver call --------------------------------------------

    def nudge_connector(self, name: str) -> None:
        """A webhook for ``name`` was queued: wake its lane (if this worker holds it,
        it serves the event now; else the holder finds it at its next check)."""
        lane = self.connector_lanes.get(name)
        if lane is not None:
            lane.nudge()

    def nudge_others(self, source: Lane) -> None:
        """Records changed: the other lanes may have writes to push, the rules work."""
        for lane in self.lanes:
            if lane is not source:
                lane.nudge()

    def stop(self, reason: str) -> None:
        """Begin a graceful shutdown, saying why."""
        if self.stopping.is_set():
            return
        self.stop_reason = reason
        grace = format_duration(self.config.daemon.shutdown_grace)
        log.info(
            "stopping: %s; letting running work finish (up to %s)",
            reason,
            grace,
            extra={"event": "stopping", "reason": reason, "worker": self.worker},
        )
        self.stopping.set()
        if self._server is not None:
            self._server.should_exit = True

    # --- running ---------------------------------------------------------------------

    async def run(self) -> None:
        """Run until stopped; return once every lane has ended and its writes are safe."""
        started = time.perf_counter()
        stop_observing = observe_responses(self.metrics.observe_response)
        try:
            async with self.leases, anyio.create_task_group() as services:
                if self.handle_signals:
                    services.start_soon(self._signals)
                if self.sock is not None:
                    services.start_soon(self._serve)
                self._announce()
                try:
                    await self._work()
                finally:
                    with anyio.CancelScope(shield=True):
                        await self._release()
                    self.stopping.set()
                    if self._server is not None:
                        self._server.should_exit = True
                    self._signal_scope.cancel()  # the server ends on its own
        finally:
            stop_observing()
        log.info(
            "stopped after %.1f s: %s%s",
            time.perf_counter() - started,
            self.stop_reason or "asked to",
            "; the grace ran out and running work was cut short" if self.cut_short else "",
            extra={"event": "stopped", "worker": self.worker, "cut_short": self.cut_short},
        )

    async def _work(self) -> None:
        """The lanes, until they end after a stop; cut short after the grace."""
        scope: anyio.CancelScope | None = None
        async with anyio.create_task_group() as group:

            async def lanes() -> None:
                nonlocal scope
                async with anyio.create_task_group() as inner:
                    scope = inner.cancel_scope
                    for lane in self.lanes:
                        inner.start_soon(lane.loop)
                group.cancel_scope.cancel()  # every lane ended: no deadline to wait for

            group.start_soon(lanes)
            await self.stopping.wait()
            await anyio.sleep(self.config.daemon.shutdown_grace.total_seconds())
            self.cut_short = True
            if scope is not None:
                scope.cancel()

    async def _release(self) -> None:
        """Writes left in flight by runs cut short are due again: this worker still holds
        their connectors, so nobody else owns them."""
        for name, lane in self.connector_lanes.items():
            if self.leases.holds(lane.lease):
                released = await self.hub.store.release_in_flight(name)
                if released:
                    log.info("%s: %d writes cut short are due again", name, released)

    async def _serve(self) -> None:
        from .server import build_app, make_server

        assert self.sock is not None
        grace = self.config.daemon.shutdown_grace.total_seconds()
        self._server = make_server(build_app(self), grace=grace)
        if self.stopping.is_set():
            return
        await self._server.serve(sockets=[self.sock])

    async def _signals(self) -> None:
        with (
            self._signal_scope,
            anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as received,
        ):
            async for signum in received:
                name = signal.Signals(signum).name
                if not self.stopping.is_set():
                    self.stop(f"{name} received")
                    continue
                log.warning(
                    "second signal (%s): exiting at once; committed work is kept, writes in "
                    "flight are taken up by the next run",
                    name,
                    extra={"event": "stopped", "reason": f"second {name}"},
                )
                logging.shutdown()
                sys.stderr.flush()
                os._exit(128 + signum)

    def _announce(self) -> None:
        from .server import url_of

        where = url_of(self.sock) if self.sock is not None else "no HTTP server"
        log.info(
            "daemon %s started: %s; lanes: %s",
            self.worker,
            where,
            ", ".join(lane.lease for lane in self.lanes),
            extra={"event": "started", "worker": self.worker, "url": where},
        )


@asynccontextmanager
async def open_daemon(
    config: Config,
    plugins: Plugins,
    *,
    sock: socket.socket | None = None,
    only: str | None = None,
    handle_signals: bool = True,
    clock: Callable[[], datetime] | None = None,
    transports: Mapping[str, Any] | None = None,
) -> AsyncIterator[Daemon]:
    """A daemon over a hub opened on ``config`` (closed on exit); call ``run()``."""
    async with open_hub(config, plugins, clock=clock, transports=transports) as hub:
        yield Daemon(hub, sock=sock, only=only, handle_signals=handle_signals)


__all__ = ["Daemon", "open_daemon", "worker_name"]
