"""The problem side of the reporting queries: every problem and known error with what
its incidents say, and the problems rules opened with their evidence."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, exists, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from .report_rows import Evidence, ProblemRow, RuleProblem
from .report_sql import Dimension, Sql, json_time, system_mask
from .schema import audit_log, links, records, ticket_facts

#: Where audit says a rule opened a problem (``itsmhub.engine.effects``).
RULE_CREATED_PROBLEM = "rule.create_problem"


async def problem_rows(
    conn: AsyncConnection,
    dialect: str,
    by: Dimension | None,
    trend_by: Dimension,
    systems: Sequence[str],
) -> list[ProblemRow]:
    """Every problem and known error, with its linked incidents' count, the second of
    them (the first recurrence) and, when it has no value of its own in ``by`` or
    ``trend_by``, the one most of its incidents have."""
    sql = Sql(dialect)
    f = ticket_facts
    query = select(
        f.c.record_id,
        f.c.kind,
        func.coalesce(f.c.label, f.c.record_id),
        f.c.title,
        f.c.status,
        f.c.is_open,
        f.c.known_error,
        f.c.workaround.is_not(None),
        f.c.fixed,
        sql.epoch(f.c.opened_at),
        sql.epoch(func.coalesce(json_time("resolved_at"), json_time("closed_at")), text=True),
        sql.epoch(json_time("published_at"), text=True),
        system_mask(f, systems),
        sql.dimension(by),
        sql.dimension(trend_by),
        records.c.data["fix"].as_string(),
        f.c.mentions,
        _documented(f),
    ).select_from(f.join(records, records.c.id == f.c.record_id))
    query = query.where(f.c.kind.in_(("problem", "known_error")))
    problems = {
        row[0]: ProblemRow(
            *row[:5],
            bool(row[5]),
            bool(row[6]),
            bool(row[7]),
            bool(row[8]),
            *row[9:16],
            tuple(row[16].split("\x1f")) if row[16] else (),
            bool(row[17]),
        )
        for row in await conn.execute(query)
    }
    for problem_id, n, second in await conn.execute(_first_recurrences(sql)):
        if problem_id in problems:
            problems[problem_id].incidents = int(n)
            problems[problem_id].second_incident = second
    for dimension, attribute in ((by, "group"), (trend_by, "series")):
        if dimension is None:
            continue
        for problem_id, value in (await _majorities(conn, sql, dimension)).items():
            problem = problems.get(problem_id)
            if problem is not None and getattr(problem, attribute) is None:
                setattr(problem, attribute, value)
    return list(problems.values())


async def rule_problem_rows(conn: AsyncConnection, limit: int) -> list[RuleProblem]:
    """The problems rules opened, newest first, each with its linked incidents."""
    f = ticket_facts
    query = (
        select(
            audit_log.c.record_id,
            func.coalesce(f.c.label, f.c.record_id),
            f.c.title,
            f.c.status,
            f.c.is_open,
            f.c.opened_at,
            audit_log.c.detail,
        )
        .select_from(audit_log.join(f, f.c.record_id == audit_log.c.record_id))
        .where(audit_log.c.event == RULE_CREATED_PROBLEM)
        .order_by(audit_log.c.at.desc(), audit_log.c.id.desc())
        .limit(limit)
    )
    rows = (await conn.execute(query)).all()
    evidence = await _evidence(conn, [row[0] for row in rows])
    found: list[RuleProblem] = []
    for record_id, name, title, status, is_open, opened_at, detail in rows:
        rule = detail.get("rule") if isinstance(detail, dict) else None
        found.append(
            RuleProblem(
                record_id,
                name,
                title,
                status,
                bool(is_open),
                opened_at,
                str(rule) if rule is not None else None,
                evidence.get(record_id, []),
            )
        )
    return found


def _documented(facts: Table) -> ColumnElement[bool]:
    """A problem some known-error record documents (``known_error_of``)."""
    return exists(
        select(1).where(links.c.target_id == facts.c.record_id, links.c.kind == "known_error_of")
    )


def _linked_incidents() -> tuple[Any, Table]:
    """caused_by links from incidents (not merged or cancelled ones) to their problems."""
    incident = ticket_facts.alias("incident")
    joined = links.join(
        incident, and_(incident.c.record_id == links.c.source_id, incident.c.kind == "incident")
    )
    return joined, incident


def _first_recurrences(sql: Sql) -> Any:
    """Per problem: how many incidents link to it and when the second was opened."""
    joined, incident = _linked_incidents()
    counted = (
        select(links.c.target_id.label("problem"), func.count().label("n"))
        .select_from(joined)
        .where(links.c.kind == "caused_by", _not_merged(incident))
        .group_by(links.c.target_id)
        .subquery()
    )
    # The second incident of each problem: a few index lookups per problem, where a
    # window over every link would sort them all.
    link, other = links.alias("link"), ticket_facts.alias("other")
    second = (
        select(sql.epoch(other.c.opened_at))
        .select_from(
            link.join(
                other, and_(other.c.record_id == link.c.source_id, other.c.kind == "incident")
            )
        )
        .where(
            link.c.target_id == counted.c.problem,
            link.c.kind == "caused_by",
            _not_merged(other),
        )
        .order_by(other.c.opened_at, other.c.record_id)
        .limit(1)
        .offset(1)
        .scalar_subquery()
    )
    return select(counted.c.problem, counted.c.n, second)


def _not_merged(facts: Table) -> ColumnElement[bool]:
    return or_(
        facts.c.resolution_code.is_(None),
        facts.c.resolution_code.not_in(("duplicate", "canceled")),
    )


async def _majorities(conn: AsyncConnection, sql: Sql, dimension: Dimension) -> dict[str, str]:
    """Per problem, the value of ``dimension`` most of its incidents have (ties: the
    first in order)."""
    joined, incident = _linked_incidents()
    if dimension is Dimension.DEPARTMENT:
        joined = joined.join(records, records.c.id == incident.c.record_id)
    value = sql.dimension(dimension, incident).label("value")
    query = (
        select(links.c.target_id, value, func.count().label("n"))
        .select_from(joined)
        .where(links.c.kind == "caused_by", value.is_not(None), _not_merged(incident))
        .group_by(links.c.target_id, value)
    )
    best: dict[str, tuple[int, str]] = {}
    for problem_id, found, n in await conn.execute(query):
        current = best.get(problem_id)
        if current is None or (-n, found) < (-current[0], current[1]):
            best[problem_id] = (n, found)
    return {problem_id: found for problem_id, (_, found) in best.items()}


async def _evidence(conn: AsyncConnection, problem_ids: list[str]) -> dict[str, list[Evidence]]:
    if not problem_ids:
        return {}
    joined, incident = _linked_incidents()
    query = (
        select(
            links.c.target_id,
            incident.c.record_id,
            func.coalesce(incident.c.label, incident.c.record_id),
            incident.c.title,
            incident.c.opened_at,
            incident.c.origin,
            links.c.reason,
        )
        .select_from(joined)
        .where(links.c.kind == "caused_by", links.c.target_id.in_(problem_ids))
        .order_by(incident.c.opened_at, incident.c.record_id)
    )
    found: dict[str, list[Evidence]] = {}
    for problem_id, *rest in await conn.execute(query):
        found.setdefault(problem_id, []).append(Evidence(*rest))
    return found
