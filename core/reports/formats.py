"""A report as people read it (tables), and as programs do (JSON, CSV)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence

from rich.console import Console
from rich.table import Table

from .models import Figure, GroupReport, Report, Unit

#: The figures a breakdown by group shows side by side (all of them are in JSON and CSV).
SUMMARY = (
    ("volume", "incidents"),
    ("mtta_median", "MTTA med"),
    ("mttr_median", "MTTR med"),
    ("mttr_p90", "MTTR p90"),
    ("sla_resolution", "SLA res"),
    ("fcr", "FCR"),
    ("reopen_rate", "reopened"),
    ("major", "major"),
    ("recurrence_rate", "recurring"),
    ("open_problems", "open problems"),
)


def human_duration(seconds: float) -> str:
    """``45s``, ``3m``, ``2h 5m``, ``4d 1h``: the largest unit and the one below it."""
    whole = round(seconds)
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    first = next((i for i, (n, _) in enumerate(parts) if n), None)
    if first is None:
        return "0s"
    return " ".join(f"{n}{unit}" for n, unit in parts[first : first + 2] if n)


def shown(figure: Figure) -> str:
    """A figure's value as people read it; '–' when there was nothing to compute it from."""
    value = figure.value
    if value is None:
        return "–"
    if figure.unit is Unit.SECONDS:
        return human_duration(value)
    if figure.unit is Unit.SHARE:
        return f"{value:.1%}"
    if figure.unit is Unit.RATIO:
        return f"{value:.2f}"
    return f"{int(value):,}"


def period_line(report: Report) -> str:
    since = f"{report.since:%Y-%m-%d %H:%M}" if report.since else "the beginning"
    systems = ", ".join(report.systems) or "no system yet"
    return f"incidents opened from {since} to {report.until:%Y-%m-%d %H:%M} UTC, from {systems}" + (
        f", by {report.by.value}" if report.by else ""
    )


def to_json(report: Report) -> str:
    return json.dumps(report.model_dump(mode="json"), indent=2)


def to_csv(report: Report) -> str:
    """One row per figure (overall and per group), then one per series and week."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["group", "side", "key", "label", "value", "unit", "n", "systems", "how"])
    for group in (report.overall, *report.groups):
        name = "(all)" if group.group is None else group.group
        for side, figures in (("incidents", group.incidents), ("problems", group.problems)):
            for f in figures:
                value = "" if f.value is None else f"{f.value:.6g}"
                writer.writerow(
                    [
                        name,
                        side,
                        f.key,
                        f.label,
                        value,
                        f.unit.value,
                        f.n,
                        ";".join(f.systems),
                        f.how,
                    ]
                )
    for series in report.trend.series:
        for week, count in zip(report.trend.weeks, series.counts, strict=True):
            writer.writerow(
                [
                    series.name,
                    "trend",
                    f"week:{week.isoformat()}",
                    f"incidents in the week of {week.isoformat()}",
                    count,
                    Unit.COUNT.value,
                    count,
                    "",
                    "weekly volume",
                ]
            )
    return out.getvalue()


def print_tables(report: Report, console: Console) -> None:
    console.print(f"Report: {period_line(report)}")
    for title, figures in (
        ("incidents", report.overall.incidents),
        ("problems", report.overall.problems),
    ):
        console.print(_figures_table(title, figures))
    if report.groups:
        console.print(_groups_table(report.by.value if report.by else "", report.groups))
    if report.trend.weeks:
        console.print(_trend_table(report))
    for title, notes in (
        ("known errors waiting for a fix (longest first)", report.waiting_known_errors),
        ("problems fixed with no change linked", report.fixes_without_change),
    ):
        if notes:
            table = _table(title, ["problem", "title", "waiting"])
            for note in notes:
                waited = note.waited_seconds
                table.add_row(note.name, note.title, human_duration(waited) if waited else "")
            console.print(table)


def _table(title: str, columns: Sequence[str]) -> Table:
    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    return table


def _figures_table(title: str, figures: Sequence[Figure]) -> Table:
    table = _table(title, ["figure", "value", "n", "from", "how"])
    for f in figures:
        table.add_row(f.label, shown(f), f"{f.n:,}", ", ".join(f.systems) or "–", f.how)
    return table


def _groups_table(by: str, groups: Sequence[GroupReport]) -> Table:
    table = _table(f"by {by}", [by, *(label for _, label in SUMMARY)])
    for group in groups:
        table.add_row(group.group or "", *(shown(group.figure(key)) for key, _ in SUMMARY))
    return table


def _trend_table(report: Report) -> Table:
    trend = report.trend
    table = _table(f"weekly incidents by {trend.by.value} (* a problem was fixed)", ["week"])
    for series in trend.series:
        table.add_column(series.name, justify="right")
    fixed = {(m.week, m.series) for m in trend.markers}
    for index, week in enumerate(trend.weeks):
        cells = _cells(trend.series, index, week, fixed)
        table.add_row(week.isoformat(), *cells)
    return table


def _cells(series: Sequence, index: int, week: object, fixed: set) -> Iterator[str]:
    for s in series:
        mark = "*" if (week, s.name) in fixed else ""
        yield f"{s.counts[index]}{mark}"
