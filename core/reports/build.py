"""Building a report from the store: the queries run there, the figures are made here."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

import anyio

from ..config import Config
from ..rules.builtin import RecurrenceSettings
from ..rules.facts import FACT_FIELDS
from ..store import Store
from ..store.reporting import IncidentScope, ProblemRow
from .dimension import Dimension
from .incidents import CountsView, incident_figures
from .models import GroupReport, Report
from .problems import Clustering, Period, problem_figures, unchanged_fixes, waiting_known_errors
from .tally import MEASURES, IncidentCounts, IncidentTally
from .trend import NONE, build_trend

#: Problems listed by name in a report (the figures count them all).
LISTED = 20


def clustering_of(config: Config | None) -> Clustering:
    """Recurring clusters as the first recurrence rule defines them (its fingerprint and
    threshold), else by masked title and service, three incidents."""
    rule = None
    if config is not None:
        rule = next((r for r in config.rules.values() if isinstance(r, RecurrenceSettings)), None)
    if rule is None:
        return Clustering()
    keys = tuple(FACT_FIELDS[path] for path in rule.fingerprint if path != "title")
    return Clustering(keys=keys, by_title="title" in rule.fingerprint, size=rule.threshold)


async def build_report(
    store: Store,
    *,
    since: datetime | None,
    until: datetime,
    by: Dimension | None = None,
    clustering: Clustering | None = None,
    now: datetime,
) -> Report:
    """The report of incidents opened in ``[since, until)``, broken down ``by``."""
    clustering = clustering or Clustering()
    trend_by = by or Dimension.CATEGORY
    scope = IncidentScope(
        since=since,
        until=until,
        by=by,
        trend_by=trend_by,
        cluster_keys=clustering.keys,
        cluster_by_title=clustering.by_title,
        cluster_size=clustering.size,
    )
    systems = await store.report_systems()
    tally = IncidentTally(until.timestamp(), grouped=by is not None, cluster_size=clustering.size)
    problems: list[ProblemRow] = []

    async def read_problems() -> None:
        problems.extend(await store.problem_report_rows(by, trend_by, systems))

    # The two sides read at once, on connections of their own.
    async with anyio.create_task_group() as group:
        group.start_soon(read_problems)
        await store.incident_report_rows(scope, systems, tally.add)
    tally.finish()
    period = Period(since.timestamp() if since else None, until.timestamp())

    def group_report(name: str | None, rows: list[IncidentCounts]) -> GroupReport:
        key = None if name == NONE else name
        grouped = name is not None
        mine = [p for p in problems if (p.group or NONE) == name] if grouped else problems
        view = CountsView(rows, systems)
        durations = {m: tally.durations.get((m, key if grouped else None), []) for m in MEASURES}
        links = tally.links.get(key) if grouped else tally.links.get(None)
        return GroupReport(
            group=name,
            incidents=incident_figures(view, durations),
            problems=problem_figures(mine, links, view, period, clustering, systems),
        )

    all_counts = list(tally.counts.values())
    groups: list[GroupReport] = []
    if by is not None:
        by_group: dict[str, list[IncidentCounts]] = defaultdict(list)
        for counts in all_counts:
            by_group[counts.group or NONE].append(counts)
        names = set(by_group) | {p.group or NONE for p in problems}
        ordered = sorted(names, key=lambda n: (-sum(c.incidents for c in by_group[n]), n))
        groups = [group_report(name, by_group[name]) for name in ordered]
    return Report(
        generated_at=now,
        since=since,
        until=until,
        by=by,
        systems=list(systems),
        overall=group_report(None, all_counts),
        groups=groups,
        trend=build_trend(tally.weeks, problems, trend_by, period),
        waiting_known_errors=waiting_known_errors(problems, period.until)[:LISTED],
        fixes_without_change=unchanged_fixes(problems, period)[:LISTED],
    )
