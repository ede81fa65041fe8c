"""The incident side of the reporting queries: the period's incidents projected into a
temporary table, then counted, ranked for percentiles and bucketed by week."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    distinct,
    exists,
    func,
    insert,
    literal,
    null,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from .report_rows import (
    COUNTERS,
    IncidentCounts,
    IncidentRows,
    IncidentScope,
    ProblemLinks,
    Ranked,
    TrendCell,
)
from .report_sql import REPORT_INCIDENTS, REPORT_RECURRING, Sql, flag, json_time, system_mask
from .schema import field_history, links, records, ticket_facts

#: Statuses a reopen goes from and to (neutral incident statuses).
DONE_STATUSES = ("resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "on_hold")
#: ``field_history.field`` values the reports read: the neutral field names.
STATUS, ASSIGNEE, GROUP = "status", "assignee", "assignment_group"
#: Percentiles the reports give, in percent (integers keep ranks exact in both databases).
PERCENTILES = (50, 90)


async def incident_rows(
    conn: AsyncConnection, dialect: str, scope: IncidentScope, systems: Sequence[str]
) -> IncidentRows:
    """Everything the incident side and the trend need, read in one transaction."""
    sql = Sql(dialect)
    for table in (REPORT_RECURRING, REPORT_INCIDENTS):
        await conn.run_sync(lambda sync, t=table: t.drop(sync, checkfirst=True))
    await conn.run_sync(lambda sync: REPORT_INCIDENTS.create(sync))
    await conn.run_sync(lambda sync: REPORT_RECURRING.create(sync))
    try:
        await conn.execute(_projection(sql, scope, systems))
        await conn.execute(_recurring(scope))
        return IncidentRows(
            systems=tuple(systems),
            counts=await _counts(conn, scope),
            ranks=await _ranks(conn, sql, scope),
            problem_links=await _problem_links(conn, scope),
            trend=await _trend(conn, sql),
        )
    finally:
        for table in (REPORT_RECURRING, REPORT_INCIDENTS):
            await conn.run_sync(lambda sync, t=table: t.drop(sync, checkfirst=True))


def _history(sql: Sql, cohort: Any, until: datetime) -> Any:
    """Per incident of the cohort: when it was first acknowledged (its status left
    ``new``, or someone was assigned), how often it was reopened and handed over, and
    whether the hub holds any history of it."""
    h = field_history
    new, old = sql.scalar(h.c.new), sql.scalar(h.c.old)
    at = sql.epoch(h.c.at)
    left_new = and_(h.c.field == STATUS, new != "new")
    assigned = and_(h.c.field == ASSIGNEE, new.is_not(None))
    reopen = and_(h.c.field == STATUS, old.in_(DONE_STATUSES), new.in_(OPEN_STATUSES))
    handoff = and_(h.c.field.in_((ASSIGNEE, GROUP)), old.is_not(None), new.is_not(None), old != new)
    return (
        select(
            h.c.record_id.label("record_id"),
            func.min(case((or_(left_new, assigned), at))).label("acked"),
            func.sum(case((reopen, 1), else_=0)).label("reopens"),
            func.sum(case((handoff, 1), else_=0)).label("handoffs"),
            func.count().label("rows"),
        )
        .where(h.c.record_id.in_(cohort), h.c.at <= until)
        .group_by(h.c.record_id)
        .subquery("history")
    )


def _duplicate(facts: Table) -> ColumnElement[bool]:
    """Merged into another incident: resolved as a duplicate, or linked ``duplicate_of``
    another incident (of two linked both ways, the later-opened one)."""
    link, back, target = links.alias("dup"), links.alias("back"), ticket_facts.alias("original")
    mutual = exists(
        select(1).where(
            back.c.source_id == link.c.target_id,
            back.c.target_id == link.c.source_id,
            back.c.kind == "duplicate_of",
        )
    )
    earlier = tuple_(facts.c.opened_at, facts.c.record_id) < tuple_(
        target.c.opened_at, target.c.record_id
    )
    linked = exists(
        select(1)
        .select_from(link.join(target, target.c.record_id == link.c.target_id))
        .where(
            link.c.source_id == facts.c.record_id,
            link.c.kind == "duplicate_of",
            target.c.kind == "incident",
            ~and_(mutual, earlier),
        )
    )
    return or_(facts.c.resolution_code == "duplicate", linked)


def _linked_to_problem(facts: Table) -> ColumnElement[bool]:
    problem = ticket_facts.alias("problem")
    return exists(
        select(1)
        .select_from(links.join(problem, problem.c.record_id == links.c.target_id))
        .where(
            links.c.source_id == facts.c.record_id,
            links.c.kind == "caused_by",
            problem.c.kind.in_(("problem", "known_error")),
        )
    )


def _fingerprint(facts: Table, scope: IncidentScope) -> ColumnElement[str | None]:
    """The recurring-cluster key: the blocking fields and the masked title's words."""
    key: ColumnElement[str] = literal("", String)
    for name in scope.cluster_keys:
        key = key + func.coalesce(cast(facts.c[name], String), "") + "\x1f"
    if not scope.cluster_by_title:
        return key
    return case((facts.c.tokens == "", null()), else_=key + facts.c.tokens)


def _projection(sql: Sql, scope: IncidentScope, systems: Sequence[str]) -> Any:
    f = ticket_facts
    period = [f.c.kind == "incident", f.c.opened_at < scope.until]
    if scope.since is not None:
        period.append(f.c.opened_at >= scope.since)
    cohort = select(f.c.record_id).where(*period)
    history = _history(sql, cohort, scope.until)
    resolved_at = func.coalesce(json_time("resolved_at"), json_time("closed_at"))
    query = (
        select(
            f.c.record_id,
            sql.dimension(scope.by),
            sql.dimension(scope.trend_by),
            system_mask(f, systems),
            sql.epoch(f.c.opened_at),
            cast(f.c.major, Integer),
            flag(_duplicate(f)),
            flag(or_(f.c.status == "canceled", f.c.resolution_code == "canceled")),
            flag(f.c.status.in_(DONE_STATUSES)),
            sql.epoch(resolved_at, text=True),
            history.c.acked,
            sql.epoch(json_time("response_due_at"), text=True),
            sql.epoch(json_time("resolution_due_at"), text=True),
            func.coalesce(history.c.reopens, 0),
            func.coalesce(history.c.handoffs, 0),
            func.coalesce(history.c.rows, 0),
            flag(_linked_to_problem(f)),
            _fingerprint(f, scope),
        )
        .select_from(
            f.join(records, records.c.id == f.c.record_id).outerjoin(
                history, history.c.record_id == f.c.record_id
            )
        )
        .where(*period)
    )
    return insert(REPORT_INCIDENTS).from_select([c.name for c in REPORT_INCIDENTS.c], query)


def _conditions(until: float) -> dict[str, ColumnElement[bool]]:
    """When an incident of the projection counts towards each counter."""
    t = REPORT_INCIDENTS.c
    counted = and_(t.duplicate == 0, t.cancelled == 0)
    resolved = and_(counted, t.closed == 1, or_(t.resolved.is_(None), t.resolved <= until))
    acked = and_(counted, t.acked.is_not(None), t.acked <= until)
    history = and_(counted, t.history > 0)
    response_known = and_(history, t.response_due.is_not(None))
    resolution_known = and_(counted, t.resolution_due.is_not(None))
    recurring = select(REPORT_RECURRING.c.fp)
    return {
        "incidents": counted,
        "merged": t.duplicate == 1,
        "cancelled": and_(t.duplicate == 0, t.cancelled == 1),
        "major": and_(counted, t.major == 1),
        "resolved": resolved,
        "timed": and_(resolved, t.resolved.is_not(None), t.resolved >= t.opened),
        "acked": acked,
        "response_met": and_(response_known, acked, t.acked <= t.response_due),
        "response_breached": and_(
            response_known,
            or_(
                and_(acked, t.acked > t.response_due),
                and_(~acked, t.response_due < until),
            ),
        ),
        "resolution_met": and_(
            resolution_known, resolved, t.resolved.is_not(None), t.resolved <= t.resolution_due
        ),
        "resolution_breached": and_(
            resolution_known,
            or_(
                and_(resolved, t.resolved > t.resolution_due),
                and_(~resolved, t.resolution_due < until),
            ),
        ),
        "with_history": history,
        "fcr_eligible": and_(resolved, t.history > 0),
        "fcr": and_(resolved, t.history > 0, t.handoffs == 0, t.reopens == 0),
        "reopen_eligible": and_(history, or_(resolved, t.reopens > 0)),
        "reopened": and_(history, t.reopens > 0),
        "linked": and_(counted, t.linked == 1),
        "recurring": and_(counted, or_(t.linked == 1, t.fp.in_(recurring))),
    }


def _recurring(scope: IncidentScope) -> Any:
    t = REPORT_INCIDENTS.c
    clusters = (
        select(t.fp)
        .where(t.duplicate == 0, t.cancelled == 0, t.fp.is_not(None))
        .group_by(t.fp)
        .having(func.count() >= scope.cluster_size)
    )
    return insert(REPORT_RECURRING).from_select(["fp"], clusters)


async def _counts(conn: AsyncConnection, scope: IncidentScope) -> list[IncidentCounts]:
    t = REPORT_INCIDENTS.c
    conditions = _conditions(scope.until.timestamp())
    sums = [func.sum(flag(conditions[name])).label(name) for name in COUNTERS]
    query = select(t.grp, t.mask, *sums).group_by(t.grp, t.mask)
    return [
        IncidentCounts(row[0], int(row[1]), *(int(v or 0) for v in row[2:]))
        for row in await conn.execute(query)
    ]


def _measures(until: float) -> dict[str, tuple[ColumnElement[float], ColumnElement[bool]]]:
    """The durations given as percentiles, each with the incidents it is measured on."""
    t = REPORT_INCIDENTS.c
    conditions = _conditions(until)
    to_resolve = t.resolved - t.opened
    return {
        "tta": (case((t.acked > t.opened, t.acked - t.opened), else_=0.0), conditions["acked"]),
        "ttr": (to_resolve, conditions["timed"]),
        "ttr_major": (to_resolve, and_(conditions["timed"], t.major == 1)),
    }


async def _ranks(conn: AsyncConnection, sql: Sql, scope: IncidentScope) -> list[Ranked]:
    """For each measure, per group and overall: the values at the ranks around each
    percentile (``(n-1)·p`` and the next), from which the caller interpolates."""
    t = REPORT_INCIDENTS.c
    found: list[Ranked] = []
    partitions: list[bool] = [False] + ([True] if scope.by is not None else [])
    for measure, (value, where) in _measures(scope.until.timestamp()).items():
        for grouped in partitions:
            partition = [t.grp] if grouped else []
            inner = (
                select(
                    (t.grp if grouped else null()).label("grp"),
                    value.label("value"),
                    func.row_number().over(partition_by=partition, order_by=value).label("rn"),
                    func.count().over(partition_by=partition).label("n"),
                )
                .where(where)
                .subquery()
            )
            wanted = []
            for p in PERCENTILES:
                low = sql.floor((inner.c.n - 1) * p / 100)
                wanted += [inner.c.rn - 1 == low, inner.c.rn - 1 == low + 1]
            query = select(inner.c.grp, inner.c.n, inner.c.rn, inner.c.value).where(or_(*wanted))
            for grp, n, rank, v in await conn.execute(query):
                found.append(Ranked(measure, grouped, grp, n, rank, float(v)))
    return found


async def _problem_links(conn: AsyncConnection, scope: IncidentScope) -> list[ProblemLinks]:
    t = REPORT_INCIDENTS.c
    problem = ticket_facts.alias("problem")
    base = (
        select()
        .select_from(
            REPORT_INCIDENTS.join(links, links.c.source_id == t.record_id).join(
                problem, problem.c.record_id == links.c.target_id
            )
        )
        .where(
            t.duplicate == 0,
            t.cancelled == 0,
            links.c.kind == "caused_by",
            problem.c.kind.in_(("problem", "known_error")),
        )
    )
    counts = (func.count(distinct(t.record_id)), func.count(distinct(links.c.target_id)))
    queries = [base.add_columns(null(), *counts)]
    if scope.by is not None:
        queries.append(base.add_columns(t.grp, *counts).group_by(t.grp))
    found = []
    for index, query in enumerate(queries):
        for group, incidents, problems in await conn.execute(query):
            found.append(ProblemLinks(bool(index), group, int(incidents), int(problems)))
    return found


async def _trend(conn: AsyncConnection, sql: Sql) -> list[TrendCell]:
    t = REPORT_INCIDENTS.c
    week = sql.week(t.opened).label("week")
    query = (
        select(week, t.series, func.count())
        .where(t.duplicate == 0, t.cancelled == 0)
        .group_by(week, t.series)
        .order_by(week, t.series)
    )
    return [TrendCell(float(w), s, int(n)) for w, s, n in await conn.execute(query)]
