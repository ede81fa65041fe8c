"""Planner statistics that keep up with a store filling fast (PostgreSQL).

PostgreSQL plans each query from its tables' statistics, which autovacuum refreshes in
the background once a table has changed by a tenth, looking once a minute. A first
backfill fills the tables from nothing faster than that: while the statistics still
describe an empty table, a page's look-up of 200 refs reads all of ``external_refs``
(a sequential scan, 20 ms at 200,000 refs) instead of its index (1.5 ms). So the store
analyses a table itself each time the rows this process wrote to it since its last
analysis reach the table's size then: a doubling, so a fill of n rows costs about
log2(n / 1,000) analyses, each sampling at most 30,000 rows. A table that was large
already is left to autovacuum.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import TYPE_CHECKING, Final

from sqlalchemy import bindparam, text

from itsmhub.model.records import Ticket

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncConnection

    from .writes import Writes

log = logging.getLogger("itsmhub.store")

#: The tables the sync's look-ups read by index while a backfill fills them.
WATCHED: Final = ("records", "external_refs", "bases", "links", "ticket_facts", "outbox")
#: Rows written before the first analysis of a table that was empty.
FIRST: Final = 1000


class Growth:
    """Rows this process wrote to each watched table since it was last analysed."""

    def __init__(self) -> None:
        self.written: Counter[str] = Counter()
        self.size: dict[str, float] | None = None
        """Each table's rows at its last analysis (read from the catalogue once)."""

    def note(self, w: Writes) -> None:
        tickets = sum(1 for record in w.records if isinstance(record, Ticket))
        self.written.update(
            records=len(w.new_records) + len(w.changed_records),
            external_refs=len(w.refs) + sum(len(r.refs) for r in w.new_records.values()),
            bases=len(w.bases),
            links=len(w.links_added),
            ticket_facts=tickets,
            outbox=len(w.outbox),
        )

    def due(self) -> list[str]:
        """The tables whose written rows reached their size at the last analysis (before
        the sizes are read from the catalogue: those with ``FIRST`` rows written)."""
        size = self.size or {}
        return [t for t in WATCHED if self.written[t] >= max(FIRST, size.get(t, 0.0))]

    async def keep_up(self, conn: AsyncConnection) -> None:
        """Analyse the tables that grew enough (in the caller's transaction)."""
        if self.size is None:
            self.size = await _sizes(conn)
        quote = conn.dialect.identifier_preparer.quote
        # Always in WATCHED's order: two workers analysing at once lock tables in one order.
        for table in self.due():
            await conn.execute(text(f"ANALYZE {quote(table)}"))
            log.debug("analysed %s after %d rows written", table, self.written[table])
            self.size[table] = self.size.get(table, 0.0) + self.written.pop(table)


async def _sizes(conn: AsyncConnection) -> dict[str, float]:
    """The tables' row counts as the catalogue knows them (0 for never analysed)."""
    query = text(
        "SELECT relname, reltuples FROM pg_class "
        "WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace "
        "AND relname IN :names"
    ).bindparams(bindparam("names", expanding=True))
    rows = await conn.execute(query, {"names": list(WATCHED)})
    return {name: max(float(count), 0.0) for name, count in rows}
