"""People and devices as the hub knows them (from a directory's pulls), and the tickets
about each person: what ``itsmhub people`` shows and what the enrichment step revisits.

A ticket is *about* a person when its facts name them as reporter: by their hub Person
id once enrichment matched them, by their e-mail (lower-cased) until then. Both are
looked up along the ``ticket_facts.reporter`` index (revision 0007).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Select, func, literal, or_, select, tuple_

from itsmhub.model import (
    Device,
    ExternalRef,
    LinkKind,
    Person,
    RecordKind,
    UtcDateTime,
)

from ._base import Operations
from .schema import UtcTimestamp, links, records, ticket_facts
from .views import _refs_of

_DIRECTORY = (RecordKind.PERSON.value, RecordKind.DEVICE.value)
#: Values per ``IN (…)``: well under SQLite's bound-parameter limit.
_CHUNK = 500


class TicketAbout(BaseModel):
    """A ticket about a person, with its key in every system it lives in."""

    model_config = ConfigDict(frozen=True)

    record_id: str
    kind: RecordKind
    title: str
    status: str
    is_open: bool
    opened_at: UtcDateTime
    origin: str | None
    refs: list[ExternalRef]


def subjects_of(person: Person) -> list[str]:
    """How ticket facts may name a person: their hub id, or their e-mail (casefolded)."""
    found = [person.id]
    if person.email:
        found.append(person.email.casefold())
    return found


class PeopleOperations(Operations):
    """Reads of the directory the hub holds, and of the tickets about its people."""

    async def directory_changed(
        self, after: tuple[datetime, str] | None, *, until: datetime, limit: int = 500
    ) -> list[tuple[datetime, str]]:
        """People and devices stored or changed after the position ``after`` (a time and a
        record id) and before ``until`` (exclusive), oldest first: (when, record id)."""
        query = select(records.c.updated_at, records.c.id).where(
            records.c.kind.in_(_DIRECTORY), records.c.updated_at < until
        )
        if after is not None:
            position = tuple_(records.c.updated_at, records.c.id)
            query = query.where(position > tuple_(literal(after[0], UtcTimestamp()), after[1]))
        query = query.order_by(records.c.updated_at, records.c.id).limit(limit)
        async with self._connect(write=False) as conn:
            return [(row.updated_at, row.id) for row in (await conn.execute(query)).all()]

    async def open_tickets_about(self, subjects: Sequence[str]) -> list[str]:
        """Ids of the open tickets whose reporter is one of ``subjects`` (see
        :func:`subjects_of`)."""
        found: set[str] = set()
        wanted = sorted(set(subjects))
        async with self._connect(write=False) as conn:
            for start in range(0, len(wanted), _CHUNK):
                query = select(ticket_facts.c.record_id).where(
                    ticket_facts.c.reporter.in_(wanted[start : start + _CHUNK]),
                    ticket_facts.c.is_open.is_(True),
                )
                found.update((await conn.execute(query)).scalars())
        return sorted(found)

    async def tickets_about(
        self,
        person: Person,
        *,
        open_only: bool = True,
        kinds: Sequence[RecordKind] = (),
        limit: int = 100,
    ) -> list[TicketAbout]:
        """The tickets (of ``kinds``, all if empty) about ``person``, newest first, each
        with its refs."""
        query = select(
            ticket_facts.c.record_id,
            ticket_facts.c.kind,
            ticket_facts.c.title,
            ticket_facts.c.status,
            ticket_facts.c.is_open,
            ticket_facts.c.opened_at,
            ticket_facts.c.origin,
        ).where(ticket_facts.c.reporter.in_(subjects_of(person)))
        if open_only:
            query = query.where(ticket_facts.c.is_open.is_(True))
        if kinds:
            query = query.where(ticket_facts.c.kind.in_([k.value for k in kinds]))
        query = query.order_by(ticket_facts.c.opened_at.desc(), ticket_facts.c.record_id)
        async with self._connect(write=False) as conn:
            rows = (await conn.execute(query.limit(limit))).all()
            refs = await _refs_of(conn, [row.record_id for row in rows])
        return [
            TicketAbout(**row._asdict(), refs=refs.get(row.record_id, []))  # type: ignore[arg-type]
            for row in rows
        ]

    async def find_person(self, ident: str) -> Person | None:
        """A Person by hub id, e-mail or login (either case); None if nobody matches. An
        active person comes before a deactivated namesake, then the last changed."""
        wanted = ident.strip().casefold()
        email = func.lower(records.c.data["email"].as_string())
        login = func.lower(records.c.data["login"].as_string())
        query = (
            select(records.c.id)
            .where(records.c.kind == RecordKind.PERSON.value)
            .where(or_(records.c.id == ident.strip(), email == wanted, login == wanted))
            .order_by(records.c.updated_at.desc(), records.c.id)
        )
        people = await self._people_of(query)
        return next((p for p in people if p.active), people[0] if people else None)

    async def list_people(self, *, department: str | None = None, limit: int = 50) -> list[Person]:
        """People by name; ``department`` compares without case."""
        query = select(records.c.id).where(records.c.kind == RecordKind.PERSON.value)
        if department is not None:
            named = func.lower(records.c.data["department"].as_string())
            query = query.where(named == department.strip().casefold())
        name = func.lower(records.c.data["display_name"].as_string())
        return await self._people_of(query.order_by(name, records.c.id).limit(limit))

    async def _people_of(self, query: Select[tuple[str]]) -> list[Person]:
        """The people whose ids ``query`` selects, in its order, with refs and links."""
        async with self._connect(write=False) as conn:
            ids = list((await conn.execute(query)).scalars())
        loaded = await self.load_records(ids)  # type: ignore[attr-defined]
        return [r for i in ids if isinstance(r := loaded[i].record, Person)]

    async def devices_used_by(self, person_ids: Sequence[str]) -> dict[str, list[Device]]:
        """The devices whose ``used_by`` links name each person, by person id."""
        pairs: list[tuple[str, str]] = []
        async with self._connect(write=False) as conn:
            for start in range(0, len(person_ids), _CHUNK):
                query = (
                    select(links.c.target_id, links.c.source_id)
                    .join(records, records.c.id == links.c.source_id)
                    .where(
                        links.c.target_id.in_(list(person_ids[start : start + _CHUNK])),
                        links.c.kind == LinkKind.USED_BY.value,
                        records.c.kind == RecordKind.DEVICE.value,
                    )
                    .order_by(links.c.target_id, links.c.source_id)
                )
                pairs += [(row.target_id, row.source_id) for row in await conn.execute(query)]
        loaded = await self.load_records({device for _, device in pairs})  # type: ignore[attr-defined]
        found: dict[str, list[Device]] = {}
        for person, device in pairs:
            record = loaded[device].record
            if isinstance(record, Device):
                found.setdefault(person, []).append(record)
        return found

    async def open_ticket_counts(self, people: Sequence[Person]) -> dict[str, int]:
        """How many open tickets are about each person, by person id (one query)."""
        owner = {subject: p.id for p in people for subject in subjects_of(p)}
        counts: dict[str, int] = {}
        wanted = sorted(owner)
        async with self._connect(write=False) as conn:
            for start in range(0, len(wanted), _CHUNK):
                query = (
                    select(ticket_facts.c.reporter, func.count())
                    .where(
                        ticket_facts.c.reporter.in_(wanted[start : start + _CHUNK]),
                        ticket_facts.c.is_open.is_(True),
                    )
                    .group_by(ticket_facts.c.reporter)
                )
                for reporter, count in (await conn.execute(query)).all():
                    person_id = owner[reporter]
                    counts[person_id] = counts.get(person_id, 0) + int(count)
        return counts
