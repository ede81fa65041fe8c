"""The look-up cache: what enrichers and people look-ups learned, with an expiry, kept in
the store so a restart (or another worker) does not ask the vendor again."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import timedelta

from pydantic import JsonValue
from sqlalchemy import delete, select

from ._base import Operations
from .batch_reads import chunks
from .schema import lookup_cache


class CacheOperations(Operations):
    """``get_many`` / ``put_many``: the :class:`~itsmhub.LookupCache` protocol."""

    async def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, JsonValue]:
        """The unexpired values among ``keys`` (a cached ``None`` is a known miss)."""
        now = self._now()
        found: dict[str, JsonValue] = {}
        async with self._connect(write=False) as conn:
            for part in chunks(sorted(set(keys))):
                query = select(lookup_cache.c.key, lookup_cache.c.value).where(
                    lookup_cache.c.namespace == namespace,
                    lookup_cache.c.key.in_(part),
                    lookup_cache.c.expires_at > now,
                )
                found.update({row.key: row.value for row in await conn.execute(query)})
        return found

    async def put_many(
        self, namespace: str, values: Mapping[str, JsonValue], ttl: timedelta
    ) -> None:
        """Store ``values`` until ``ttl`` from now (replacing what was there)."""
        if not values:
            return
        expires = self._now() + ttl
        upsert = self._insert(lookup_cache)
        upsert = upsert.on_conflict_do_update(
            index_elements=[lookup_cache.c.namespace, lookup_cache.c.key],
            set_={"value": upsert.excluded.value, "expires_at": upsert.excluded.expires_at},
        )
        rows = [
            {"namespace": namespace, "key": key, "value": value, "expires_at": expires}
            for key, value in values.items()
        ]
        async with self._connect() as conn:
            await conn.execute(upsert, rows)

    async def purge_cache(self) -> int:
        """Drop expired entries; return how many."""
        query = delete(lookup_cache).where(lookup_cache.c.expires_at <= self._now())
        async with self._connect() as conn:
            return int((await conn.execute(query)).rowcount or 0)
