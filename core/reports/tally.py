"""Counting the period's incidents as the store streams them: additive counts per group
and set of systems, the durations percentiles are taken from, the weekly trend, the
recurring clusters and the problems incidents link to."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, fields

from ..store.reporting import IncidentRow
from .stats import week_of

#: The durations given as percentiles.
MEASURES = ("tta", "ttr", "ttr_major")
SEPARATOR = "\x1f"


@dataclass(slots=True)
class IncidentCounts:
    """Additive counts of one group's incidents living in one set of systems (``mask``)."""

    group: str | None
    mask: int
    incidents: int = 0
    merged: int = 0
    cancelled: int = 0
    major: int = 0
    resolved: int = 0
    timed: int = 0
    acked: int = 0
    response_met: int = 0
    response_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    with_history: int = 0
    fcr_eligible: int = 0
    fcr: int = 0
    reopen_eligible: int = 0
    reopened: int = 0
    linked: int = 0
    recurring: int = 0

    def add(self, other: IncidentCounts) -> None:
        for name in COUNTERS:
            setattr(self, name, getattr(self, name) + getattr(other, name))


COUNTERS = tuple(f.name for f in fields(IncidentCounts)[2:])


@dataclass
class ProblemLinks:
    """Incidents of a group linked to problems, and the distinct problems."""

    incidents: int = 0
    problems: set[str] | None = None


class IncidentTally:
    """Everything the incident side, the recurrence rate and the trend need.

    ``until`` is the end of the period (epoch seconds): what happened after it does not
    count. Groups are the rows' ``group`` when ``grouped``; figures over all incidents
    are kept under the key None either way.
    """

    def __init__(self, until: float, *, grouped: bool, cluster_size: int) -> None:
        self.until = until
        self.grouped = grouped
        self.cluster_size = cluster_size
        self.counts: dict[tuple[str | None, int], IncidentCounts] = {}
        self.durations: dict[tuple[str, str | None], list[float]] = defaultdict(list)
        self.weeks: Counter[tuple[float, str | None]] = Counter()
        self.links: dict[str | None, ProblemLinks] = {}
        self._clusters: Counter[str] = Counter()
        #: Counted incidents not linked to a problem, by (group, mask, fingerprint): they
        #: are recurring if their fingerprint's cluster turns out big enough.
        self._unlinked: Counter[tuple[str | None, int, str]] = Counter()

    def add(self, rows: Sequence[IncidentRow]) -> None:
        until = self.until
        for row in rows:
            group = row.group if self.grouped else None
            key = (group, row.mask)
            counts = self.counts.get(key)
            if counts is None:
                counts = self.counts[key] = IncidentCounts(group, row.mask)
            if row.duplicate:
                counts.merged += 1
                continue
            if row.cancelled:
                counts.cancelled += 1
                continue
            self._count(counts, row, group, until)

    def _count(
        self, counts: IncidentCounts, row: IncidentRow, group: str | None, until: float
    ) -> None:
        counts.incidents += 1
        self.weeks[(week_of(row.opened), row.series)] += 1
        opened, finished, acked = row.opened, row.resolved, row.acked
        if row.major:
            counts.major += 1
        resolved = bool(row.closed) and (finished is None or finished <= until)
        if resolved:
            counts.resolved += 1
            if finished is not None and finished >= opened:
                counts.timed += 1
                self._duration("ttr", group, finished - opened)
                if row.major:
                    self._duration("ttr_major", group, finished - opened)
        if acked is not None and acked > until:
            acked = None  # acknowledged after the period: not yet, as of its end
        if acked is not None:
            counts.acked += 1
            self._duration("tta", group, max(acked - opened, 0.0))
        history = row.history > 0
        if history:
            counts.with_history += 1
            due = row.response_due
            if due is not None:
                if acked is not None and acked <= due:
                    counts.response_met += 1
                elif acked is not None or due < until:
                    counts.response_breached += 1
            if resolved:
                counts.fcr_eligible += 1
                if not row.handoffs and not row.reopens:
                    counts.fcr += 1
            if resolved or row.reopens:
                counts.reopen_eligible += 1
                if row.reopens:
                    counts.reopened += 1
        due = row.resolution_due
        if due is not None:
            if resolved and finished is not None:
                if finished <= due:
                    counts.resolution_met += 1
                else:
                    counts.resolution_breached += 1
            elif not resolved and due < until:
                counts.resolution_breached += 1
        if row.fingerprint is not None:
            self._clusters[row.fingerprint] += 1
        if row.problem_ids:
            counts.linked += 1
            self._link(None, row.problem_ids)
            if group is not None:
                self._link(group, row.problem_ids)
        elif row.fingerprint is not None:
            self._unlinked[(group, row.mask, row.fingerprint)] += 1

    def _duration(self, measure: str, group: str | None, seconds: float) -> None:
        self.durations[(measure, None)].append(seconds)
        if group is not None:
            self.durations[(measure, group)].append(seconds)

    def _link(self, group: str | None, problem_ids: str) -> None:
        links = self.links.get(group)
        if links is None:
            links = self.links[group] = ProblemLinks(problems=set())
        links.incidents += 1
        assert links.problems is not None
        links.problems.update(problem_ids.split(SEPARATOR))

    def finish(self) -> None:
        """Recurring = linked to a problem, or in a cluster of at least ``cluster_size``
        counted incidents of the period; sort the durations for percentiles."""
        for counts in self.counts.values():
            counts.recurring = counts.linked
        for (group, mask, fingerprint), n in self._unlinked.items():
            if self._clusters[fingerprint] >= self.cluster_size:
                self.counts[(group, mask)].recurring += n
        for values in self.durations.values():
            values.sort()
