"""Records, their external refs, links between them, and per-system bases.

A record's refs and links live in their own tables (the single source of truth, with the
unique constraints that keep "no duplicates"); its ``data`` JSON holds everything else, and
reads put the three back together.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from itsmhub.errors import StoreError
from itsmhub.model import AnyRecordType, ExternalRef, Link, parse_record

from ._base import Operations
from .errors import NotFound, RefConflict, VersionConflict
from .models import Base, StoredRecord
from .schema import bases, external_refs, links, records


class RecordOperations(Operations):
    """Records, refs, links and bases."""

    async def put_record(
        self, record: AnyRecordType, *, expected_version: int | None = None
    ) -> int:
        """Insert or update ``record`` with its refs and links; return its new version.

        ``expected_version`` makes the write conditional (optimistic concurrency): 0 means
        "must be new", n means "must still be at version n"; otherwise VersionConflict.
        Refs and links are added or updated, never removed: a record built from one
        system's view must not drop its mappings to the others.
        """
        now = self._now()
        data = record.model_dump(mode="json", exclude={"refs", "links"})
        async with self._connect() as conn:
            if expected_version is None:
                upsert = self._insert(records).values(
                    id=record.id,
                    kind=record.kind.value,
                    data=data,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                upsert = upsert.on_conflict_do_update(
                    index_elements=[records.c.id],
                    set_={
                        "kind": upsert.excluded.kind,
                        "data": upsert.excluded.data,
                        "version": records.c.version + 1,
                        "updated_at": upsert.excluded.updated_at,
                    },
                )
                version = (await conn.execute(upsert.returning(records.c.version))).scalar_one()
            elif expected_version == 0:
                insert = self._insert(records).values(
                    id=record.id,
                    kind=record.kind.value,
                    data=data,
                    version=1,
                    created_at=now,
                    updated_at=now,
                )
                insert = insert.on_conflict_do_nothing(index_elements=[records.c.id])
                version = (
                    await conn.execute(insert.returning(records.c.version))
                ).scalar_one_or_none()
                if version is None:
                    raise VersionConflict(record.id, 0, await _version(conn, record.id))
            else:
                change = (
                    update(records)
                    .where(records.c.id == record.id, records.c.version == expected_version)
                    .values(
                        kind=record.kind.value,
                        data=data,
                        version=records.c.version + 1,
                        updated_at=now,
                    )
                    .returning(records.c.version)
                )
                version = (await conn.execute(change)).scalar_one_or_none()
                if version is None:
                    actual = await _version(conn, record.id)
                    raise VersionConflict(record.id, expected_version, actual)
            for ref in record.refs:
                await self._put_ref(conn, record.id, ref)
            for link in record.links:
                await self._add_link(conn, record.id, link)
            await self._put_facts(conn, record)
        return version

    async def get_record(self, record_id: str) -> AnyRecordType | None:
        """The record with this hub id, with its refs and links, or None."""
        stored = await self.get_stored(record_id)
        return stored.record if stored else None

    async def get_stored(self, record_id: str) -> StoredRecord | None:
        """The record with its version (for a later conditional ``put_record``), or None."""
        async with self._connect(write=False) as conn:
            row = (
                await conn.execute(select(records).where(records.c.id == record_id))
            ).one_or_none()
            return await _assemble(conn, row) if row else None

    async def find_by_ref(self, system: str, remote_id: str) -> AnyRecordType | None:
        """The hub record that ``system`` holds as ``remote_id``, or None."""
        query = (
            select(records)
            .join(external_refs, external_refs.c.record_id == records.c.id)
            .where(external_refs.c.system == system, external_refs.c.remote_id == remote_id)
        )
        return await self._find_one(query)

    async def find_by_key(self, system: str, key: str) -> AnyRecordType | None:
        """The hub record ``system`` shows as ``key`` (OPS-123, INC0010001), or None.

        Keys are not unique forever (a Jira issue moved between projects frees its old
        key), so the most recently stored match wins.
        """
        query = (
            select(records)
            .join(external_refs, external_refs.c.record_id == records.c.id)
            .where(external_refs.c.system == system, external_refs.c.key == key)
            .order_by(records.c.updated_at.desc(), records.c.id)
            .limit(1)
        )
        return await self._find_one(query)

    async def _find_one(self, query: Any) -> AnyRecordType | None:
        async with self._connect(write=False) as conn:
            row = (await conn.execute(query)).first()
            return (await _assemble(conn, row)).record if row else None

    async def put_ref(self, record_id: str, ref: ExternalRef) -> None:
        """Record that ``record_id`` lives in ``ref.system`` as ``ref.remote_id``.

        Updating the key, URL or type of an existing ref is fine; RefConflict if another
        record holds that remote record, or this record already maps to another remote id.
        """
        async with self._connect() as conn:
            await self._put_ref(conn, record_id, ref)

    async def _put_ref(self, conn: AsyncConnection, record_id: str, ref: ExternalRef) -> None:
        owner = (
            await conn.execute(
                select(external_refs.c.record_id).where(
                    external_refs.c.system == ref.system,
                    external_refs.c.remote_id == ref.remote_id,
                )
            )
        ).scalar_one_or_none()
        if owner is not None and owner != record_id:
            raise RefConflict(
                f"{ref.system} record {_shown(ref)} already belongs to hub record {owner}; "
                f"hub record {record_id} cannot claim it too",
                fix="adopt the existing hub record instead of importing the remote one again",
            )
        current = (
            await conn.execute(
                select(external_refs.c.remote_id).where(
                    external_refs.c.record_id == record_id, external_refs.c.system == ref.system
                )
            )
        ).scalar_one_or_none()
        details = {"key": ref.key, "url": ref.url, "remote_type": ref.remote_type}
        if current is None:
            # Checked first: after a failed statement PostgreSQL allows no more queries.
            if await _version(conn, record_id) is None:
                raise NotFound(f"cannot map {ref.system} {_shown(ref)}: no record {record_id}")
            try:
                await conn.execute(
                    external_refs.insert().values(
                        record_id=record_id, system=ref.system, remote_id=ref.remote_id, **details
                    )
                )
            except IntegrityError as exc:
                # Another transaction mapped the same remote record a moment ago.
                raise RefConflict(
                    f"{ref.system} record {_shown(ref)} was just claimed by another hub record",
                    fix="retry: the remote record will then be found by find_by_ref",
                ) from exc
        elif current != ref.remote_id:
            raise RefConflict(
                f"hub record {record_id} already lives in {ref.system} as {current}; "
                f"it cannot also be {ref.remote_id}",
                fix="a record has one counterpart per system; link the two records instead",
            )
        else:
            await conn.execute(
                update(external_refs)
                .where(external_refs.c.record_id == record_id, external_refs.c.system == ref.system)
                .values(**details)
            )

    async def refs_of(self, record_id: str) -> list[ExternalRef]:
        """Where ``record_id`` lives, one ref per system, ordered by system name."""
        async with self._connect(write=False) as conn:
            return await _refs(conn, record_id)

    async def add_link(self, source_id: str, link: Link) -> bool:
        """Link ``source_id`` to ``link.target_id``; False if that link was already there."""
        async with self._connect() as conn:
            return await self._add_link(conn, source_id, link)

    async def _add_link(self, conn: AsyncConnection, source_id: str, link: Link) -> bool:
        insert = self._insert(links).values(
            source_id=source_id,
            target_id=link.target_id,
            kind=link.kind.value,
            origin=link.origin,
            reason=link.reason,
            created_at=self._now(),
        )
        insert = insert.on_conflict_do_nothing(
            index_elements=[links.c.source_id, links.c.target_id, links.c.kind]
        )
        try:
            added = (await conn.execute(insert.returning(links.c.kind))).first()
        except IntegrityError as exc:
            raise NotFound(
                f"cannot link {source_id} to {link.target_id}: both records must be in the store"
            ) from exc
        return added is not None

    async def links_of(self, record_id: str) -> list[Link]:
        """The links from ``record_id`` to other records, oldest first (then by target)."""
        async with self._connect(write=False) as conn:
            return await _links(conn, record_id)

    async def get_base(self, record_id: str, system: str) -> Base | None:
        """The values last agreed with ``system`` for ``record_id``, or None."""
        async with self._connect(write=False) as conn:
            row = (
                await conn.execute(
                    select(bases).where(bases.c.record_id == record_id, bases.c.system == system)
                )
            ).one_or_none()
        return Base.model_validate(row._asdict()) if row else None

    async def put_base(self, base: Base) -> None:
        """Store (replace) the base of ``base.record_id`` in ``base.system``."""
        upsert = self._insert(bases).values(**base.model_dump())
        upsert = upsert.on_conflict_do_update(
            index_elements=[bases.c.record_id, bases.c.system],
            set_={
                name: upsert.excluded[name]
                for name in ("fields", "remote_version", "remote_updated_at", "agreed_at")
            },
        )
        async with self._connect() as conn:
            try:
                await conn.execute(upsert)
            except IntegrityError as exc:
                raise NotFound(
                    f"cannot store a {base.system} base: no record {base.record_id} in the store"
                ) from exc


def _shown(ref: ExternalRef) -> str:
    return f"{ref.remote_id} ({ref.key})" if ref.key else ref.remote_id


async def _version(conn: AsyncConnection, record_id: str) -> int | None:
    query = select(records.c.version).where(records.c.id == record_id)
    return (await conn.execute(query)).scalar_one_or_none()


async def _refs(conn: AsyncConnection, record_id: str) -> list[ExternalRef]:
    query = (
        select(
            external_refs.c.system,
            external_refs.c.remote_id,
            external_refs.c.key,
            external_refs.c.url,
            external_refs.c.remote_type,
        )
        .where(external_refs.c.record_id == record_id)
        .order_by(external_refs.c.system)
    )
    return [ExternalRef.model_validate(row._asdict()) for row in await conn.execute(query)]


async def _links(conn: AsyncConnection, record_id: str) -> list[Link]:
    query = (
        select(links.c.kind, links.c.target_id, links.c.origin, links.c.reason)
        .where(links.c.source_id == record_id)
        .order_by(links.c.created_at, links.c.target_id, links.c.kind)
    )
    return [Link.model_validate(row._asdict()) for row in await conn.execute(query)]


async def _assemble(conn: AsyncConnection, row: Row[Any]) -> StoredRecord:
    data = dict(row.data)
    data["refs"] = await _refs(conn, row.id)
    data["links"] = await _links(conn, row.id)
    try:
        record = parse_record(data)
    except ValidationError as exc:
        raise StoreError(
            f"record {row.id} in the store does not validate as a {row.kind}: "
            f"{exc.error_count()} error(s), first: {exc.errors()[0]['msg']}",
            fix="this is a bug or a hand-edited store; report it with the record id",
        ) from exc
    return StoredRecord(
        record=record, version=row.version, created_at=row.created_at, updated_at=row.updated_at
    )
