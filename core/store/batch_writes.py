"""A batch's writes flushed: everything a page of pulls or a batch of pushes changes,
gathered in one :class:`~.writes.Writes`, goes out as one multi-row statement per table,
inside the page's transaction (with its cursor). A page of a thousand records costs
about fifteen statements instead of ten per record.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, TypeDecorator, bindparam, delete, func, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.model import AnyRecordType
from itsmhub.rules.facts import TicketFacts

from ._base import Operations
from .batch_reads import among, chunks
from .bulk import execute_many
from .facts_writes import BatchFacts, meanwhile
from .journal import dead_letter_upsert
from .models import Base, OutboxStatus
from .schema import (
    audit_log,
    bases,
    cursors,
    external_refs,
    field_history,
    link_tombstones,
    links,
    outbox,
    parked,
    records,
)
from .writes import Writes


class BatchWriteOperations(Operations):
    """The one flush of a batch's writes."""

    async def flush(self, writes: Writes) -> None:
        """Write a batch: a multi-row statement per table, in the caller's transaction."""
        if not writes:
            return
        async with self._connect() as conn:
            facts = await BatchFacts.read(conn, writes, self._insert)
            found: list[TicketFacts] = []
            if facts.tickets:
                # The facts' CPU beside the other tables' statements (``facts_writes.py``).
                async with meanwhile(facts.compute) as computed:
                    await self._flush_tables(conn, writes)
                found = computed.result
            else:
                await self._flush_tables(conn, writes)
            await facts.write(conn, found, writes, self._insert)
            if self._growth is not None:
                self._growth.note(writes)  # analysed after the commit (Store.transaction)

    async def _flush_tables(self, conn: AsyncConnection, w: Writes) -> None:
        """Every table but the facts (written last: they are computed meanwhile)."""
        await self._flush_records(conn, w)
        await self._flush_links(conn, w)
        await self._flush_bases(conn, w)
        await self._flush_journal(conn, w)
        await self._flush_outbox(conn, w)
        await self._flush_state(conn, w)

    async def _flush_records(self, conn: AsyncConnection, w: Writes) -> None:
        if w.new_records:
            await execute_many(
                conn,
                records.insert().values(
                    id=bindparam("id"),
                    kind=bindparam("kind"),
                    data=bindparam("data", type_=_JSON_TEXT),
                    version=bindparam("version"),
                    created_at=bindparam("created_at"),
                    updated_at=bindparam("updated_at"),
                ),
                [
                    {
                        "id": r.id,
                        "kind": r.kind.value,
                        "data": _data(r),
                        "version": 1,
                        "created_at": w.now,
                        "updated_at": w.now,
                    }
                    for r in w.new_records.values()
                ],
            )
        if w.changed_records:
            change = (
                update(records)
                .where(records.c.id == bindparam("b_id"))
                .values(
                    kind=bindparam("b_kind"),
                    data=bindparam("b_data", type_=_JSON_TEXT),
                    version=records.c.version + 1,
                    updated_at=bindparam("b_now"),
                )
            )
            await execute_many(
                conn,
                change,
                [
                    {"b_id": r.id, "b_kind": r.kind.value, "b_data": _data(r), "b_now": w.now}
                    for r in w.changed_records.values()
                ],
            )
        new_refs = {(r.id, ref.system): ref for r in w.new_records.values() for ref in r.refs}
        all_refs = {**new_refs, **w.refs}
        if all_refs:
            upsert = self._insert(external_refs)
            upsert = upsert.on_conflict_do_update(
                index_elements=[external_refs.c.record_id, external_refs.c.system],
                set_={k: upsert.excluded[k] for k in ("key", "url", "remote_type")},
            )
            await execute_many(
                conn,
                upsert,
                [
                    {
                        "record_id": record_id,
                        "system": ref.system,
                        "remote_id": ref.remote_id,
                        "key": ref.key,
                        "url": ref.url,
                        "remote_type": ref.remote_type,
                    }
                    for (record_id, _), ref in sorted(all_refs.items())
                ],
            )

    async def _flush_links(self, conn: AsyncConnection, w: Writes) -> None:
        if w.links_removed:
            for source, target, kind in w.links_removed:
                await conn.execute(
                    delete(links).where(
                        links.c.source_id == source,
                        links.c.target_id == target,
                        links.c.kind == kind,
                    )
                )
        if w.links_added:
            insert = self._insert(links).on_conflict_do_nothing(
                index_elements=[links.c.source_id, links.c.target_id, links.c.kind]
            )
            await conn.execute(
                insert,
                [
                    {
                        "source_id": source,
                        "target_id": link.target_id,
                        "kind": link.kind.value,
                        "origin": link.origin,
                        "reason": link.reason,
                        "created_at": w.now,
                    }
                    for source, link in w.links_added
                ],
            )
        if w.tombstones:
            upsert = self._insert(link_tombstones)
            upsert = upsert.on_conflict_do_update(
                index_elements=[
                    link_tombstones.c.source_id,
                    link_tombstones.c.target_id,
                    link_tombstones.c.kind,
                ],
                set_={"removed_by": upsert.excluded.removed_by, "removed_at": w.now},
            )
            await conn.execute(
                upsert,
                [
                    {
                        "source_id": s,
                        "target_id": t,
                        "kind": k,
                        "removed_by": by,
                        "removed_at": w.now,
                    }
                    for s, t, k, by in w.tombstones
                ],
            )
        for source, target, kind in w.tombstones_cleared:
            await conn.execute(
                delete(link_tombstones).where(
                    link_tombstones.c.source_id == source,
                    link_tombstones.c.target_id == target,
                    link_tombstones.c.kind == kind,
                )
            )

    async def _flush_bases(self, conn: AsyncConnection, w: Writes) -> None:
        if not w.bases:
            return
        upsert = self._insert(bases)
        upsert = upsert.on_conflict_do_update(
            index_elements=[bases.c.record_id, bases.c.system],
            set_={
                name: upsert.excluded[name]
                for name in ("fields", "remote_version", "remote_updated_at", "agreed_at", "links")
            },
        )
        await execute_many(conn, upsert, [_base_row(b) for _, b in sorted(w.bases.items())])

    async def _flush_journal(self, conn: AsyncConnection, w: Writes) -> None:
        if w.audit:
            await execute_many(conn, audit_log.insert(), w.audit)
        if w.history:
            await execute_many(conn, field_history.insert(), w.history)
        for letter in w.dead_letters:
            # Rare (a malformed record): the journal's upsert, one at a time.
            await conn.execute(dead_letter_upsert(self, letter, w.now))

    async def _flush_outbox(self, conn: AsyncConnection, w: Writes) -> None:
        if w.outbox:
            insert = self._insert(outbox).on_conflict_do_nothing(
                index_elements=[outbox.c.correlation_marker]
            )
            await execute_many(
                conn,
                insert,
                [
                    {
                        "connector": item.connector,
                        "record_id": item.record_id,
                        "operation": item.operation.value,
                        "payload": item.payload,
                        "correlation_marker": item.correlation_marker,
                        "status": OutboxStatus.PENDING.value,
                        "attempts": 0,
                        "next_attempt_at": item.next_attempt_at or w.now,
                        "created_at": w.now,
                        "updated_at": w.now,
                    }
                    for item in w.outbox
                ],
            )
        if w.row_updates:
            change = (
                update(outbox)
                .where(outbox.c.id == bindparam("b_id"), outbox.c.status != OutboxStatus.DONE.value)
                .values(
                    status=bindparam("b_status"),
                    last_error=func.coalesce(bindparam("b_error"), outbox.c.last_error),
                    next_attempt_at=func.coalesce(bindparam("b_next"), outbox.c.next_attempt_at),
                    job_id=bindparam("b_job"),
                    job_position=bindparam("b_position"),
                    updated_at=bindparam("b_now"),
                )
            )
            await conn.execute(
                change,
                [
                    {
                        "b_id": u.id,
                        "b_status": u.status.value,
                        "b_error": u.last_error,
                        "b_next": u.next_attempt_at,
                        "b_job": u.job_id,
                        "b_position": u.job_position,
                        "b_now": w.now,
                    }
                    for u in w.row_updates
                ],
            )
        for part in chunks(sorted(set(w.completed))):
            await conn.execute(
                update(outbox)
                .where(
                    among(outbox.c.id, part, self._dialect),
                    outbox.c.status != OutboxStatus.DONE.value,
                )
                .values(status=OutboxStatus.DONE.value, updated_at=w.now)
            )

    async def _flush_state(self, conn: AsyncConnection, w: Writes) -> None:
        if w.parked:
            await conn.execute(parked.insert(), w.parked)
        for part in chunks(sorted(set(w.unparked))):
            await conn.execute(delete(parked).where(among(parked.c.id, part, self._dialect)))
        for (connector, stream), value in w.cursors.items():
            upsert = self._insert(cursors).values(
                connector=connector, stream=stream, value=value, updated_at=w.now
            )
            upsert = upsert.on_conflict_do_update(
                index_elements=[cursors.c.connector, cursors.c.stream],
                set_={"value": upsert.excluded.value, "updated_at": upsert.excluded.updated_at},
            )
            await conn.execute(upsert)


class _SerialisedJSON(TypeDecorator[str]):
    """A JSON column's value already serialised (by pydantic, in one pass, in Rust): sent
    as it is. The column's own type would dump the record to a dict, then json.dumps it."""

    impl = JSON
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


_JSON_TEXT = _SerialisedJSON()


def _data(record: AnyRecordType) -> str:
    return record.model_dump_json(exclude={"refs", "links"})


def _base_row(base: Base) -> dict[str, Any]:
    return {
        "record_id": base.record_id,
        "system": base.system,
        "fields": base.fields,
        "remote_version": base.remote_version,
        "remote_updated_at": base.remote_updated_at,
        "agreed_at": base.agreed_at,
        "links": [list(pair) for pair in base.links] if base.links is not None else None,
    }


__all__ = ["BatchWriteOperations"]
