"""Ticket facts: written with each ticket, read in bulk by rules (see itsmhub.rules.facts)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, literal, select, tuple_, type_coerce
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.types import NullType

from itsmhub.model import AnyRecordType, RecordKind
from itsmhub.model.records import Ticket
from itsmhub.rules.facts import TicketFacts, embedded_part, facts_of
from itsmhub.rules.people import People, handles_of_record, words_that_may_be_handles

from ._base import Operations
from .batch_reads import among
from .records import _assemble
from .schema import UtcTimestamp, external_refs, links, people_handles, records, ticket_facts

_ALL_TICKETS = frozenset({"incident", "problem", "known_error"})
#: Rows fetched per round trip when facts are streamed.
STREAM_BATCH = 5000

_COLUMNS = [c for c in ticket_facts.c if c.name != "changed_at"]
# The same columns without SQLAlchemy's per-value result processing: ``_facts`` converts.
_RAW = [type_coerce(c, NullType()).label(c.name) for c in _COLUMNS]


class FactOperations(Operations):
    """Facts of tickets: kept current by ``put_record``, read by the rules."""

    async def _put_facts(self, conn: AsyncConnection, record: AnyRecordType) -> None:
        handles = handles_of_record(record)
        if handles:
            insert = self._insert(people_handles).values([{"handle": h} for h in sorted(handles)])
            await conn.execute(insert.on_conflict_do_nothing(index_elements=["handle"]))
        if not isinstance(record, Ticket):
            return
        now = self._now()
        people = await _people_named(conn, record)
        facts = facts_of(record, now=now, people=people)
        if facts is None:
            return
        values = _row(facts)
        values["changed_at"] = now
        upsert = self._insert(ticket_facts).values(**values)
        # What people unlinked stays unlinked, however the ticket changes after.
        kept = {"record_id", "origin", "rejected_ids"}
        changing = {k: upsert.excluded[k] for k in values if k not in kept}
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
        changed_until: tuple[datetime, str] | None = None,
    ) -> AsyncIterator[TicketFacts]:
        """Facts of the tickets of ``kinds`` opened in ``[since, until)``, oldest first;
        with ``changed_until`` (a change time and record id), only those last changed at or
        before that position."""
        wanted = {k.value for k in kinds}
        query = select(*_RAW)
        if wanted != _ALL_TICKETS:
            # Only tickets have facts: asking for every kind filters nothing, and leaves
            # the (opened_at, record_id) index free to give the order.
            query = query.where(ticket_facts.c.kind.in_(sorted(wanted)))
        if since is not None:
            query = query.where(ticket_facts.c.opened_at >= since)
        if until is not None:
            query = query.where(ticket_facts.c.opened_at < until)
        if changed_until is not None:
            position = tuple_(ticket_facts.c.changed_at, ticket_facts.c.record_id)
            at, record_id = changed_until
            query = query.where(position <= tuple_(literal(at, UtcTimestamp()), record_id))
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
        None) and before ``until``, in change order, each with its change time.

        ``until`` is exclusive: what a reader writes itself while it works is stamped at or
        after the time it read, so it is never left behind the position it stores."""
        query = select(ticket_facts.c.changed_at, *_RAW).where(ticket_facts.c.changed_at < until)
        if after is not None:
            position = tuple_(ticket_facts.c.changed_at, ticket_facts.c.record_id)
            query = query.where(position > tuple_(literal(after[0], UtcTimestamp()), after[1]))
        query = query.order_by(ticket_facts.c.changed_at, ticket_facts.c.record_id).limit(limit)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query)).all()
        return [(row[0], _facts(row[1:])) for row in rows]

    async def get_facts(self, record_ids: Sequence[str]) -> dict[str, TicketFacts]:
        """Facts of the given tickets, by record id (missing ones are left out)."""
        found: dict[str, TicketFacts] = {}
        async with self._connect(write=False) as conn:
            for start in range(0, len(record_ids), 500):
                chunk = record_ids[start : start + 500]
                query = select(*_RAW).where(ticket_facts.c.record_id.in_(chunk))
                for row in (await conn.execute(query)).all():
                    found[row.record_id] = _facts(row)
        return found

    async def resolve_keys(
        self, keys: Sequence[str], systems: Sequence[str], *, remote_ids: Sequence[str] = ()
    ) -> dict[str, list[tuple[str, str]]]:
        """``keys`` (OPS-123, INC0010001, 4711) and ``remote_ids`` in ``systems`` → the
        [(system, record id)] each names. Each lookup runs along its index: (system, key)
        and (system, remote_id)."""
        found: dict[str, set[tuple[str, str]]] = {}
        columns = (external_refs.c.system, external_refs.c.record_id)
        lookups = ((external_refs.c.key, keys), (external_refs.c.remote_id, remote_ids))
        async with self._connect(write=False) as conn:
            for column, values in lookups:
                for start in range(0, len(values), 500):
                    query = select(column, *columns).where(
                        external_refs.c.system.in_(list(systems)),
                        column.in_(list(values[start : start + 500])),
                    )
                    for value, system, record_id in (await conn.execute(query)).all():
                        found.setdefault(value, set()).add((system, record_id))
        return {value: sorted(named) for value, named in found.items()}

    async def unlink(self, record_id: str, target_id: str) -> bool:
        """A person removed the ticket's link to ``target_id`` in a tool: remove it here and
        remember it, so rules never propose that link again. False if there was no link."""
        async with self._connect() as conn:
            removed = await conn.execute(
                links.delete().where(links.c.source_id == record_id, links.c.target_id == target_id)
            )
            found = (
                await conn.execute(select(records.c.id).where(records.c.id == record_id))
            ).scalar_one_or_none()
            if found is None:
                return False
            await self._put_facts(conn, await _load(conn, record_id))
            await reject_links(conn, [(record_id, target_id)], self._now())
        return bool(removed.rowcount)

    async def linked_to(self, target_id: str) -> list[str]:
        """Ids of the records holding a link to ``target_id``."""
        query = select(links.c.source_id).where(links.c.target_id == target_id)
        async with self._connect(write=False) as conn:
            return sorted(set((await conn.execute(query)).scalars()))

    async def backfill_facts(self, *, batch: int = 500) -> int:
        """Write facts for tickets that have none, or none of revision 0005 (stores from
        before facts, or before embeddings). People first, so their names are masked."""
        async with self._connect() as conn:
            people = select(records.c.id).where(records.c.kind == RecordKind.PERSON.value)
            for record_id in list((await conn.execute(people)).scalars()):
                await self._put_facts(conn, await _load(conn, record_id))
        written = 0
        while True:
            async with self._connect() as conn:
                current = (
                    select(ticket_facts.c.record_id)
                    .where(ticket_facts.c.record_id == records.c.id)
                    .where(ticket_facts.c.vector.is_not(None))
                )
                missing = (
                    select(records.c.id)
                    .where(records.c.kind.in_([k.value for k in _TICKETS]))
                    .where(~current.exists())
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


async def reject_links(
    conn: AsyncConnection, pairs: Sequence[tuple[str, str]], now: datetime
) -> None:
    """Remember in each source ticket's facts that people removed its link to the target:
    ``rejected_ids`` survives every later rewrite of the facts."""
    for record_id, target_id in pairs:
        row = (
            await conn.execute(
                select(ticket_facts.c.rejected_ids).where(ticket_facts.c.record_id == record_id)
            )
        ).scalar_one_or_none()
        if row is None:
            continue
        rejected = [r for r in row.split(_SEPARATOR) if r]
        if target_id in rejected:
            continue
        await conn.execute(
            ticket_facts.update()
            .where(ticket_facts.c.record_id == record_id)
            .values(rejected_ids=_join((*rejected, target_id)), changed_at=now)
        )


async def known_people(conn: AsyncConnection, texts: Sequence[str]) -> People:
    """The known handles among the words of ``texts`` (one indexed lookup per thousand
    words, however many people the hub knows)."""
    words = sorted({w for text in texts for w in words_that_may_be_handles(text)})
    found: set[str] = set()
    for start in range(0, len(words), 900):
        part = words[start : start + 900]
        query = select(people_handles.c.handle).where(
            among(people_handles.c.handle, part, conn.dialect.name)
        )
        found.update((await conn.execute(query)).scalars())
    return People(found)


async def _people_named(conn: AsyncConnection, record: Ticket) -> People:
    """The known handles among the words of a ticket's title and the part of its
    description that is embedded (one indexed lookup, however many people the hub
    knows)."""
    words = words_that_may_be_handles(f"{record.title} {embedded_part(record.description)}")
    if not words:
        return People()
    query = select(people_handles.c.handle).where(
        among(people_handles.c.handle, sorted(words), conn.dialect.name)
    )
    return People((await conn.execute(query)).scalars())


async def _load(conn: AsyncConnection, record_id: str) -> AnyRecordType:
    row = (await conn.execute(select(records).where(records.c.id == record_id))).one()
    return (await _assemble(conn, row)).record


_KINDS = {kind.value: kind for kind in RecordKind}
_SEPARATOR = "\x1f"


def _join(values: tuple[str, ...]) -> str:
    return _SEPARATOR.join(values)


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
        "tags": _join(facts.tags),
        "tokens": " ".join(facts.tokens),
        "signature": facts.signature,
        "resolution_code": facts.resolution_code,
        "problem_ids": _join(facts.problem_ids),
        "related_ids": _join(facts.related_ids),
        "mentions": _join(facts.mentions),
        "notes": _join(facts.notes),
        "known_error": facts.known_error,
        "workaround": facts.workaround,
        "root_cause": facts.root_cause,
        "fixed": facts.fixed,
        "vector": facts.vector,
        "rejected_ids": _join(facts.rejected_ids),
    }


def _facts(row: Sequence[Any]) -> TicketFacts:
    """Facts from a row of :data:`_RAW` values (column order is the dataclass's order).

    Values come unconverted from the driver, a million rows at a time: SQLite gives
    timestamps as UTC text and booleans as integers, PostgreSQL gives them typed.
    """
    (
        record_id, kind, title, opened_at, status, is_open, origin, label, major, priority,
        service, category, assignment_group, reporter, device, tags, tokens, signature,
        resolution_code, problem_ids, related_ids, mentions, notes, known_error, workaround,
        root_cause, fixed, vector, rejected_ids,
    ) = row  # fmt: skip
    if isinstance(opened_at, str):
        opened_at = datetime.fromisoformat(opened_at).replace(tzinfo=UTC)
    return TicketFacts(
        record_id,
        _KINDS[kind],
        title,
        opened_at,
        status,
        bool(is_open),
        origin,
        label,
        bool(major),
        priority,
        service,
        category,
        assignment_group,
        reporter,
        device,
        tuple(tags.split(_SEPARATOR)) if tags else (),
        tuple(tokens.split()),
        bytes(signature),
        resolution_code,
        tuple(problem_ids.split(_SEPARATOR)) if problem_ids else (),
        tuple(related_ids.split(_SEPARATOR)) if related_ids else (),
        tuple(mentions.split(_SEPARATOR)) if mentions else (),
        tuple(notes.split(_SEPARATOR)) if notes else (),
        bool(known_error),
        workaround,
        bool(root_cause),
        bool(fixed),
        bytes(vector) if vector else b"",
        tuple(rejected_ids.split(_SEPARATOR)) if rejected_ids else (),
        tokens,
    )
