"""The incident side of the reporting queries: one narrow row per incident of the
period, streamed; ``itsmhub.reports`` counts, ranks and buckets them as they come.

The period is read in time slices on connections of their own, concurrently: most of
the work is the database's (joins, a few JSON fields, the field history's aggregate),
and SQLite runs each connection's query on its own thread."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    Table,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    tuple_,
)

from .report_rows import IncidentScope
from .report_sql import Sql, flag, json_time, system_mask
from .schema import field_history, links, records, ticket_facts

#: Statuses a reopen goes from and to (neutral incident statuses).
DONE_STATUSES = ("resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "on_hold")
#: ``field_history.field`` values the reports read: the neutral field names.
STATUS, ASSIGNEE, GROUP = "status", "assignee", "assignment_group"


class IncidentRow(NamedTuple):
    """One incident of the period as the reports read it; times in epoch seconds."""

    record_id: str
    group: str | None
    series: str | None
    mask: int  # the systems it lives in, a bit each
    opened: float
    major: int
    duplicate: int
    cancelled: int
    closed: int  # its status is resolved or closed
    resolved: float | None  # resolved_at, else closed_at
    acked: float | None  # first status change away from new, or first assignee
    response_due: float | None
    resolution_due: float | None
    reopens: int
    handoffs: int
    history: int  # field_history rows the hub holds of it
    problem_ids: str  # the problems it is linked to (caused_by), joined by U+001F
    fingerprint: str | None  # the recurring-cluster key


def _history(sql: Sql, cohort: Any, until: datetime) -> Any:
    """Per incident of the cohort: when it was first acknowledged (its status left
    ``new``, or someone was assigned), how often it was reopened and handed over, and
    whether the hub holds any history of it."""
    h = field_history
    new, old = sql.json_value(h.c.new), sql.json_value(h.c.old)
    at = sql.epoch(h.c.at)
    left_new = and_(h.c.field == STATUS, new != sql.json_literal("new"))
    assigned = and_(h.c.field == ASSIGNEE, sql.json_present(new))
    reopen = and_(
        h.c.field == STATUS,
        new.in_([sql.json_literal(s) for s in OPEN_STATUSES]),
        old.in_([sql.json_literal(s) for s in DONE_STATUSES]),
    )
    handoff = and_(
        h.c.field.in_((ASSIGNEE, GROUP)), sql.json_present(old), sql.json_present(new), old != new
    )
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


def _fingerprint(facts: Table, scope: IncidentScope) -> ColumnElement[str | None]:
    """The recurring-cluster key: the blocking fields and the masked title's words."""
    key: ColumnElement[str] = literal("", String)
    for name in scope.cluster_keys:
        key = key + func.coalesce(cast(facts.c[name], String), "") + "\x1f"
    if not scope.cluster_by_title:
        return key
    return case((facts.c.tokens == "", null()), else_=key + facts.c.tokens)


def projection(
    sql: Sql, scope: IncidentScope, systems: Sequence[str], since: datetime | None, until: datetime
) -> Any:
    """One :class:`IncidentRow` per incident opened in ``[since, until)`` (a slice of the
    report's period; the history counts up to the report's end)."""
    f = ticket_facts
    period = [f.c.kind == "incident", f.c.opened_at < until]
    if since is not None:
        period.append(f.c.opened_at >= since)
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
            f.c.problem_ids,
            _fingerprint(f, scope),
        )
        .select_from(
            f.join(records, records.c.id == f.c.record_id).outerjoin(
                history, history.c.record_id == f.c.record_id
            )
        )
        .where(*period)
    )
    return query
