"""The problem side of a report: recurrence, incidents per problem, how long recurrence
waited for a problem, the open backlog by age, known errors still waiting for a fix,
and fixes with no change behind them."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..store.reporting import ProblemRow
from .incidents import CountsView
from .models import Figure, ProblemNote, Unit
from .stats import percentile, share, system_names
from .tally import ProblemLinks

#: A change request named in a problem's fix, description or comments: a ServiceNow CHG
#: number or a link to a change_request record. The model has no change record yet.
CHANGE_REFERENCE = re.compile(r"\bCHG\d{5,}\b|change_request", re.IGNORECASE)

DAY = 86_400.0
#: Open problems by age at the end of the period: (key, label, up to this many days).
AGE_BUCKETS = (
    ("0_30d", "under 30 days", 30),
    ("30_90d", "30–90 days", 90),
    ("90_180d", "90–180 days", 180),
    ("180_365d", "180–365 days", 365),
    ("over_365d", "over a year", None),
)


@dataclass(frozen=True)
class Clustering:
    """How the report recognises a recurring cluster without a problem (see docs)."""

    keys: tuple[str, ...] = ("service",)
    by_title: bool = True
    size: int = 3

    def describe(self) -> str:
        same = [*(["masked title"] if self.by_title else []), *self.keys]
        return f"at least {self.size} incidents of the period with the same {' and '.join(same)}"


@dataclass(frozen=True)
class Period:
    since: float | None
    until: float

    def holds(self, moment: float | None) -> bool:
        if moment is None:
            return False
        return (self.since is None or moment >= self.since) and moment < self.until


def has_change(problem: ProblemRow) -> bool:
    texts = [problem.fix or "", *problem.mentions]
    return any(CHANGE_REFERENCE.search(text) for text in texts)


def waiting_known_errors(problems: Sequence[ProblemRow], until: float) -> list[ProblemNote]:
    """Known errors with a workaround and no permanent fix yet, longest waiting first:
    published known-error records, and problems flagged known error that no such record
    documents. They wait from publication (else from when they were opened)."""
    found = []
    for p in problems:
        if p.fixed:
            continue
        if p.kind == "known_error":
            waiting = p.known_error
        else:
            waiting = p.known_error and p.has_workaround and p.is_open and not p.documented
        start = p.published if p.kind == "known_error" and p.published else p.opened
        if waiting and start < until:
            found.append(
                ProblemNote(
                    record_id=p.record_id, name=p.name, title=p.title, waited_seconds=until - start
                )
            )
    return sorted(found, key=lambda n: -(n.waited_seconds or 0))


def unchanged_fixes(problems: Sequence[ProblemRow], period: Period) -> list[ProblemNote]:
    """Problems fixed in the period whose fix names no change request."""
    return [
        ProblemNote(record_id=p.record_id, name=p.name, title=p.title)
        for p in problems
        if p.kind == "problem" and p.fixed and period.holds(p.resolved) and not has_change(p)
    ]


def problem_figures(
    problems: Sequence[ProblemRow],
    links: ProblemLinks | None,
    view: CountsView,
    period: Period,
    clustering: Clustering,
    systems: Sequence[str],
) -> list[Figure]:
    """Every problem figure of one group: ``problems`` and ``links`` are the group's."""

    def where(rows: Sequence[ProblemRow]) -> list[str]:
        return system_names((p.mask for p in rows), systems)

    real = [p for p in problems if p.kind == "problem"]
    opened = [p for p in real if period.holds(p.opened)]
    late = sorted(
        p.opened - p.second_incident
        for p in opened
        if p.second_incident is not None and p.opened >= p.second_incident
    )
    late_rows = [p for p in opened if p.second_incident is not None]
    early = [p for p in opened if p.second_incident is None or p.opened < p.second_incident]
    backlog = [p for p in real if p.is_open and p.opened < period.until]
    waiting = waiting_known_errors(problems, period.until)
    waited = sorted(n.waited_seconds or 0.0 for n in waiting)
    waiting_ids = {n.record_id for n in waiting}
    fixed = [p for p in real if p.fixed and period.holds(p.resolved)]
    unchanged = unchanged_fixes(fixed, period)
    delay_how = (
        "problem opened − second linked incident opened, over problems opened in the period "
        "after their incidents recurred"
    )
    figures = [
        Figure(
            key="recurrence_rate",
            label="Recurrence rate",
            value=share(view["recurring"], view["incidents"]),
            unit=Unit.SHARE,
            n=view["incidents"],
            how="incidents linked to a problem or known error (caused_by), or in a recurring "
            f"cluster ({clustering.describe()}), over the volume",
            systems=view.systems("recurring"),
        ),
        Figure(
            key="incidents_per_problem",
            label="Incidents per problem",
            value=share(links.incidents, len(links.problems or ())) if links else None,
            unit=Unit.RATIO,
            n=len(links.problems or ()) if links else 0,
            how="incidents of the period linked to a problem ÷ the distinct problems they link to",
            systems=view.systems("linked"),
        ),
        Figure(
            key="recurrence_to_problem_median",
            label="First recurrence → problem (median)",
            value=percentile(late, 50),
            unit=Unit.SECONDS,
            n=len(late),
            how=delay_how,
            systems=where(late_rows),
        ),
        Figure(
            key="recurrence_to_problem_p90",
            label="First recurrence → problem (p90)",
            value=percentile(late, 90),
            unit=Unit.SECONDS,
            n=len(late),
            how=delay_how,
            systems=where(late_rows),
        ),
        Figure(
            key="problems_before_recurrence",
            label="Problems opened before any recurrence",
            value=len(early),
            unit=Unit.COUNT,
            n=len(opened),
            how="problems opened in the period before a second incident linked to them "
            "was opened (proactive, or from one major incident)",
            systems=where(early),
        ),
        Figure(
            key="open_problems",
            label="Open problems",
            value=len(backlog),
            unit=Unit.COUNT,
            n=len(backlog),
            how="problems open now and opened before the end of the period",
            systems=where(backlog),
        ),
    ]
    low = 0.0
    for key, label, days in AGE_BUCKETS:
        high = days * DAY if days is not None else float("inf")
        aged = [p for p in backlog if low <= period.until - p.opened < high]
        figures.append(
            Figure(
                key=f"open_problems_{key}",
                label=f"Open problems, {label} old",
                value=len(aged),
                unit=Unit.COUNT,
                n=len(backlog),
                how="age at the end of the period",
                systems=where(aged),
            )
        )
        low = high
    waiting_rows = [p for p in problems if p.record_id in waiting_ids]
    wait_how = "known errors with a workaround and no permanent fix, waiting since published"
    figures += [
        Figure(
            key="known_errors_waiting",
            label="Known errors waiting for a fix",
            value=len(waiting),
            unit=Unit.COUNT,
            n=len(waiting),
            how=wait_how + " (else since opened)",
            systems=where(waiting_rows),
        ),
        Figure(
            key="known_errors_wait_median",
            label="Known errors: wait so far (median)",
            value=percentile(waited, 50),
            unit=Unit.SECONDS,
            n=len(waited),
            how=wait_how,
            systems=where(waiting_rows),
        ),
        Figure(
            key="known_errors_wait_max",
            label="Known errors: longest wait",
            value=waited[-1] if waited else None,
            unit=Unit.SECONDS,
            n=len(waited),
            how=wait_how,
            systems=where(waiting_rows),
        ),
        Figure(
            key="fixes_without_change",
            label="Fixes with no change linked",
            value=len(unchanged),
            unit=Unit.COUNT,
            n=len(fixed),
            how="problems fixed in the period whose fix, description or comments name no "
            "change request (CHG number or change_request link)",
            systems=where([p for p in fixed if not has_change(p)]),
        ),
    ]
    return figures
