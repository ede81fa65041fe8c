"""When each connector is pulled next: its schedule (an interval with jitter, or cron),
and the backoff of a connector that keeps failing.

The time of the next pull is computed from the connector's recorded cycles (the store's
``connector_runs``), never from what one process remembers: every worker agrees on it, a
restarted daemon does not pull again a connector pulled a minute ago, and a worker that
takes a connector over carries on its rhythm. Jitter is drawn from the connector's name
and its last cycle, so it is random across connectors and cycles yet the same in every
worker.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from ..config import Config
from ..store import ConnectorRun

#: The most jitter a default schedule adds.
DEFAULT_JITTER_CAP = timedelta(seconds=30)


@dataclass(frozen=True)
class Schedule:
    """One connector's schedule: every ``interval`` plus up to ``jitter``, or ``cron``."""

    interval: timedelta | None = None
    jitter: timedelta = timedelta(0)
    cron: str | None = None
    zone: str = "UTC"

    @classmethod
    def of(cls, name: str, config: Config) -> Schedule:
        """The schedule of connector ``name``: its ``[daemon.schedules.<name>]`` table, or
        every ``[sync] interval`` with a tenth of it as jitter (at most 30s)."""
        table = config.daemon.schedules.get(name)
        if table is not None and table.cron is not None:
            return cls(cron=table.cron, zone=table.timezone)
        interval = (table.interval if table else None) or config.sync.interval
        jitter = table.jitter if table and table.jitter is not None else None
        if jitter is None:
            jitter = min(interval / 10, DEFAULT_JITTER_CAP)
        return cls(interval=interval, jitter=jitter)

    def next_after(self, last: datetime, salt: str = "") -> datetime:
        """When the pull after one that started at ``last`` is due."""
        if self.cron is not None:
            from croniter import croniter

            local = last.astimezone(ZoneInfo(self.zone))
            following: datetime = croniter(self.cron, local).get_next(datetime)
            return following.astimezone(UTC)
        assert self.interval is not None
        return last + self.interval + self.jitter * _fraction(salt, last)

    def period(self, around: datetime) -> timedelta:
        """How long the schedule waits between pulls (for cron: between its next two times)."""
        if self.interval is not None:
            return self.interval + self.jitter
        first = self.next_after(around)
        return self.next_after(first) - first

    def describe(self) -> str:
        if self.cron is not None:
            return f"cron {self.cron!r} ({self.zone})"
        return f"every {self.interval} (+ up to {self.jitter})"


@dataclass(frozen=True)
class Backoff:
    """A failing connector waits ``first``, then twice as long each failure, up to ``cap``."""

    first: timedelta
    cap: timedelta

    def delay(self, failures: int) -> timedelta:
        if failures <= 0:
            return timedelta(0)
        return min(self.cap, self.first * 2 ** min(failures - 1, 32))


def failures_in_a_row(runs: Sequence[ConnectorRun]) -> int:
    """How many of the newest ``runs`` (newest first) failed, up to the last clean one."""
    count = 0
    for run in runs:
        if run.ok:
            break
        count += 1
    return count


def next_pull(
    schedule: Schedule, backoff: Backoff, runs: Sequence[ConnectorRun], salt: str
) -> datetime | None:
    """When the connector is next due, from its newest cycles (newest first); None when it
    has never run (due at once). A failing connector is due no sooner than its backoff."""
    if not runs:
        return None
    last = runs[0].started_at
    due = schedule.next_after(last, salt)
    failures = failures_in_a_row(runs)
    if failures:
        due = max(due, last + backoff.delay(failures))
    return due


def _fraction(salt: str, last: datetime) -> float:
    """A number in [0, 1) drawn from ``salt`` and ``last``: random-looking, reproducible."""
    digest = hashlib.blake2b(f"{salt}|{last.isoformat()}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


__all__ = ["Backoff", "Schedule", "failures_in_a_row", "next_pull"]
