"""Reading the directory in as few calls as Okta allows: group memberships by group,
users and devices by id in batches (vendor-apis.md §5.2, sync-guarantees C.2).

Memberships are read per group (``/groups/{id}/users``, 1,000 a page) rather than per
user (``/users/{id}/groups``, one call each): an org has far fewer groups than people,
so a full read costs 1 + Σ⌈members/1000⌉ calls instead of one per person. For a handful
of people (a System Log page) the per-user call is cheaper, and is used instead.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import anyio

from itsmhub import ItsmhubError

from . import mapping_defaults as defaults
from .client import OktaClient
from .mapping import embedded_user_ids

Resource = dict[str, Any]

#: Ids per ``search=id eq "…" or …`` query: keeps the URL near 2 kB (Okta documents no
#: limit on the expression; 50 is a guess at what every proxy on the way accepts).
IDS_PER_SEARCH = 50
#: From this many people on, reading every membership by group is cheaper than one
#: ``/users/{id}/groups`` call per person (for orgs with up to ~this many groups).
SWEEP_FROM = 25
#: Groups whose members a sweep reads at once: Okta allows ~75 concurrent transactions
#: an org (vendor-apis.md §5); a few in flight keep the sweep from waiting call by call
#: while leaving the rest of the org's budget to its other clients.
SWEEP_CONCURRENCY = 4


def id_searches(ids: Iterable[str]) -> list[str]:
    """``id eq "a" or id eq "b" …`` expressions covering ``ids``."""
    unique = sorted(set(ids))
    return [
        " or ".join(f'id eq "{i}"' for i in unique[start : start + IDS_PER_SEARCH])
        for start in range(0, len(unique), IDS_PER_SEARCH)
    ]


class Memberships:
    """Group names by user id, read once per pull (by group) or per user when few."""

    def __init__(self, client: OktaClient) -> None:
        self.client = client
        self.by_user: dict[str, list[str]] | None = None

    async def sweep(self) -> None:
        self.by_user = await group_names_by_user(self.client)

    async def of(self, user_ids: Sequence[str], *, more: bool = False) -> dict[str, list[str]]:
        """The group names of each user; ``more`` says further pages follow (a full read),
        where one sweep serves every page."""
        if self.by_user is None and (more or len(user_ids) >= SWEEP_FROM):
            await self.sweep()
        if self.by_user is not None:
            return {u: sorted(self.by_user.get(u, [])) for u in user_ids}
        out = {}
        for user_id in user_ids:
            page = await self.client.page(f"/api/v1/users/{user_id}/groups")
            out[user_id] = sorted(
                str(g["profile"]["name"]) for g in page.items if isinstance(g.get("profile"), dict)
            )
        return out


async def users_by_id(client: OktaClient, ids: Iterable[str]) -> dict[str, Resource]:
    """Users by id, ``IDS_PER_SEARCH`` a call (deleted ones are left out)."""
    found: dict[str, Resource] = {}
    for expression in id_searches(ids):
        async for page in client.pages(
            "/api/v1/users", {"search": expression, "limit": 200}, "users by id"
        ):
            found.update({u["id"]: u for u in page.items if isinstance(u.get("id"), str)})
    return found


async def devices_by_id(client: OktaClient, ids: Iterable[str]) -> dict[str, Resource]:
    """Devices with their users (``expand=user``) by id, ``IDS_PER_SEARCH`` a call."""
    found: dict[str, Resource] = {}
    for expression in id_searches(ids):
        params = {"search": expression, "limit": 200, "expand": "user"}
        async for page in client.pages("/api/v1/devices", params, "devices by id"):
            found.update({d["id"]: d for d in page.items if isinstance(d.get("id"), str)})
    return found


async def group_names_by_user(client: OktaClient) -> dict[str, list[str]]:
    """Every membership of the org, by user id: 1 + Σ⌈members/1000⌉ calls, the members
    of ``SWEEP_CONCURRENCY`` groups read at once (each call's wait hides another's)."""
    groups: list[Resource] = []
    async for page in client.pages("/api/v1/groups", {"limit": 10000}, "group pages"):
        groups += page.items
    found: dict[str, list[str]] = defaultdict(list)
    failures: list[ItsmhubError] = []
    limiter = anyio.CapacityLimiter(SWEEP_CONCURRENCY)

    async def members_of(group: Resource, scope: anyio.CancelScope) -> None:
        name = str((group.get("profile") or {}).get("name") or group["id"])
        path = f"/api/v1/groups/{group['id']}/users"
        params = {"limit": defaults.GROUP_MEMBERS_PAGE_SIZE}
        async with limiter:
            try:
                async for members in client.pages(path, params, f"members of {name}"):
                    for user in members.items:
                        found[str(user.get("id"))].append(name)
            except ItsmhubError as exc:  # raised plainly below, not in an exception group
                failures.append(exc)
                scope.cancel()

    async with anyio.create_task_group() as group:
        for each in groups:
            group.start_soon(members_of, each, group.cancel_scope)
    if failures:
        raise failures[0]
    return {user_id: sorted(names) for user_id, names in found.items()}


async def device_sweep(client: OktaClient) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Every device of the org with its users (``expand=user``): device ids by user id,
    and device ids by serial number (upper case); ⌈devices/200⌉ calls."""
    by_user: dict[str, list[str]] = defaultdict(list)
    by_serial: dict[str, str] = {}
    params = {"expand": "user", "limit": defaults.PAGE_SIZE}
    async for page in client.pages("/api/v1/devices", params, "device pages"):
        for device in page.items:
            for user_id in embedded_user_ids(device):
                by_user[user_id].append(str(device["id"]))
            serial = (device.get("profile") or {}).get("serialNumber")
            if isinstance(serial, str) and serial.strip():
                by_serial[serial.strip().upper()] = str(device["id"])
    return {user_id: sorted(ids) for user_id, ids in by_user.items()}, by_serial
