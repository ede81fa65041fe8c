"""Read-only queries behind ``itsmhub report`` and the live pages.

Everything is computed from the narrow tables (ticket facts, links, field history, refs)
and a few fields of the records' JSON; no record is parsed into a model. The incidents
of a period stream as one narrow row each (``report_incidents``), read in time slices
concurrently; problems are few, and come with what their incidents say
(``report_problems``). ``itsmhub.reports`` turns the rows into figures.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import anyio
from sqlalchemy import func, select, type_coerce
from sqlalchemy.types import NullType

from ._base import Operations
from .report_incidents import IncidentRow, projection
from .report_problems import problem_rows, rule_problem_rows
from .report_rows import Evidence, IncidentScope, ProblemRow, RuleProblem
from .report_sql import Dimension, Sql
from .schema import external_refs, ticket_facts

__all__ = [
    "Dimension",
    "Evidence",
    "IncidentRow",
    "IncidentScope",
    "ProblemRow",
    "ReportingOperations",
    "RuleProblem",
]

#: Rows fetched per round trip when incidents are streamed.
BATCH = 5000
#: Slices of the period read at once (this machine has two cores; SQLite runs each
#: connection's query on its own thread).
SLICES = 2


class ReportingOperations(Operations):
    """Aggregates for reports and the live pages; they only read."""

    async def report_systems(self) -> tuple[str, ...]:
        """Every system some record lives in, by name."""
        query = select(external_refs.c.system).distinct().order_by(external_refs.c.system)
        async with self._connect(write=False) as conn:
            return tuple((await conn.execute(query)).scalars())

    async def incident_report_rows(
        self,
        scope: IncidentScope,
        systems: Sequence[str],
        sink: Callable[[list[IncidentRow]], None],
    ) -> None:
        """Hand ``sink`` every incident opened in ``[since, until)``, in batches, in no
        particular order; ``systems`` name the bits of each row's ``mask``."""
        slices = await self._slices(scope)

        async def read(since: datetime | None, until: datetime) -> None:
            query = projection(Sql(self._dialect), scope, systems, since, until)
            raw = query.with_only_columns(
                *(type_coerce(c, NullType()) for c in query.selected_columns)
            )
            async with self._connect(write=False) as conn:
                result = await conn.stream(raw.execution_options(yield_per=BATCH))
                async for part in result.partitions():
                    sink([IncidentRow(*row) for row in part])

        async with anyio.create_task_group() as group:
            for since, until in slices:
                group.start_soon(read, since, until)

    async def _slices(self, scope: IncidentScope) -> list[tuple[datetime | None, datetime]]:
        """The period cut in time slices, one per connection read at once. A unit of work
        has one connection, so it reads the period whole."""
        if not hasattr(self, "engine"):  # a StoreTransaction: one connection only
            return [(scope.since, scope.until)]
        start = scope.since
        if start is None:
            first = select(func.min(ticket_facts.c.opened_at)).where(
                ticket_facts.c.kind == "incident"
            )
            async with self._connect(write=False) as conn:
                start = (await conn.execute(first)).scalar()
        if start is None or start >= scope.until:
            return [(scope.since, scope.until)]
        step = (scope.until - start) / SLICES
        cuts = [start + step * i for i in range(1, SLICES)]
        bounds = [scope.since, *cuts, scope.until]
        return [(bounds[i], bounds[i + 1]) for i in range(SLICES)]

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
