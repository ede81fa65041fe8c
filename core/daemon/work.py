"""One run of a connector the worker holds: its webhook events, its pull when due, then
its outbox; recorded (a polling run) and logged as one line with its counts."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

from ..engine import ConnectorReport, Hub, Pusher, pull_connector, record_run
from .events import EventStats, Latency, work_events

log = logging.getLogger("itsmhub.daemon")


@dataclass
class RunReport:
    """What one run did: the engine's counts, the events served, and how long it took."""

    connector: ConnectorReport = field(default_factory=ConnectorReport)
    events: EventStats = field(default_factory=EventStats)
    polled: bool = False
    seconds: float = 0.0

    @property
    def errors(self) -> list[str]:
        return [*self.connector.errors, *self.events.errors]

    @property
    def changed(self) -> bool:
        """Whether it applied anything the rules or other connectors may act on."""
        pull = self.connector.pull
        return bool(pull.created or pull.updated or self.events.records)


async def run_connector(
    hub: Hub,
    name: str,
    *,
    poll: bool,
    events: bool,
    worker: str,
    latency: Latency | None = None,
) -> RunReport:
    """Serve ``name``'s events (``events``), pull it (``poll``), push its outbox. The
    caller holds its lease. A polling run is recorded for ``status`` and the schedules."""
    report = RunReport(polled=poll)
    started_at = hub.clock()
    started = time.perf_counter()
    if events:
        report.events = await work_events(hub, name, latency=latency)
    if poll:
        await pull_connector(hub, name, report.connector)
    push = report.connector.push = await Pusher(hub, name).run()
    if push.paused:
        report.connector.errors.append(push.last_error or "paused")
    report.seconds = time.perf_counter() - started
    if poll:
        await record_run(hub, name, report.connector, started_at, worker=worker)
    _log(name, worker, report)
    return report


def _log(name: str, worker: str, report: RunReport) -> None:
    pull, push, events = report.connector.pull, report.connector.push, report.events
    counts = {
        "pulled": pull.seen,
        "new": pull.created,
        "updated": pull.updated,
        "conflicts": pull.conflicts,
        "events": events.done + events.dead + events.retried,
        "pushed": push.pushed,
        "retrying": push.retried,
        "dead_lettered": pull.rejected + push.dead + events.dead,
    }
    errors = "; ".join(report.errors)
    text = ", ".join(f"{key} {value}" for key, value in counts.items() if value)
    log.log(
        logging.WARNING if errors else logging.INFO,
        "%s %s: %s in %.2f s%s",
        "cycle" if report.polled else "run",
        name,
        text or "nothing to do",
        report.seconds,
        f"; errors: {errors}" if errors else "",
        extra={
            "event": "cycle" if report.polled else "run",
            "connector": name,
            "worker": worker,
            "ok": not errors,
            "seconds": round(report.seconds, 3),
            **counts,
            **({"error": errors[:2000]} if errors else {}),
        },
    )


__all__ = ["RunReport", "run_connector"]
