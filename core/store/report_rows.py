"""The typed rows the reporting queries return (``itsmhub.reports`` makes figures of them)."""

from __future__ import annotations

from dataclasses import dataclass
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
