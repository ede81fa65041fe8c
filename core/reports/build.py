"""Building a report from the store: the queries run there, the figures are made here."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from ..config import Config
from ..rules.builtin import RecurrenceSettings
from ..rules.facts import FACT_FIELDS
from ..store import Store
from ..store.report_sql import Dimension
from ..store.reporting import IncidentCounts, IncidentScope, ProblemRow
from .incidents import CountsView, incident_figures
from .models import GroupReport, Report
from .problems import Clustering, Period, problem_figures, unchanged_fixes, waiting_known_errors
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
    rows = await store.incident_report_rows(scope, systems)
    problems = await store.problem_report_rows(by, trend_by, systems)
    period = Period(since.timestamp() if since else None, until.timestamp())

    def group_report(
        group: str | None, counts: CountsView, problem_rows: list[ProblemRow]
    ) -> GroupReport:
        grouped = by is not None and group is not None
        key = None if group == NONE else group
        ranks = [r for r in rows.ranks if r.grouped == grouped and r.group == key]
        links = next(
            (x for x in rows.problem_links if x.grouped == grouped and x.group == key), None
        )
        return GroupReport(
            group=group,
            incidents=incident_figures(counts, ranks),
            problems=problem_figures(problem_rows, links, counts, period, clustering, systems),
        )

    overall = group_report(None, CountsView(rows.counts, systems), problems)
    groups: list[GroupReport] = []
    if by is not None:
        by_group: dict[str, list[IncidentCounts]] = defaultdict(list)
        for row in rows.counts:
            by_group[row.group or NONE].append(row)
        problems_by_group: dict[str, list[ProblemRow]] = defaultdict(list)
        for problem in problems:
            problems_by_group[problem.group or NONE].append(problem)
        names = sorted(
            set(by_group) | set(problems_by_group),
            key=lambda name: (-sum(r.incidents for r in by_group[name]), name),
        )
        groups = [
            group_report(name, CountsView(by_group[name], systems), problems_by_group[name])
            for name in names
        ]
    return Report(
        generated_at=now,
        since=since,
        until=until,
        by=by,
        systems=list(systems),
        overall=overall,
        groups=groups,
        trend=build_trend(rows.trend, problems, trend_by, period),
        waiting_known_errors=waiting_known_errors(problems, period.until)[:LISTED],
        fixes_without_change=unchanged_fixes(problems, period)[:LISTED],
    )
