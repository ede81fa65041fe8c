"""Who a ticket's people are in Okta, asked in batches and kept in the hub's cache.

Per e-mail address the cache keeps a small profile (id, department, title, managerId);
per user id, their group names and device ids. Cold, a batch costs one user search per
25 addresses (``profile.email eq "…" or profile.login eq "…"``), plus, once per cache
lifetime, one read of every membership (by group) and one of every device (with its
users): far fewer calls than one per person. Warm, it costs none, across restarts too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from itsmhub import LookupCache

from . import mapping_defaults as defaults
from .client import OktaClient
from .mapping_defaults import MatchKey
from .reading import device_ids_by_user, group_names_by_user

#: Addresses per user search: two terms each (e-mail, login) keeps the URL near 2 kB.
ADDRESSES_PER_SEARCH = 25
PEOPLE = "okta:person"
GROUPS = "okta:groups-of"
DEVICES = "okta:devices-of"
SWEPT = "okta:swept"


class Profile(BaseModel):
    """What the enricher needs of one Okta user."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    id: str
    login: str | None = None
    email: str | None = None
    department: str | None = None
    title: str | None = None
    manager_id: str | None = None


def _searchable(address: str) -> bool:
    # A quote or backslash would end the search term early; no real address has one.
    return bool(address) and '"' not in address and "\\" not in address


def search_expressions(addresses: Sequence[str], keys: Sequence[MatchKey]) -> list[str]:
    """``profile.email eq "a" or profile.login eq "a" or …``, 25 addresses a query."""
    out = []
    for start in range(0, len(addresses), ADDRESSES_PER_SEARCH):
        chunk = addresses[start : start + ADDRESSES_PER_SEARCH]
        out.append(" or ".join(f'profile.{k} eq "{a}"' for a in chunk for k in keys))
    return out


class Lookups:
    """Batched, cached lookups against one org."""

    def __init__(
        self,
        client: OktaClient,
        cache: LookupCache,
        *,
        ttl: timedelta,
        match_by: Sequence[MatchKey],
        department_attribute: str = defaults.DEPARTMENT_ATTRIBUTE,
    ) -> None:
        self.client = client
        self.cache = cache
        self.ttl = ttl
        self.match_by = list(match_by)
        self.department_attribute = department_attribute

    async def people(self, addresses: Iterable[str]) -> dict[str, Profile]:
        """Profiles by lower-cased address; addresses Okta does not know are left out."""
        wanted = sorted({a.strip().lower() for a in addresses if _searchable(a.strip())})
        cached = await self.cache.get_many(PEOPLE, wanted)
        found = {
            a: Profile.model_validate(v)
            for a, v in cached.items()
            if isinstance(v, dict) and v.get("id")
        }
        missing = [a for a in wanted if a not in cached]
        if missing:
            fresh = await self._search(missing)
            stored: dict[str, JsonValue] = {
                a: fresh[a].model_dump() if a in fresh else {"missing": True} for a in missing
            }
            await self.cache.put_many(PEOPLE, stored, self.ttl)
            found.update(fresh)
        return found

    async def _search(self, addresses: list[str]) -> dict[str, Profile]:
        matches: dict[str, dict[MatchKey, Profile]] = defaultdict(dict)
        asked = set(addresses)
        for expression in search_expressions(addresses, self.match_by):
            params = {"search": expression, "limit": 200}
            async for page in self.client.pages("/api/v1/users", params, "people by address"):
                for user in page.items:
                    profile = self._profile(user)
                    for key in self.match_by:
                        value = str((user.get("profile") or {}).get(key) or "").lower()
                        if value in asked:
                            matches[value][key] = profile
        # An address is a person's e-mail before it is someone else's login (match_by order).
        return {
            address: next(by_key[k] for k in self.match_by if k in by_key)
            for address, by_key in matches.items()
        }

    def _profile(self, user: dict[str, Any]) -> Profile:
        profile = user.get("profile") or {}
        return Profile(
            id=str(user["id"]),
            login=profile.get("login"),
            email=profile.get("email"),
            department=profile.get(self.department_attribute),
            title=profile.get("title"),
            manager_id=profile.get("managerId"),
        )

    async def groups_of(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        return await self._per_user(GROUPS, user_ids, lambda: group_names_by_user(self.client))

    async def devices_of(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        return await self._per_user(DEVICES, user_ids, lambda: device_ids_by_user(self.client))

    async def _per_user(
        self,
        namespace: str,
        user_ids: Sequence[str],
        sweep: Callable[[], Awaitable[dict[str, list[str]]]],
    ) -> dict[str, list[str]]:
        """Cached lists by user id; on a miss, one sweep of the whole org fills the cache
        (and marks it swept, so a person absent from it has none until the TTL ends)."""
        ids = sorted(set(user_ids))
        cached = await self.cache.get_many(namespace, ids)
        out = {u: [str(v) for v in cached[u]] for u in ids if isinstance(cached.get(u), list)}
        missing = [u for u in ids if u not in out]
        if not missing:
            return out
        swept = await self.cache.get_many(SWEPT, [namespace])
        if namespace not in swept:
            everyone = await sweep()
            await self.cache.put_many(namespace, dict(everyone), self.ttl)
            await self.cache.put_many(SWEPT, {namespace: True}, self.ttl)
            out.update({u: list(everyone.get(u, [])) for u in missing})
        else:
            out.update({u: [] for u in missing})
        return out
