"""Who a ticket's people are in Okta, asked in batches and kept in the hub's cache.

Per e-mail address the cache keeps a small profile (id, department, title, managerId);
per user id, their group names and device ids. Cold, a batch costs one user search per
25 addresses (``profile.email eq "…" or profile.login eq "…"``), plus, once per cache
lifetime, one read of every membership (by group) and one of every device (with its
users): far fewer calls than one per person. Warm, it costs none, across restarts too.

When the directory says people changed (``forget``), what the cache holds of them is
dropped, or replaced by what the directory sync just read (their groups); the few people
missing from a swept cache afterwards are read one call each.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, JsonValue

from itsmhub import LookupCache, Person

from . import mapping_defaults as defaults
from .client import OktaClient
from .mapping_defaults import MatchKey
from .reading import device_sweep, group_names_by_user

#: Addresses per user search: two terms each (e-mail, login) keeps the URL near 2 kB.
ADDRESSES_PER_SEARCH = 25
PEOPLE = "okta:person"
GROUPS = "okta:groups-of"
DEVICES = "okta:devices-of"
SERIALS = "okta:device-by-serial"
SWEPT = "okta:swept"
#: A word that may be a device's serial number: 7 to 20 letters and digits, both present
#: (Apple's 10–12, Dell's 7-character service tags, Lenovo's 8).
SERIAL = re.compile(r"\b(?=[A-Za-z]*\d)(?=\d*[A-Za-z])[A-Za-z0-9]{7,20}\b")
#: Serial-like words looked up per ticket, at most (logs pasted in a description).
SERIALS_PER_TICKET = 20
#: Up to this many people missing from a swept cache are read one call each; more, and
#: one sweep of the org is cheaper.
ONE_BY_ONE = 25


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


def serial_words(text: str) -> list[str]:
    """The words of ``text`` that may be serial numbers, upper case, in order, once each."""
    found = dict.fromkeys(m.group(0).upper() for m in SERIAL.finditer(text))
    return list(found)[:SERIALS_PER_TICKET]


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
        return await self._per_user(
            GROUPS, user_ids, lambda: group_names_by_user(self.client), self._groups_of_one
        )

    async def devices_of(self, user_ids: Sequence[str]) -> dict[str, list[str]]:
        return await self._per_user(DEVICES, user_ids, self._sweep_devices, self._devices_of_one)

    async def _sweep_devices(self) -> dict[str, list[str]]:
        by_user, by_serial = await device_sweep(self.client)
        await self.cache.put_many(SERIALS, dict(by_serial), self.ttl)
        await self.cache.put_many(SWEPT, {SERIALS: True}, self.ttl)
        return by_user

    async def devices_named(self, texts: Mapping[str, str]) -> dict[str, tuple[str, str]]:
        """For each text (by key) that names a device of the org by its serial number, the
        device's Okta id and that serial (the first named, in text order). Serial numbers
        come from the device sweep, cached like the rest."""
        words = {key: serial_words(text) for key, text in texts.items()}
        wanted = sorted({w for found in words.values() for w in found})
        if not wanted:
            return {}
        if SERIALS not in await self.cache.get_many(SWEPT, [SERIALS]):
            everyone = await self._sweep_devices()
            await self.cache.put_many(DEVICES, dict(everyone), self.ttl)
            await self.cache.put_many(SWEPT, {DEVICES: True}, self.ttl)
        known = await self.cache.get_many(SERIALS, wanted)
        named = {}
        for key, found in words.items():
            serial = next((w for w in found if isinstance(known.get(w), str)), None)
            if serial is not None:
                named[key] = (str(known[serial]), serial)
        return named

    async def learn_devices(self, serials: Mapping[str, str]) -> None:
        """Serial numbers (upper case) of devices the directory just read → their ids."""
        if serials:
            await self.cache.put_many(SERIALS, dict(serials), self.ttl)

    async def _per_user(
        self,
        namespace: str,
        user_ids: Sequence[str],
        sweep: Callable[[], Awaitable[dict[str, list[str]]]],
        one: Callable[[str], Awaitable[list[str]]],
    ) -> dict[str, list[str]]:
        """Cached lists by user id. On a miss, one sweep of the whole org fills the cache
        (people absent from it have none); once swept, a few people missing (new since
        the sweep, or forgotten because they changed) are read one by one, many by a new
        sweep."""
        ids = sorted(set(user_ids))
        cached = await self.cache.get_many(namespace, ids)
        out = {u: [str(v) for v in cached[u]] for u in ids if isinstance(cached.get(u), list)}
        missing = [u for u in ids if u not in out]
        if not missing:
            return out
        swept = await self.cache.get_many(SWEPT, [namespace])
        if namespace in swept and len(missing) <= ONE_BY_ONE:
            fresh = {u: await one(u) for u in missing}
        else:
            everyone = await sweep()
            await self.cache.put_many(namespace, dict(everyone), self.ttl)
            await self.cache.put_many(SWEPT, {namespace: True}, self.ttl)
            fresh = {u: list(everyone.get(u, [])) for u in missing}
        await self.cache.put_many(namespace, dict(fresh), self.ttl)
        out.update(fresh)
        return out

    async def _groups_of_one(self, user_id: str) -> list[str]:
        page = await self.client.page(f"/api/v1/users/{user_id}/groups")
        return sorted(
            str(g["profile"]["name"]) for g in page.items if isinstance(g.get("profile"), dict)
        )

    async def _devices_of_one(self, user_id: str) -> list[str]:
        page = await self.client.page(f"/api/v1/users/{user_id}/devices")
        return sorted(
            str(entry["device"]["id"])
            for entry in page.items
            if isinstance(entry.get("device"), dict) and entry["device"].get("id")
        )

    async def forget(self, people: Sequence[tuple[str, Person]]) -> None:
        """People the directory changed, with their Okta user ids: their profiles are
        searched again next time, their devices read again, and their groups are taken
        from the directory record itself (read from Okta a moment ago)."""
        if not people:
            return
        addresses = {
            value.strip().lower()
            for _, person in people
            for value in (person.email, person.login)
            if value
        }
        # The LookupCache has no delete: an entry that expires now is gone for readers.
        await self.cache.put_many(PEOPLE, dict.fromkeys(sorted(addresses)), timedelta(0))
        await self.cache.put_many(DEVICES, {u: None for u, _ in people}, timedelta(0))
        groups: dict[str, JsonValue] = {u: list(p.groups) for u, p in people}
        await self.cache.put_many(GROUPS, groups, self.ttl)
