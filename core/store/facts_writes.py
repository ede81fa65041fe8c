"""A batch's ticket facts (``rules/facts.py``): read what they need, computed while the
batch's other tables are written, then written last, in the batch's transaction.

Computing a page's facts (fingerprints, embeddings) is most of a flush's CPU; writing its
records, bases and journal is mostly the database's work. The facts are therefore
computed in a worker thread while those statements run: on PostgreSQL the server works
on its own core meanwhile. Facts are a pure function of the records and the handles read
before, so where they are computed changes nothing they hold.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import anyio
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.concurrency import task_group
from itsmhub.model.records import Ticket
from itsmhub.rules.facts import TicketFacts, embedded_part, facts_of, facts_of_many
from itsmhub.rules.fingerprint import Fingerprint
from itsmhub.rules.people import People, handles_of_record

from ._base import Upsert
from .batch_reads import among, chunks
from .bulk import execute_many
from .facts import _row as facts_row
from .facts import known_people, reject_links
from .schema import people_handles, ticket_facts
from .writes import Writes

T = TypeVar("T")


@dataclass
class BatchFacts:
    """The facts of the tickets one batch writes."""

    now: datetime
    tickets: list[Ticket]
    kept: dict[str, tuple[Fingerprint, bytes | None]]
    """Tickets whose text did not change: their stored fingerprint and embedding."""
    people: People

    @classmethod
    async def read(
        cls, conn: AsyncConnection, writes: Writes, insert: Callable[[Any], Upsert]
    ) -> BatchFacts:
        """Record the handles the records ``writes`` holds name; read what their facts
        need."""
        written = writes.records
        handles = sorted({h for record in written for h in handles_of_record(record)})
        if handles:
            upsert = insert(people_handles).on_conflict_do_nothing(
                index_elements=[people_handles.c.handle]
            )
            await conn.execute(upsert, [{"handle": h} for h in handles])
        tickets = [r for r in written if isinstance(r, Ticket)]
        kept = await _analysed(conn, [t.id for t in tickets if writes.same_text.get(t.id)])
        texts = [f"{t.title} {embedded_part(t.description)}" for t in tickets if t.id not in kept]
        if texts:
            # Loaded here, not in the worker thread: loading it touches the logging setup.
            from itsmhub.rules.embedding import load_model

            load_model()
        return cls(writes.now, tickets, kept, await known_people(conn, texts))

    @property
    def fresh(self) -> list[Ticket]:
        """The tickets whose fingerprint and embedding are computed again."""
        return [t for t in self.tickets if t.id not in self.kept]

    def compute(self) -> list[TicketFacts]:
        """Every ticket's facts (thread-safe: it reads, and writes only what it returns)."""
        found = facts_of_many(self.fresh, now=self.now, people=self.people)
        for ticket in self.tickets:
            if ticket.id in self.kept:
                fingerprint, vector = self.kept[ticket.id]
                facts = facts_of(ticket, now=self.now, fp=fingerprint, vector=vector)
                if facts is not None:
                    found.append(facts)
        return found

    async def write(
        self,
        conn: AsyncConnection,
        found: list[TicketFacts],
        writes: Writes,
        insert: Callable[[Any], Upsert],
    ) -> None:
        """Upsert ``found``, then what the batch learnt of origins and rejected links."""
        rows = []
        for facts in found:
            row = facts_row(facts)
            row["changed_at"] = self.now
            rows.append(row)
        if rows:
            await _upsert(conn, rows, insert)
        for record_id, ref in sorted(writes.origins.items()):
            await conn.execute(
                update(ticket_facts)
                .where(ticket_facts.c.record_id == record_id, ticket_facts.c.origin.is_(None))
                .values(origin=ref.system, label=ref.key or ref.remote_id)
            )
        rejected = [(s, t) for s, t, kind, _ in writes.tombstones if kind == "caused_by"]
        if rejected:
            await reject_links(conn, rejected, self.now)


class Meanwhile(Generic[T]):
    """What a job run in a worker thread returned, once the block around it ended."""

    result: T


@asynccontextmanager
async def meanwhile(job: Callable[[], T]) -> AsyncIterator[Meanwhile[T]]:
    """Run ``job`` in a worker thread while the block runs; its result is there after.

    An error of the block or of the job is raised as itself (a task group would wrap it
    in an exception group, and the store's callers catch the store's own errors)."""
    outcome: Meanwhile[T] = Meanwhile()
    failed: list[Exception] = []

    async def run() -> None:
        try:
            outcome.result = await anyio.to_thread.run_sync(job)
        except Exception as exc:
            failed.append(exc)

    # The block's error wins, once the job's thread (which cannot be stopped) has ended.
    async with task_group() as group:
        group.start_soon(run)
        yield outcome
    if failed:
        raise failed[0]


async def _upsert(
    conn: AsyncConnection, rows: list[dict[str, Any]], insert: Callable[[Any], Upsert]
) -> None:
    upsert = insert(ticket_facts)
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
    upsert = upsert.on_conflict_do_update(index_elements=[ticket_facts.c.record_id], set_=changing)
    await execute_many(conn, upsert, rows)


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
        ).where(among(ticket_facts.c.record_id, part, conn.dialect.name))
        for row in await conn.execute(query):
            if row.signature is not None:
                tokens = tuple(row.tokens.split()) if row.tokens else ()
                found[row.record_id] = (Fingerprint(tokens, row.signature), row.vector)
    return found
