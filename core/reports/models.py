"""What a report holds: figures that say how they were computed and from which systems."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from .dimension import Dimension


class Unit(StrEnum):
    COUNT = "count"
    SHARE = "share"  # 0..1
    SECONDS = "seconds"
    RATIO = "ratio"  # e.g. incidents per problem


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Figure(_Frozen):
    """One number, with its sample size, how it was computed and where the data came from.

    ``value`` is None when there was nothing to compute it from (no incident acknowledged,
    no SLA due time known): an empty figure, never a made-up zero.
    """

    key: str
    label: str
    value: float | None
    unit: Unit
    n: int = Field(description="how many records it was computed over")
    how: str
    systems: list[str] = Field(default_factory=list)


class GroupReport(_Frozen):
    """The figures of one group (``group`` None: all incidents together)."""

    group: str | None
    incidents: list[Figure]
    problems: list[Figure]

    def figure(self, key: str) -> Figure:
        for figure in (*self.incidents, *self.problems):
            if figure.key == key:
                return figure
        raise KeyError(key)


class Series(_Frozen):
    name: str
    counts: list[int] = Field(description="incidents per week, aligned with Trend.weeks")


class Marker(_Frozen):
    """A problem fixed in a week, shown on the series its incidents belong to."""

    week: date
    series: str
    problem: str
    title: str


class Trend(_Frozen):
    """Weekly incident volume (weeks start Monday 00:00 UTC) per value of ``by``."""

    by: Dimension
    weeks: list[date]
    series: list[Series]
    markers: list[Marker]


class ProblemNote(_Frozen):
    """A problem or known error worth a look, and for how long it has waited."""

    record_id: str
    name: str
    title: str
    waited_seconds: float | None = None


class Report(_Frozen):
    generated_at: datetime
    since: datetime | None
    until: datetime
    by: Dimension | None
    systems: list[str] = Field(description="every system the store holds records of")
    overall: GroupReport
    groups: list[GroupReport]
    trend: Trend
    waiting_known_errors: list[ProblemNote]
    fixes_without_change: list[ProblemNote]
