"""``sync --plan``: what a cycle would write, per record and system, writing nothing.

The pull is applied inside one transaction that is rolled back at the end; vendors are
only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import JsonValue

from ..store import OutboxOperation, StoreTransaction
from .fields import changed, sync_fields
from .hub import Hub
from .pull import pull_stream, rolled_back


@dataclass
class PlannedWrite:
    system: str
    record_id: str
    title: str
    operation: str
    fields: dict[str, dict[str, JsonValue]] = field(default_factory=dict)
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "system": self.system,
            "record_id": self.record_id,
            "title": self.title,
            "operation": self.operation,
            "fields": self.fields,
            "detail": self.detail,
        }


async def plan(hub: Hub, *, only: str | None = None) -> list[PlannedWrite]:
    """Every write the next cycle would make, computed in a rolled-back transaction."""
    writes: list[PlannedWrite] = []
    names = [hub.connector(only).name] if only else sorted(hub.connectors)
    async with rolled_back(hub) as tx:
        for name in names:
            for stream in hub.streams_of(name):
                await pull_stream(hub, name, stream, tx=tx)
        for name in sorted(hub.connectors):
            # Claiming inside the doomed transaction lists what is due, changing nothing.
            for item in await tx.claim_due(name, hub.clock(), 10_000):
                write = await _describe(
                    tx, name, hub.fields_of(name), item.operation, item.record_id, item.payload
                )
                if write is not None:
                    writes.append(write)
    return writes


async def _describe(
    tx: StoreTransaction,
    system: str,
    only: frozenset[str] | None,
    operation: OutboxOperation,
    record_id: str | None,
    payload: dict[str, JsonValue],
) -> PlannedWrite | None:
    record = await tx.get_record(record_id) if record_id else None
    if record is None:
        return None
    title = str(getattr(record, "title", getattr(record, "display_name", "")))
    write = PlannedWrite(system, record.id, title, operation.value)
    fields = sync_fields(record, only)
    if operation is OutboxOperation.CREATE:
        write.fields = {
            name: {"new": value}
            for name, value in fields.items()
            if value not in (None, [], {}, "")
        }
        write.detail = f"new copy ({payload.get('rule')})"
    elif operation is OutboxOperation.UPDATE:
        base = await tx.get_base(record.id, system)
        old = base.fields if base else {}
        names = changed(fields, old)
        if not names:
            return None
        write.fields = {n: {"old": old.get(n), "new": fields.get(n)} for n in names}
    elif operation is OutboxOperation.COMMENT:
        comment = next(
            (c for c in getattr(record, "comments", []) if c.id == payload.get("comment_id")), None
        )
        write.detail = (comment.body[:80] if comment else "") + (
            " (edit)" if payload.get("edit") else ""
        )
    else:
        write.detail = f"{payload.get('kind')} → {payload.get('target_id')}"
    return write
