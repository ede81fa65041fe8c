"""Read-only queries behind ``itsmhub report`` and the live pages.

Everything is computed in SQL over the narrow tables (ticket facts, links, field history,
refs) and a few fields of the records' JSON; no record is loaded. The incidents of the
period are first projected into a temporary table, one narrow row each, which the
aggregates, the percentile ranks and the trend then read (``report_incidents``); problems
are few, and come with what their incidents say (``report_problems``). Each method reads
one snapshot, in one transaction; ``itsmhub.reports`` turns the rows into figures.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from ._base import Operations
from .report_incidents import incident_rows
from .report_problems import problem_rows, rule_problem_rows
from .report_rows import (
    COUNTERS,
    Evidence,
    IncidentCounts,
    IncidentRows,
    IncidentScope,
    ProblemLinks,
    ProblemRow,
    Ranked,
    RuleProblem,
    TrendCell,
)
from .report_sql import Dimension
from .schema import external_refs

__all__ = [
    "COUNTERS",
    "Dimension",
    "Evidence",
    "IncidentCounts",
    "IncidentRows",
    "IncidentScope",
    "ProblemLinks",
    "ProblemRow",
    "Ranked",
    "ReportingOperations",
    "RuleProblem",
    "TrendCell",
]


class ReportingOperations(Operations):
    """Aggregates for reports and the live pages; they only read."""

    async def report_systems(self) -> tuple[str, ...]:
        """Every system some record lives in, by name."""
        query = select(external_refs.c.system).distinct().order_by(external_refs.c.system)
        async with self._connect(write=False) as conn:
            return tuple((await conn.execute(query)).scalars())

    async def incident_report_rows(
        self, scope: IncidentScope, systems: Sequence[str]
    ) -> IncidentRows:
        """Counts per (group, systems), percentile neighbours, problem links and the weekly
        trend of the incidents opened in ``[since, until)``; ``systems`` name the bits of
        each row's ``mask``."""
        async with self._connect(write=False) as conn:
            return await incident_rows(conn, self._dialect, scope, systems)

    async def problem_report_rows(
        self, by: Dimension | None, trend_by: Dimension, systems: Sequence[str]
    ) -> list[ProblemRow]:
        """Every problem and known error, with its linked incidents' count, the second of
        them (the first recurrence) and, when it has no value of its own in ``by`` or
        ``trend_by``, the one most of its incidents have."""
        async with self._connect(write=False) as conn:
            return await problem_rows(conn, self._dialect, by, trend_by, systems)

    async def rule_problems(self, *, limit: int = 50) -> list[RuleProblem]:
        """The problems rules opened, newest first, each with its linked incidents."""
        async with self._connect(write=False) as conn:
            return await rule_problem_rows(conn, limit)
