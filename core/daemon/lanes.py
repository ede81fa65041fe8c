"""Lanes: one loop per connector, and one for the rules step, in every worker.

A lane first holds its lease (see ``leases.py``); without it, it only looks again every
``[daemon] check_every`` in case the holder died or gave it up. Holding it, a connector's
lane wakes when its pull is due (``schedule.py``), when its outbox has a write due, when
a webhook for it arrived (a nudge from the receiver, or found at the next check when
another worker received it), or when another lane of this worker changed records. Each
lane runs alone, so one connector's outage or slow vendor never delays another.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import anyio
from sqlalchemy.exc import SQLAlchemyError

from ..errors import ItsmhubError
from ..store.webhooks import EventStatus
from .schedule import Backoff, Schedule, next_pull
from .work import run_connector

if TYPE_CHECKING:
    from .runner import Daemon

log = logging.getLogger("itsmhub.daemon")

#: Cycles read to find a connector's failures in a row (the backoff stops growing past it).
_RUNS_READ = 12
#: How often the steps lane forgets webhook deliveries older than the replay window twice.
_PURGE_EVERY = timedelta(hours=1)


class Lane:
    """What every lane shares: its lease, its wake-ups, its loop."""

    def __init__(self, daemon: Daemon, lease: str) -> None:
        self.daemon = daemon
        self.lease = lease
        self._wake = anyio.Event()
        self.wake_at: datetime | None = None

    def nudge(self) -> None:
        """Wake the lane now (a webhook arrived, records changed)."""
        self._wake.set()

    async def loop(self) -> None:
        daemon = self.daemon
        while not daemon.stopping.is_set():
            self.wake_at = None
            try:
                if await self._hold():
                    await self.turn()
            except (ItsmhubError, SQLAlchemyError, OSError) as exc:
                log.error("%s: %s", self.lease, _describe(exc), extra={"lease": self.lease})
            await self._wait()

    async def _hold(self) -> bool:
        """Hold the lease (taking it if free and within this worker's share), or give it
        up when over the share; whether this worker holds it now."""
        leases = self.daemon.leases
        if not await leases.refresh():
            self._held(False)
            return False
        if leases.holds(self.lease):
            if not leases.over_share():
                return True
            await leases.give_up(self.lease)
            self._held(False)
            log.info("gave up %s: another worker joined", self.lease, extra={"lease": self.lease})
            return False
        if self.daemon.stopping.is_set() or not await leases.take(self.lease):
            return False
        self._held(True)
        await self.taken()
        return True

    def _held(self, held: bool) -> None:
        self.daemon.metrics.lease_held.labels(self.lease).set(1 if held else 0)

    async def taken(self) -> None:
        """Called once each time this worker takes the lease."""
        log.info("took %s", self.lease, extra={"lease": self.lease})

    async def turn(self) -> None:
        raise NotImplementedError

    async def _wait(self) -> None:
        daemon = self.daemon
        now = daemon.hub.clock()
        check = now + daemon.config.daemon.check_every
        until = min(self.wake_at, check) if self.wake_at is not None else check
        seconds = max((until - now).total_seconds(), 0.0)
        wake = self._wake
        with anyio.move_on_after(seconds):
            async with anyio.create_task_group() as group:

                async def stop_waiting_on(event: anyio.Event) -> None:
                    await event.wait()
                    group.cancel_scope.cancel()

                group.start_soon(stop_waiting_on, wake)
                group.start_soon(stop_waiting_on, daemon.stopping)
        if wake.is_set():
            self._wake = anyio.Event()


class ConnectorLane(Lane):
    """A connector: events, pulls on its schedule, pushes when its outbox is due."""

    def __init__(self, daemon: Daemon, name: str) -> None:
        super().__init__(daemon, f"connector:{name}")
        self.name = name
        config = daemon.config
        self.schedule = Schedule.of(name, config)
        self.backoff = Backoff(config.daemon.backoff, config.daemon.backoff_cap)

    async def taken(self) -> None:
        # Rows still in flight were claimed by a worker that died (or was cut short)
        # holding this lease: nobody owns them now.
        released = await self.daemon.hub.store.release_in_flight(self.name)
        note = f" and released {released} writes a stopped worker left in flight"
        log.info(
            "took %s%s",
            self.lease,
            note if released else "",
            extra={"lease": self.lease, "released": released},
        )

    async def turn(self) -> None:
        daemon, store = self.daemon, self.daemon.hub.store
        now = daemon.hub.clock()
        runs = await store.recent_runs(self.name, _RUNS_READ)
        poll_due = next_pull(self.schedule, self.backoff, runs, salt=self.name)
        poll = poll_due is None or poll_due <= now
        events = await store.count_webhook_events(self.name, EventStatus.PENDING) > 0
        push_due = await store.next_outbox_due(self.name)
        if poll or events or (push_due is not None and push_due <= now):
            if daemon.stopping.is_set():
                return
            report = await run_connector(
                daemon.hub,
                self.name,
                poll=poll,
                events=events,
                worker=daemon.worker,
                latency=daemon.metrics.webhook_latency.labels(self.name).observe,
            )
            daemon.metrics.observe_cycle(self.name, report.connector, report.seconds)
            if report.changed:
                daemon.nudge_others(self)
            runs = await store.recent_runs(self.name, _RUNS_READ) if poll else runs
            poll_due = next_pull(self.schedule, self.backoff, runs, salt=self.name)
            push_due = await store.next_outbox_due(self.name)
        self.wake_at = min((t for t in (poll_due, push_due) if t is not None), default=None)


class StepsLane(Lane):
    """The hub's steps (enrichment, then rules) over what changed, by one worker at a
    time, so the rules' warm session stays in one process; and the upkeep of the
    webhook queue."""

    def __init__(self, daemon: Daemon) -> None:
        super().__init__(daemon, "daemon:steps")
        self._purged: datetime | None = None

    async def turn(self) -> None:
        daemon = self.daemon
        hub = daemon.hub
        started = time.perf_counter()
        acted = 0
        for step in hub.steps:
            if daemon.stopping.is_set():
                return
            report = await step.run(hub)
            acted += int(getattr(report, "applied", 0) or 0)  # rules carried out
            for error in getattr(report, "errors", []):
                log.warning("%s: %s", step.name, error, extra={"step": step.name})
        if acted:
            log.info(
                "steps acted on %d records in %.2f s",
                acted,
                time.perf_counter() - started,
                extra={"event": "steps", "acted": acted},
            )
            daemon.nudge_others(self)
        await self._purge()

    async def _purge(self) -> None:
        hub = self.daemon.hub
        now = hub.clock()
        if self._purged is not None and now - self._purged < _PURGE_EVERY:
            return
        self._purged = now
        keep = max(self.daemon.config.daemon.replay_window * 2, timedelta(days=1))
        forgotten = await hub.store.purge_webhook_events(now - keep)
        if forgotten:
            log.info("forgot %d webhook deliveries older than %s", forgotten, keep)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ItsmhubError):
        return str(exc)
    return f"{type(exc).__name__} (the store or network failed; trying again)"


__all__ = ["ConnectorLane", "Lane", "StepsLane"]
