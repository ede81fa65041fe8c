"""The typed rows the reporting queries return (``itsmhub.reports`` makes figures of them)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime

from .report_sql import Dimension


@dataclass(frozen=True, slots=True)
class IncidentScope:
    """Which incidents a report covers and how it groups them."""

    since: datetime | None
    until: datetime
    by: Dimension | None = None
    trend_by: Dimension = Dimension.CATEGORY
    #: Facts columns that must be equal within a recurring cluster, besides the title.
    cluster_keys: tuple[str, ...] = ("service",)
    cluster_by_title: bool = True
    cluster_size: int = 3


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
        for field in fields(self)[2:]:
            name = field.name
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass(frozen=True, slots=True)
class Ranked:
    """A value at one rank of a sorted measure (the neighbours of a percentile)."""

    measure: str
    grouped: bool  # False: over all incidents (then ``group`` is None)
    group: str | None
    n: int
    rank: int
    value: float


@dataclass(frozen=True, slots=True)
class ProblemLinks:
    """Incidents of a group linked to problems, and how many distinct problems."""

    grouped: bool  # False: over all incidents
    group: str | None
    incidents: int
    problems: int


@dataclass(frozen=True, slots=True)
class TrendCell:
    week: float
    series: str | None
    incidents: int


@dataclass(frozen=True, slots=True)
class IncidentRows:
    """What the incident side and the trend of a report are computed from."""

    systems: tuple[str, ...]
    counts: list[IncidentCounts]
    ranks: list[Ranked]
    problem_links: list[ProblemLinks]
    trend: list[TrendCell]


@dataclass(slots=True)
class ProblemRow:
    """One problem or known error, with what the problem side needs of its incidents."""

    record_id: str
    kind: str
    name: str
    title: str
    status: str
    is_open: bool
    known_error: bool
    has_workaround: bool
    fixed: bool
    opened: float
    resolved: float | None
    published: float | None
    mask: int
    group: str | None
    series: str | None
    fix: str | None
    mentions: tuple[str, ...]
    documented: bool = False
    incidents: int = 0
    second_incident: float | None = None


@dataclass(frozen=True, slots=True)
class Evidence:
    """An incident linked to a rule-opened problem, and why."""

    record_id: str
    name: str
    title: str
    opened_at: datetime
    system: str | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class RuleProblem:
    """A problem a rule opened: when, which rule, and the incidents behind it."""

    record_id: str
    name: str
    title: str
    status: str
    is_open: bool
    opened_at: datetime
    rule: str | None
    evidence: list[Evidence]


#: The counters of :class:`IncidentCounts`, in order.
COUNTERS = tuple(f.name for f in fields(IncidentCounts)[2:])
