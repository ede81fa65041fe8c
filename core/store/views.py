"""Read-only views for the admin commands: records with their keys in every system, the
links that point at a record, and the outbox rows still to be written.

Nothing here writes; each query reads one page, filtered in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.model import ExternalRef, LinkKind, RecordKind, UtcDateTime

from ._base import Operations
from .models import OutboxItem, OutboxStatus
from .schema import external_refs, links, outbox, records


class RecordSummary(BaseModel):
    """One line of ``itsmhub records list``: a record and where it lives."""

    model_config = ConfigDict(frozen=True)

    id: str
    kind: RecordKind
    title: str | None = Field(description="a ticket's title, a person's or device's name")
    status: str | None
    updated_at: UtcDateTime = Field(description="when the hub last stored it")
    refs: list[ExternalRef] = Field(default_factory=list, description="one per system")


class IncomingLink(BaseModel):
    """A link from another record to this one."""

    model_config = ConfigDict(frozen=True)

    source_id: str
    kind: LinkKind
    origin: str | None = None
    reason: str | None = None


#: Outbox rows that still wait to be written, one way or another.
WAITING = (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT, OutboxStatus.DEFERRED)


class ViewOperations(Operations):
    """Queries behind ``records list``, ``records show`` and ``outbox list``."""

    async def list_records(
        self,
        *,
        connector: str | None = None,
        kind: RecordKind | None = None,
        status: str | None = None,
        since: datetime | None = None,
        limit: int = 50,
    ) -> list[RecordSummary]:
        """Records newest first (by when the hub stored them), with their refs.

        ``connector`` keeps records that live in that system, ``status`` compares the
        neutral status value, ``since`` the hub's ``updated_at``.
        """
        query = select(records.c.id, records.c.kind, records.c.data, records.c.updated_at)
        if connector is not None:
            query = query.where(
                exists().where(
                    external_refs.c.record_id == records.c.id,
                    external_refs.c.system == connector,
                )
            )
        if kind is not None:
            query = query.where(records.c.kind == kind.value)
        if status is not None:
            query = query.where(records.c.data["status"].as_string() == status)
        if since is not None:
            query = query.where(records.c.updated_at >= since)
        query = query.order_by(records.c.updated_at.desc(), records.c.id).limit(limit)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
            refs = await _refs_of(conn, [row.id for row in rows])
        return [
            RecordSummary(
                id=row.id,
                kind=RecordKind(row.kind),
                title=_title(row.data),
                status=_text(row.data.get("status")),
                updated_at=row.updated_at,
                refs=refs.get(row.id, []),
            )
            for row in rows
        ]

    async def links_to(self, record_id: str) -> list[IncomingLink]:
        """The links other records hold to ``record_id``, oldest first."""
        query = (
            select(links.c.source_id, links.c.kind, links.c.origin, links.c.reason)
            .where(links.c.target_id == record_id)
            .order_by(links.c.created_at, links.c.source_id, links.c.kind)
        )
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [IncomingLink.model_validate(row._asdict()) for row in rows]

    async def list_outbox(
        self,
        *,
        connector: str | None = None,
        statuses: Sequence[OutboxStatus] = WAITING,
        limit: int = 100,
    ) -> list[OutboxItem]:
        """Outbox rows in ``statuses``, the next due first."""
        query = (
            select(outbox)
            .where(outbox.c.status.in_([s.value for s in statuses]))
            .order_by(outbox.c.next_attempt_at, outbox.c.id)
            .limit(limit)
        )
        if connector is not None:
            query = query.where(outbox.c.connector == connector)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [OutboxItem.from_row(row) for row in rows]


async def _refs_of(conn: AsyncConnection, record_ids: list[str]) -> dict[str, list[ExternalRef]]:
    """The refs of several records in one query, each record's ordered by system."""
    if not record_ids:
        return {}
    columns = [external_refs.c[name] for name in ExternalRef.model_fields]
    query = (
        select(external_refs.c.record_id, *columns)
        .where(external_refs.c.record_id.in_(record_ids))
        .order_by(external_refs.c.record_id, external_refs.c.system)
    )
    found: dict[str, list[ExternalRef]] = {}
    for row in (await conn.execute(query)).all():
        record_id, *values = row
        ref = ExternalRef.model_validate(dict(zip(ExternalRef.model_fields, values, strict=True)))
        found.setdefault(record_id, []).append(ref)
    return found


def _title(data: dict[str, object]) -> str | None:
    for name in ("title", "display_name", "name"):
        if isinstance(value := data.get(name), str):
            return value
    return None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
