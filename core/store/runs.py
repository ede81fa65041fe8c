"""Each connector's cycles, as ``status`` and health checks read them."""

from __future__ import annotations

from datetime import datetime

from pydantic import JsonValue
from sqlalchemy import desc, select

from ._base import Operations
from .models import ConnectorRun
from .schema import connector_runs


class RunOperations(Operations):
    """Record a connector's cycle; read its last ones."""

    async def record_run(
        self,
        connector: str,
        *,
        started_at: datetime,
        finished_at: datetime,
        ok: bool,
        error: str | None = None,
        stats: dict[str, JsonValue] | None = None,
        caught_up_to: datetime | None = None,
        worker: str | None = None,
    ) -> None:
        """One cycle of ``connector``: when, whether it ended cleanly, what it did, the
        vendor time everything before which has been pulled, and which daemon worker ran
        it. ``error`` must be redacted."""
        insert = connector_runs.insert().values(
            connector=connector,
            started_at=started_at,
            finished_at=finished_at,
            ok=ok,
            error=error,
            stats=dict(stats or {}),
            caught_up_to=caught_up_to,
            worker=worker,
        )
        async with self._connect() as conn:
            await conn.execute(insert)

    async def last_run(self, connector: str, *, ok: bool | None = None) -> ConnectorRun | None:
        """The newest cycle of ``connector`` (only clean ones with ``ok=True``, only failed
        ones with ``ok=False``), or None."""
        query = (
            select(connector_runs)
            .where(connector_runs.c.connector == connector)
            .order_by(desc(connector_runs.c.finished_at), desc(connector_runs.c.id))
            .limit(1)
        )
        if ok is not None:
            query = query.where(connector_runs.c.ok == ok)
        async with self._connect(write=False) as conn:
            row = (await conn.execute(query)).one_or_none()
        return ConnectorRun.model_validate(row._asdict()) if row else None

    async def recent_runs(self, connector: str, limit: int) -> list[ConnectorRun]:
        """The newest ``limit`` cycles of ``connector``, newest first."""
        query = (
            select(connector_runs)
            .where(connector_runs.c.connector == connector)
            .order_by(desc(connector_runs.c.started_at), desc(connector_runs.c.id))
            .limit(limit)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [ConnectorRun.model_validate(row._asdict()) for row in rows]
