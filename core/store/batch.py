"""Batches: what a page of pulls or a batch of pushes reads in one query per table, and
everything it writes in one multi-row statement per table.

The engine works a page at a time: it loads the page's refs, records, bases and open
outbox rows with ``IN`` queries, merges in memory, and hands the store one :class:`Writes`
to flush, inside the page's transaction (with the cursor). A page of a thousand records
costs about fifteen statements instead of ten per record.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

import pydantic_core
from pydantic import JsonValue
from sqlalchemy import JSON, Text, TypeDecorator, bindparam, delete, func, select, tuple_, update
from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.errors import StoreError
from itsmhub.model import RECORD_TYPES, AnyRecordType, ExternalRef, Link, LinkKind, RecordKind
from itsmhub.model.records import Ticket
from itsmhub.rules.facts import facts_of, facts_of_many
from itsmhub.rules.fingerprint import Fingerprint
from itsmhub.rules.people import handles_of_record

from ._base import Operations
from .bulk import execute_many
from .facts import _row as facts_row
from .facts import known_people, reject_links
from .journal import dead_letter_upsert
from .models import Base, DeadLetterIn, OutboxItem, OutboxItemIn, OutboxOperation, OutboxStatus
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
    people_handles,
    records,
    ticket_facts,
)

#: Values per IN list: far below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 900

_OPEN = (OutboxStatus.PENDING.value, OutboxStatus.IN_FLIGHT.value, OutboxStatus.DEFERRED.value)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass
class Loaded:
    """A record as stored, with the version a later write checks against."""

    record: AnyRecordType
    version: int


@dataclass(frozen=True)
class ParkedItem:
    """A pulled item that waits for the record it belongs to."""

    id: int
    connector: str
    awaits: str
    record_id: str | None
    payload: dict[str, JsonValue]


@dataclass(frozen=True)
class RowUpdate:
    """A new state for one outbox row (a failure rescheduled, a row dead or waiting on a
    vendor job). A row already done stays done."""

    id: int
    status: OutboxStatus
    last_error: str | None = None
    next_attempt_at: datetime | None = None
    job_id: str | None = None
    job_position: int | None = None


@dataclass
class Writes:
    """Everything one batch writes; :meth:`BatchOperations.flush` writes it at once."""

    now: datetime
    new_records: dict[str, AnyRecordType] = field(default_factory=dict)
    changed_records: dict[str, AnyRecordType] = field(default_factory=dict)
    refs: dict[tuple[str, str], ExternalRef] = field(default_factory=dict)
    links_added: list[tuple[str, Link]] = field(default_factory=list)
    links_removed: list[tuple[str, str, str]] = field(default_factory=list)
    tombstones: list[tuple[str, str, str, str]] = field(default_factory=list)
    tombstones_cleared: list[tuple[str, str, str]] = field(default_factory=list)
    bases: dict[tuple[str, str], Base] = field(default_factory=dict)
    audit: list[dict[str, Any]] = field(default_factory=list)
    outbox: list[OutboxItemIn] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    row_updates: list[RowUpdate] = field(default_factory=list)
    dead_letters: list[DeadLetterIn] = field(default_factory=list)
    parked: list[dict[str, Any]] = field(default_factory=list)
    same_text: dict[str, bool] = field(default_factory=dict)
    """Changed records, by id: whether their facts' text analysis still holds."""
    unparked: list[int] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    cursors: dict[tuple[str, str], JsonValue] = field(default_factory=dict)
    origins: dict[str, ExternalRef] = field(default_factory=dict)
    """Records the hub made itself, by id: the ref of their first copy, which is where
    people know them from (their facts' origin and label, unless set already)."""

    def put_record(self, record: AnyRecordType, *, new: bool, same_text: bool = False) -> None:
        """Write ``record`` (a new one, or a change to a stored one). ``same_text``: what
        its rule facts are computed from (title, description, service, its people) did
        not change, so its fingerprint and embedding are kept, not computed again."""
        if new or record.id in self.new_records:
            self.new_records[record.id] = record
            return
        self.changed_records[record.id] = record
        # Kept only if no write of it in this batch changed its text.
        self.same_text[record.id] = self.same_text.get(record.id, True) and same_text

    def add_audit(
        self,
        event: str,
        *,
        record_id: str | None,
        connector: str | None,
        detail: dict[str, JsonValue],
    ) -> None:
        self.audit.append(
            {
                "event": event,
                "record_id": record_id,
                "connector": connector,
                "detail": detail,
                "at": self.now,
            }
        )

    def __bool__(self) -> bool:
        return any(
            (
                self.new_records,
                self.changed_records,
                self.refs,
                self.links_added,
                self.links_removed,
                self.tombstones,
                self.tombstones_cleared,
                self.bases,
                self.audit,
                self.outbox,
                self.completed,
                self.row_updates,
                self.dead_letters,
                self.parked,
                self.unparked,
                self.history,
                self.cursors,
                self.origins,
            )
        )


class BatchOperations(Operations):
    """Bulk reads by id lists, and the one flush of a batch's writes."""

    # --- reads -------------------------------------------------------------------------

    async def records_by_refs(self, system: str, remote_ids: Iterable[str]) -> dict[str, str]:
        """Hub record ids of ``system``'s records, by remote id (unknown ones left out)."""
        wanted = sorted(set(remote_ids))
        found: dict[str, str] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                query = select(external_refs.c.remote_id, external_refs.c.record_id).where(
                    external_refs.c.system == system, external_refs.c.remote_id.in_(part)
                )
                found.update({row[0]: row[1] for row in await conn.execute(query)})
        return found

    async def load_records(self, ids: Iterable[str], *, lock: bool = False) -> dict[str, Loaded]:
        """Records with their refs, links and versions. ``lock`` holds their rows until the
        transaction ends (PostgreSQL), so concurrent workers merge one after the other."""
        wanted = sorted(set(ids))
        rows: list[Any] = []
        refs: dict[str, list[dict[str, Any]]] = {}
        held: dict[str, list[dict[str, Any]]] = {}
        # The JSON as text: pydantic validates it in one pass, without json.loads first.
        query = select(records.c.id, records.c.kind, records.c.version, _DATA_TEXT)
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                chosen = query.where(records.c.id.in_(part)).order_by(records.c.id)
                if lock and self._dialect == "postgresql":
                    chosen = chosen.with_for_update(of=records)
                rows += list((await conn.execute(chosen)).all())
                await _refs_of(conn, part, refs)
                await _links_of(conn, part, held)
        loaded = {}
        for row in rows:
            extra = {"refs": refs.get(row.id, []), "links": held.get(row.id, [])}
            try:
                record = _record_from_json(row.kind, row.data_text, extra)
            except ValueError as exc:
                raise StoreError(
                    f"record {row.id} in the store does not validate as a {row.kind}: {exc}",
                    fix="this is a bug or a hand-edited store; report it with the record id",
                ) from None
            loaded[row.id] = Loaded(record=record, version=row.version)
        return loaded

    async def record_versions(self, ids: Iterable[str], *, lock: bool = False) -> dict[str, int]:
        """The stored version of each record; ``lock`` holds their rows until the
        transaction ends (PostgreSQL), as :meth:`load_records` does."""
        found: dict[str, int] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(sorted(set(ids))):
                query = select(records.c.id, records.c.version).where(records.c.id.in_(part))
                if lock and self._dialect == "postgresql":
                    query = query.with_for_update()
                found.update({row.id: row.version for row in await conn.execute(query)})
        return found

    async def load_bases(
        self, ids: Iterable[str], *, system: str | None = None
    ) -> dict[tuple[str, str], Base]:
        """Every system's base of the given records (or ``system``'s only), by (record
        id, system)."""
        wanted = sorted(set(ids))
        found: dict[tuple[str, str], Base] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                query = select(bases).where(bases.c.record_id.in_(part))
                if system is not None:
                    query = query.where(bases.c.system == system)
                for row in await conn.execute(query):
                    base = _base_of(row)
                    found[base.record_id, base.system] = base
        return found

    async def links_into(self, ids: Iterable[str]) -> dict[str, list[tuple[str, LinkKind]]]:
        """The links other records hold to each of ``ids``: (source id, kind) by target."""
        found: dict[str, list[tuple[str, LinkKind]]] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(sorted(set(ids))):
                query = (
                    select(links.c.target_id, links.c.source_id, links.c.kind)
                    .where(links.c.target_id.in_(part))
                    .order_by(links.c.target_id, links.c.source_id, links.c.kind)
                )
                for row in await conn.execute(query):
                    found.setdefault(row.target_id, []).append((row.source_id, LinkKind(row.kind)))
        return found

    async def outbox_by_markers(self, markers: Iterable[str]) -> dict[str, OutboxItem]:
        """Outbox rows carrying the given correlation markers, whatever their status."""
        wanted = sorted(set(markers))
        found: dict[str, OutboxItem] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                query = select(outbox).where(outbox.c.correlation_marker.in_(part))
                for row in await conn.execute(query):
                    item = OutboxItem.from_row(row)
                    found[item.correlation_marker or ""] = item
        return found

    async def open_items(
        self,
        record_ids: Iterable[str],
        operations: Sequence[OutboxOperation],
        *,
        besides: Iterable[int] = (),
    ) -> list[OutboxItem]:
        """Rows of ``operations`` for these records that are pending, in flight or waiting
        on a vendor job, oldest first; ``besides`` are row ids left out (a push batch's
        own rows, which it holds already)."""
        wanted = sorted(set(record_ids))
        left_out = sorted(set(besides))
        found: list[OutboxItem] = []
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                query = select(outbox).where(
                    outbox.c.record_id.in_(part),
                    outbox.c.operation.in_([o.value for o in operations]),
                    outbox.c.status.in_(_OPEN),
                )
                if left_out:
                    query = query.where(outbox.c.id.not_in(left_out))
                found += [OutboxItem.from_row(r) for r in await conn.execute(query)]
        return sorted(found, key=lambda item: item.id)

    async def expire_parked(self, connector: str, before: datetime) -> int:
        """Drop what ``connector`` parked before ``before``; how many were dropped."""
        async with self._connect() as conn:
            done = await conn.execute(
                delete(parked).where(parked.c.connector == connector, parked.c.parked_at < before)
            )
        return int(done.rowcount or 0)

    async def parked_for(self, connector: str, awaited: Iterable[str]) -> list[ParkedItem]:
        """Items parked by ``connector`` waiting for any of these remote ids."""
        wanted = sorted(set(awaited))
        found: list[ParkedItem] = []
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                query = (
                    select(parked)
                    .where(parked.c.connector == connector, parked.c.awaits.in_(part))
                    .order_by(parked.c.id)
                )
                found += [
                    ParkedItem(r.id, r.connector, r.awaits, r.record_id, dict(r.payload))
                    for r in await conn.execute(query)
                ]
        return found

    async def tombstoned(self, keys: Iterable[tuple[str, str, str]]) -> set[tuple[str, str, str]]:
        """Which (source, target, kind) links a person removed."""
        wanted = sorted(set(keys))
        found: set[tuple[str, str, str]] = set()
        async with self._connect(write=False) as conn:
            for part in chunks(wanted, 300):
                position = tuple_(
                    link_tombstones.c.source_id, link_tombstones.c.target_id, link_tombstones.c.kind
                )
                query = select(
                    link_tombstones.c.source_id, link_tombstones.c.target_id, link_tombstones.c.kind
                ).where(position.in_(list(part)))
                found |= {tuple(row) for row in await conn.execute(query)}  # type: ignore[misc]
        return found

    # --- the one write -----------------------------------------------------------------

    async def flush(self, writes: Writes) -> None:
        """Write a batch: a multi-row statement per table, in the caller's transaction."""
        if not writes:
            return
        async with self._connect() as conn:
            await self._flush_records(conn, writes)
            await self._flush_links(conn, writes)
            await self._flush_bases(conn, writes)
            await self._flush_facts(conn, writes)
            await self._flush_journal(conn, writes)
            await self._flush_outbox(conn, writes)
            await self._flush_state(conn, writes)

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

    async def _flush_facts(self, conn: AsyncConnection, w: Writes) -> None:
        written = [*w.new_records.values(), *w.changed_records.values()]
        handles = sorted({h for record in written for h in handles_of_record(record)})
        if handles:
            insert = self._insert(people_handles).on_conflict_do_nothing(
                index_elements=[people_handles.c.handle]
            )
            await conn.execute(insert, [{"handle": h} for h in handles])
        tickets = [r for r in written if isinstance(r, Ticket)]
        kept = await _analysed(conn, [t.id for t in tickets if w.same_text.get(t.id)])
        fresh = [t for t in tickets if t.id not in kept]
        people = await known_people(conn, [f"{t.title} {t.description}" for t in fresh])
        found = facts_of_many(fresh, now=w.now, people=people)
        for ticket in tickets:
            if ticket.id in kept:
                fingerprint, vector = kept[ticket.id]
                facts = facts_of(ticket, now=w.now, fp=fingerprint, vector=vector)
                if facts is not None:
                    found.append(facts)
        rows = []
        for facts in found:
            row = facts_row(facts)
            row["changed_at"] = w.now
            rows.append(row)
        if rows:
            await self._upsert_facts(conn, rows)
        for record_id, ref in sorted(w.origins.items()):
            await conn.execute(
                update(ticket_facts)
                .where(ticket_facts.c.record_id == record_id, ticket_facts.c.origin.is_(None))
                .values(origin=ref.system, label=ref.key or ref.remote_id)
            )
        rejected = [(s, t) for s, t, kind, _ in w.tombstones if kind == "caused_by"]
        if rejected:
            await reject_links(conn, rejected, w.now)

    async def _upsert_facts(self, conn: AsyncConnection, rows: list[dict[str, Any]]) -> None:
        upsert = self._insert(ticket_facts)
        # What people unlinked stays unlinked, however the ticket changes after.
        changing = {
            c.name: upsert.excluded[c.name]
            for c in ticket_facts.c
            if c.name not in {"record_id", "origin", "label", "rejected_ids"}
        }
        # A record is often written from one system's view: the system it first came from
        # and its key there stay whatever was first stored.
        changing["origin"] = func.coalesce(ticket_facts.c.origin, upsert.excluded.origin)
        changing["label"] = func.coalesce(ticket_facts.c.label, upsert.excluded.label)
        upsert = upsert.on_conflict_do_update(
            index_elements=[ticket_facts.c.record_id], set_=changing
        )
        await execute_many(conn, upsert, rows)

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
            await conn.execute(
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
                .where(outbox.c.id.in_(part), outbox.c.status != OutboxStatus.DONE.value)
                .values(status=OutboxStatus.DONE.value, updated_at=w.now)
            )

    async def _flush_state(self, conn: AsyncConnection, w: Writes) -> None:
        if w.parked:
            await conn.execute(parked.insert(), w.parked)
        for part in chunks(sorted(set(w.unparked))):
            await conn.execute(delete(parked).where(parked.c.id.in_(part)))
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


async def _analysed(
    conn: AsyncConnection, ids: Sequence[str]
) -> dict[str, tuple[Fingerprint, bytes | None]]:
    """The stored fingerprint and embedding of tickets whose text did not change: a
    comment or a status change keeps them (a page of comments would embed every
    ticket it touches again)."""
    found: dict[str, tuple[Fingerprint, bytes | None]] = {}
    for part in chunks(sorted(set(ids))):
        query = select(
            ticket_facts.c.record_id,
            ticket_facts.c.tokens,
            ticket_facts.c.signature,
            ticket_facts.c.vector,
        ).where(ticket_facts.c.record_id.in_(part))
        for row in await conn.execute(query):
            if row.signature is not None:
                tokens = tuple(row.tokens.split()) if row.tokens else ()
                found[row.record_id] = (Fingerprint(tokens, row.signature), row.vector)
    return found


def _base_of(row: Any) -> Base:
    # The store's own rows, written from valid bases: built without validating again.
    return Base.model_construct(
        record_id=row.record_id,
        system=row.system,
        fields=row.fields,
        remote_version=row.remote_version,
        remote_updated_at=row.remote_updated_at,
        agreed_at=row.agreed_at,
        links=[(kind, target) for kind, target in row.links] if row.links is not None else None,
    )


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


#: A record's JSON as stored, read as text (PostgreSQL's jsonb prints as JSON text).
_DATA_TEXT = records.c.data.cast(Text).label("data_text")


def _record_from_json(kind: str, text: str, extra: dict[str, Any]) -> AnyRecordType:
    """The record of ``kind`` stored as ``text``, with ``extra`` keys (its refs and links,
    kept in tables of their own) spliced into the object before one validation."""
    body = text.rstrip()
    if not body.endswith("}"):
        raise ValueError("its data is not a JSON object")
    body = body[:-1].rstrip()
    tail = pydantic_core.to_json(extra).decode()[1:]  # '"refs":[...],"links":[...]}'
    joined = f"{body}{tail}" if body == "{" else f"{body}, {tail}"
    record_type = RECORD_TYPES.get(RecordKind(kind))
    if record_type is None:
        raise ValueError(f"no record type for kind {kind!r}")
    return cast("AnyRecordType", record_type.model_validate_json(joined))


async def _refs_of(
    conn: AsyncConnection, ids: Sequence[str], into: dict[str, list[dict[str, Any]]]
) -> None:
    query = (
        select(
            external_refs.c.record_id,
            external_refs.c.system,
            external_refs.c.remote_id,
            external_refs.c.key,
            external_refs.c.url,
            external_refs.c.remote_type,
        )
        .where(external_refs.c.record_id.in_(ids))
        .order_by(external_refs.c.record_id, external_refs.c.system)
    )
    for row in await conn.execute(query):
        into.setdefault(row.record_id, []).append(
            {
                "system": row.system,
                "remote_id": row.remote_id,
                "key": row.key,
                "url": row.url,
                "remote_type": row.remote_type,
            }
        )


async def _links_of(
    conn: AsyncConnection, ids: Sequence[str], into: dict[str, list[dict[str, Any]]]
) -> None:
    query = (
        select(links.c.source_id, links.c.target_id, links.c.kind, links.c.origin, links.c.reason)
        .where(links.c.source_id.in_(ids))
        .order_by(links.c.source_id, links.c.created_at, links.c.target_id, links.c.kind)
    )
    for row in await conn.execute(query):
        into.setdefault(row.source_id, []).append(
            {
                "kind": row.kind,
                "target_id": row.target_id,
                "origin": row.origin,
                "reason": row.reason,
            }
        )


__all__ = ["CHUNK", "BatchOperations", "Loaded", "ParkedItem", "RowUpdate", "Writes", "chunks"]
