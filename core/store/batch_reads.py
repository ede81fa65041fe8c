"""A batch's reads: what a page of pulls or a batch of pushes needs, one query per table
for all its ids (refs, records, bases, open outbox rows, parked items, tombstones): an
``IN`` list, on PostgreSQL one array (:func:`among`).

The engine loads a page with these, merges in memory, and hands the writes to
``batch_writes`` to flush in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

import pydantic_core
from pydantic import JsonValue
from sqlalchemy import ColumnElement, Text, any_, bindparam, delete, select, tuple_
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.errors import StoreError
from itsmhub.model import RECORD_TYPES, AnyRecordType, LinkKind, RecordKind

from ._base import Operations
from .models import Base, OutboxItem, OutboxOperation, OutboxStatus
from .schema import (
    bases,
    external_refs,
    link_tombstones,
    links,
    outbox,
    parked,
    records,
)

#: Values per IN list: far below SQLite's and PostgreSQL's limits on bound parameters.
CHUNK = 900

_OPEN = (OutboxStatus.PENDING.value, OutboxStatus.IN_FLIGHT.value, OutboxStatus.DEFERRED.value)


def chunks(values: Sequence[Any], size: int = CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(column: ColumnElement[Any], values: Sequence[Any], dialect: str) -> ColumnElement[bool]:
    """``column IN values``; on PostgreSQL ``column = ANY(array)``, one parameter.

    An IN list binds one parameter per value: SQLAlchemy rewrites the statement for each
    list (a fifteenth of the client's CPU in a PostgreSQL sync cycle), and every length
    of list is a statement PostgreSQL prepares anew. An array is one parameter."""
    if dialect == "postgresql":
        return column == any_(bindparam(None, list(values), type_=ARRAY(column.type)))
    return column.in_(values)


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


class BatchReadOperations(Operations):
    """Bulk reads by id lists."""

    async def records_by_refs(self, system: str, remote_ids: Iterable[str]) -> dict[str, str]:
        """Hub record ids of ``system``'s records, by remote id (unknown ones left out)."""
        wanted = sorted(set(remote_ids))
        found: dict[str, str] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(wanted):
                query = select(external_refs.c.remote_id, external_refs.c.record_id).where(
                    external_refs.c.system == system,
                    among(external_refs.c.remote_id, part, self._dialect),
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
                chosen = query.where(among(records.c.id, part, self._dialect))
                chosen = chosen.order_by(records.c.id)
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
                query = select(records.c.id, records.c.version).where(
                    among(records.c.id, part, self._dialect)
                )
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
                query = select(bases).where(among(bases.c.record_id, part, self._dialect))
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
                    .where(among(links.c.target_id, part, self._dialect))
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
                query = select(outbox).where(
                    among(outbox.c.correlation_marker, part, self._dialect)
                )
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
                    among(outbox.c.record_id, part, self._dialect),
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
                    .where(
                        parked.c.connector == connector,
                        among(parked.c.awaits, part, self._dialect),
                    )
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
        .where(among(external_refs.c.record_id, ids, conn.dialect.name))
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
        .where(among(links.c.source_id, ids, conn.dialect.name))
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


__all__ = ["CHUNK", "BatchReadOperations", "Loaded", "ParkedItem", "chunks"]
