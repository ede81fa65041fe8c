"""Ticket facts: written with each ticket, read in bulk by rules (see itsmhub.rules.facts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.model import AnyRecordType, RecordKind
from itsmhub.rules.facts import TicketFacts, facts_of

from ._base import Operations
from .records import _assemble
from .schema import external_refs, links, records, ticket_facts

#: Rows fetched per round trip when facts are streamed.
STREAM_BATCH = 5000

_COLUMNS = [c for c in ticket_facts.c if c.name != "changed_at"]


class FactOperations(Operations):
    """Facts of tickets: kept current by ``put_record``, read by the rules."""

    async def _put_facts(self, conn: AsyncConnection, record: AnyRecordType) -> None:
        now = self._now()
        facts = facts_of(record, now=now)
        if facts is None:
            return
        values = _row(facts)
        values["changed_at"] = now
        upsert = self._insert(ticket_facts).values(**values)
        changing = {k: upsert.excluded[k] for k in values if k not in {"record_id", "origin"}}
        # A record is often written from one system's view: the system it first came from
        # and its key there stay whatever was first stored.
        changing["origin"] = func.coalesce(ticket_facts.c.origin, upsert.excluded.origin)
        changing["label"] = func.coalesce(ticket_facts.c.label, upsert.excluded.label)
        await conn.execute(
            upsert.on_conflict_do_update(index_elements=[ticket_facts.c.record_id], set_=changing)
        )

    async def stream_facts(
        self,
        kinds: Iterable[RecordKind],
        *,
        since: datetime | None = None,
        until: datetime | None = None,
        changed_until: datetime | None = None,
    ) -> AsyncIterator[TicketFacts]:
        """Facts of the tickets of ``kinds`` opened in ``[since, until)``, oldest first;
        with ``changed_until``, only those last changed by then."""
        query = select(*_COLUMNS).where(ticket_facts.c.kind.in_([k.value for k in kinds]))
        if since is not None:
            query = query.where(ticket_facts.c.opened_at >= since)
        if until is not None:
            query = query.where(ticket_facts.c.opened_at < until)
        if changed_until is not None:
            query = query.where(ticket_facts.c.changed_at <= changed_until)
        query = query.order_by(ticket_facts.c.opened_at, ticket_facts.c.record_id)
        async with self._connect(write=False) as conn:
            result = await conn.stream(query.execution_options(yield_per=STREAM_BATCH))
            async for partition in result.partitions():
                for row in partition:
                    yield _facts(row)

    async def facts_changed(
        self,
        after: tuple[datetime, str] | None,
        *,
        until: datetime,
        limit: int = 5000,
    ) -> list[tuple[datetime, TicketFacts]]:
        """Facts changed after the position ``after`` (a change time and record id; all if
        None) and by ``until``, in change order, each with its change time."""
        query = select(ticket_facts.c.changed_at, *_COLUMNS).where(
            ticket_facts.c.changed_at <= until
        )
        if after is not None:
            at, record_id = after
            query = query.where(
                or_(
                    ticket_facts.c.changed_at > at,
                    (ticket_facts.c.changed_at == at) & (ticket_facts.c.record_id > record_id),
                )
            )
        query = query.order_by(ticket_facts.c.changed_at, ticket_facts.c.record_id).limit(limit)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [(row.changed_at, _facts(row)) for row in rows]

    async def get_facts(self, record_ids: Sequence[str]) -> dict[str, TicketFacts]:
        """Facts of the given tickets, by record id (missing ones are left out)."""
        found: dict[str, TicketFacts] = {}
        async with self._connect(write=False) as conn:
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start : start + 500]
                query = select(*_COLUMNS).where(ticket_facts.c.record_id.in_(chunk))
                for row in (await conn.execute(query)).all():
                    found[row.record_id] = _facts(row)
        return found

    async def resolve_keys(self, keys: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """Keys (OPS-123, INC0010001, 4711) or remote ids → [(system, record id)] they name."""
        found: dict[str, list[tuple[str, str]]] = {}
        async with self._connect(write=False) as conn:
            for start in range(0, len(keys), 500):
                chunk = list(keys[start : start + 500])
                wanted = set(chunk)
                query = select(
                    external_refs.c.key,
                    external_refs.c.remote_id,
                    external_refs.c.system,
                    external_refs.c.record_id,
                ).where(or_(external_refs.c.key.in_(chunk), external_refs.c.remote_id.in_(chunk)))
                for key, remote_id, system, record_id in (await conn.execute(query)).all():
                    for value in {key, remote_id} & wanted:
                        found.setdefault(value, []).append((system, record_id))
        return found

    async def linked_to(self, target_id: str) -> list[str]:
        """Ids of the records holding a link to ``target_id``."""
        query = select(links.c.source_id).where(links.c.target_id == target_id)
        async with self._connect(write=False) as conn:
            return sorted(set((await conn.execute(query)).scalars()))

    async def backfill_facts(self, *, batch: int = 500) -> int:
        """Write facts for tickets that have none (stores from before facts existed)."""
        written = 0
        while True:
            async with self._connect() as conn:
                missing = (
                    select(records.c.id)
                    .where(records.c.kind.in_([k.value for k in _TICKETS]))
                    .where(
                        ~select(ticket_facts.c.record_id)
                        .where(ticket_facts.c.record_id == records.c.id)
                        .exists()
                    )
                    .limit(batch)
                )
                ids = list((await conn.execute(missing)).scalars())
                for record_id in ids:
                    record = await _load(conn, record_id)
                    await self._put_facts(conn, record)
            written += len(ids)
            if len(ids) < batch:
                return written


_TICKETS = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)


async def _load(conn: AsyncConnection, record_id: str) -> AnyRecordType:
    row = (await conn.execute(select(records).where(records.c.id == record_id))).one()
    return (await _assemble(conn, row)).record


def _row(facts: TicketFacts) -> dict[str, Any]:
    return {
        "record_id": facts.record_id,
        "kind": facts.kind.value,
        "title": facts.title,
        "opened_at": facts.opened_at,
        "status": facts.status,
        "is_open": facts.is_open,
        "origin": facts.origin,
        "label": facts.label,
        "major": facts.major,
        "priority": facts.priority,
        "service": facts.service,
        "category": facts.category,
        "assignment_group": facts.assignment_group,
        "reporter": facts.reporter,
        "device": facts.device,
        "tags": list(facts.tags),
        "tokens": " ".join(facts.tokens),
        "signature": facts.signature,
        "resolution_code": facts.resolution_code,
        "problem_ids": list(facts.problem_ids),
        "related_ids": list(facts.related_ids),
        "mentions": list(facts.mentions),
        "notes": list(facts.notes),
        "known_error": facts.known_error,
        "workaround": facts.workaround,
        "root_cause": facts.root_cause,
        "fixed": facts.fixed,
    }


def _facts(row: Row[Any]) -> TicketFacts:
    return TicketFacts(
        record_id=row.record_id,
        kind=RecordKind(row.kind),
        title=row.title,
        opened_at=row.opened_at,
        status=row.status,
        is_open=row.is_open,
        origin=row.origin,
        label=row.label,
        major=row.major,
        priority=row.priority,
        service=row.service,
        category=row.category,
        assignment_group=row.assignment_group,
        reporter=row.reporter,
        device=row.device,
        tags=tuple(row.tags),
        tokens=tuple(row.tokens.split()),
        signature=row.signature,
        resolution_code=row.resolution_code,
        problem_ids=tuple(row.problem_ids),
        related_ids=tuple(row.related_ids),
        mentions=tuple(row.mentions),
        notes=tuple(row.notes),
        known_error=row.known_error,
        workaround=row.workaround,
        root_cause=row.root_cause,
        fixed=row.fixed,
    )
