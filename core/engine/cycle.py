"""One sync cycle: pull every connector's streams, run the hub's steps (enrichment, rules)
over what changed, then push what each system must receive.

Each connector is worked by one worker at a time (a lock that dies with its process); a
connector another worker holds is skipped this cycle, and said so. Every connector's
cycle is recorded (when, how long, what it did, its error), which ``status`` and the
health checks read.
"""

from __future__ import annotations

from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from pydantic import JsonValue

from ..durations import format_duration
from ..errors import ItsmhubError
from ..exchange import Stream
from .cursors import load_cursor
from .hub import Hub
from .page import PullStats
from .pull import pull_stream
from .push import Pusher, PushStats


class StepReport(Protocol):
    """What a step reports; errors make the cycle not ok."""

    errors: list[str]


class Step(Protocol):
    """Work a cycle does between its pulls and its pushes, over what changed."""

    name: str

    async def run(self, hub: Hub) -> StepReport: ...


@dataclass
class ConnectorReport:
    pull: PullStats = field(default_factory=PullStats)
    push: PushStats = field(default_factory=PushStats)
    errors: list[str] = field(default_factory=list)
    held: bool = True
    """False when another worker held the connector this cycle (normal with several)."""
    read_to_end: bool = False
    """Every stream was read to its end this cycle: nothing changed before the cycle
    began is missing from the hub."""


@dataclass
class CycleReport:
    connectors: dict[str, ConnectorReport] = field(default_factory=dict)
    steps: dict[str, Any] = field(default_factory=dict)
    """Each step's report, by step name (``enrichment``, ``rules``)."""

    def of(self, name: str) -> ConnectorReport:
        return self.connectors.setdefault(name, ConnectorReport())

    @property
    def rules(self) -> Any:
        """The rules step's report, if the rules ran this cycle."""
        return self.steps.get("rules")

    @property
    def ok(self) -> bool:
        return not any(r.errors for r in self.connectors.values()) and not any(
            getattr(report, "errors", None) for report in self.steps.values()
        )


async def sync_once(hub: Hub, *, only: str | None = None) -> CycleReport:
    """Pull all (or one) connectors, run the hub's steps, then push every outbox."""
    names = [hub.connector(only).name] if only else sorted(hub.connectors)
    report = CycleReport()
    started = hub.clock()
    async with AsyncExitStack() as stack:
        held = []
        for name in sorted(hub.connectors):
            if await stack.enter_async_context(hub.store.worker_lock(f"connector:{name}")):
                held.append(name)
                # Rows still in flight were claimed by a worker that died holding this lock.
                await hub.store.release_in_flight(name)
            elif name in names:
                report.of(name).held = False
        for name in pull_order(hub, [n for n in names if n in held]):
            await pull_connector(hub, name, report.of(name))
        if only is None:
            # The steps see this cycle's changes before the push, so what they decide (a
            # new problem, a link, a workaround note) leaves in the same cycle.
            for step in hub.steps:
                report.steps[step.name] = await step.run(hub)
        # Push to every connector: changes pulled from one are written to the others.
        for name in held:
            push = report.of(name).push = await Pusher(hub, name).run()
            if push.paused:
                report.of(name).errors.append(push.last_error or "paused")
        for name in (n for n in names if n in held):
            await record_run(hub, name, report.of(name), started)
    return report


def pull_order(hub: Hub, names: list[str]) -> list[str]:
    """Directories first: tickets pulled after them meet the people they name (enriched,
    masked in fingerprints) in this same cycle."""
    return sorted(names, key=lambda name: bool(hub.kinds_of(name)))


async def pull_connector(hub: Hub, name: str, report: ConnectorReport) -> None:
    """Every stream of one connector, in its order; a failing stream stops the rest of
    the connector's pull this cycle (pages already committed stay). The caller holds the
    connector's worker lock."""
    await _expire_parked(hub, name)
    for stream in hub.streams_of(name):
        try:
            await pull_stream(hub, name, stream, stats=report.pull)
        except ItsmhubError as exc:
            await _pull_failed(hub, name, stream, exc, report)
            return
    report.read_to_end = True


async def _expire_parked(hub: Hub, name: str) -> None:
    # Comments of tickets the hub never syncs (a help desk's questions) would wait forever.
    dropped = await hub.store.expire_parked(name, hub.clock() - hub.config.sync.park_for)
    if dropped:
        await hub.store.audit(
            "parked.expired",
            connector=name,
            detail={"dropped": dropped, "older_than": format_duration(hub.config.sync.park_for)},
        )


async def _pull_failed(
    hub: Hub, name: str, stream: Stream, exc: ItsmhubError, report: ConnectorReport
) -> None:
    # The next cycle resumes from the stored cursor.
    report.errors.append(f"pull {stream.name}: {exc}")
    await hub.store.audit(
        "error.pull", connector=name, detail={"stream": stream.name, "error": str(exc)}
    )


async def record_run(
    hub: Hub,
    name: str,
    connector: ConnectorReport,
    started: datetime,
    *,
    worker: str | None = None,
) -> None:
    """Record one connector's cycle (read by ``status`` and the daemon's schedules)."""
    stats: dict[str, JsonValue] = {
        "pulled": connector.pull.seen,
        "created": connector.pull.created,
        "updated": connector.pull.updated,
        "dead_lettered": connector.pull.rejected + connector.push.dead,
        "pushed": connector.push.pushed,
        "retried": connector.push.retried,
    }
    await hub.store.record_run(
        name,
        started_at=started,
        finished_at=hub.clock(),
        ok=not connector.errors,
        error="; ".join(connector.errors)[:2000] or None,
        stats=stats,
        # Read to the end: caught up to when the cycle began, however old the newest
        # change is (a quiet instance is not behind). Else: as far as the cursors got.
        caught_up_to=started if connector.read_to_end else await caught_up_to(hub, name),
        worker=worker,
    )


async def caught_up_to(hub: Hub, name: str) -> datetime | None:
    """The vendor time every change before which has been pulled: the oldest of the
    connector's stream watermarks (None until every stream has one)."""
    marks = []
    for stream in hub.streams_of(name):
        cursor = load_cursor(await hub.store.get_cursor(name, stream.name))
        if cursor is None or cursor.watermark is None:
            return None
        marks.append(cursor.watermark)
    return min(marks) if marks else None
