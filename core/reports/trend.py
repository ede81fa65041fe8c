"""The trend: weekly incident volume per series, with the problems fixed marked on it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime

from ..store.report_sql import WEEK
from ..store.reporting import ProblemRow
from .dimension import Dimension
from .models import Marker, Series, Trend
from .problems import Period
from .stats import week_of

#: Series drawn one by one; the smaller ones are added up as "other".
TOP_SERIES = 8
NONE = "(none)"
OTHER = "other"


def _day(week: float) -> date:
    return datetime.fromtimestamp(week, UTC).date()


def build_trend(
    cells: Mapping[tuple[float, str | None], int],
    problems: Sequence[ProblemRow],
    by: Dimension,
    period: Period,
) -> Trend:
    """Every week of the period (from the first incident's when it has no start), the
    largest series by volume and the rest as "other", and a marker per problem fixed in
    the period on the series most of its incidents belong to."""
    totals: dict[str, int] = defaultdict(int)
    for (_, series), n in cells.items():
        totals[series or NONE] += n
    ranked = sorted(totals, key=lambda name: (-totals[name], name))
    # Folding a single series into "other" would only rename it.
    shown = ranked if len(ranked) <= TOP_SERIES + 1 else ranked[:TOP_SERIES]
    folded = len(ranked) > len(shown)

    def series_of(name: str | None) -> str:
        name = name or NONE
        return name if name in shown or not folded else OTHER

    first = period.since if period.since is not None else min((w for w, _ in cells), default=None)
    weeks: list[float] = []
    if first is not None:
        week = week_of(first)
        while week < period.until:
            weeks.append(week)
            week += WEEK
    position = {week: i for i, week in enumerate(weeks)}
    counts: dict[str, list[int]] = {name: [0] * len(weeks) for name in shown}
    if folded:
        counts[OTHER] = [0] * len(weeks)
    for (week, series), n in cells.items():
        index = position.get(week)
        if index is not None:
            counts[series_of(series)][index] += n
    markers = [
        Marker(
            week=_day(week_of(p.resolved)),
            series=series_of(p.series),
            problem=p.name,
            title=p.title,
        )
        for p in problems
        if p.kind == "problem" and p.fixed and p.resolved is not None and period.holds(p.resolved)
    ]
    return Trend(
        by=by,
        weeks=[_day(week) for week in weeks],
        series=[Series(name=name, counts=values) for name, values in counts.items()],
        markers=sorted(markers, key=lambda m: (m.week, m.series, m.problem)),
    )
