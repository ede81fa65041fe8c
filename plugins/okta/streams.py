"""The four change feeds of the directory.

- ``users``: people by ``lastUpdated`` (search, sorted, so a checkpoint after every page
  is exact), with their groups; deprovisioned users included (``active = false``).
- ``groups``: groups renamed since the watermark: their members are read again, since
  their ``Person.groups`` names changed (membership changes come through the log).
- ``devices``: devices by ``lastUpdated`` with their users (``expand=user``).
- ``system_log``: a polling query on ``/api/v1/logs``; the users and devices its events
  name (deactivations, profile edits, memberships, device changes) are read again in
  batches and yielded fresh, so a change arrives without a full read. The ``next`` link
  is the cursor's token.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta

from itsmhub import (
    Checkpoint,
    Cursor,
    PullItem,
    PullRequest,
    RecordError,
    RecordKind,
    RejectedRecord,
    RemoteChange,
    Stream,
)

from . import mapping_defaults as defaults
from .client import OktaClient
from .mapping import (
    Named,
    Target,
    deleted_change,
    device_change,
    embedded_user_ids,
    format_time,
    parse_time,
    person_change,
)
from .reading import Memberships, devices_by_id, users_by_id

Resource = dict
#: Okta's search index is eventually consistent: re-read this far behind the watermark.
SEARCH_LAG = timedelta(minutes=2)
EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")

USERS = Stream(name="users", kinds=frozenset({RecordKind.PERSON}), overlap=SEARCH_LAG)
GROUPS = Stream(
    name="groups", kinds=frozenset({RecordKind.PERSON}), overlap=SEARCH_LAG, backfill=False
)
DEVICES = Stream(name="devices", kinds=frozenset({RecordKind.DEVICE}), overlap=SEARCH_LAG)
SYSTEM_LOG = Stream(
    name="system_log", kinds=frozenset({RecordKind.PERSON, RecordKind.DEVICE}), backfill=False
)


def _range(request: PullRequest) -> tuple[datetime | None, datetime | None]:
    cursor = request.cursor
    since = cursor.watermark if cursor is not None and cursor.watermark else request.since
    return since, request.until


def _lastupdated_search(since: datetime | None, until: datetime | None) -> str:
    terms = [f'lastUpdated ge "{format_time(since or EPOCH)}"']
    if until is not None:
        terms.append(f'lastUpdated lt "{format_time(until)}"')
    return " and ".join(terms)


class Streams:
    """Pulls for one connector: its client, where records map to, and the page size."""

    def __init__(
        self,
        client: OktaClient,
        target: Target,
        page_size: int,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self.target = target
        self.page_size = page_size
        self.clock = clock

    # --- people --------------------------------------------------------------------------

    async def people(
        self, users: list[Resource], memberships: Memberships, *, more: bool = False
    ) -> list[RemoteChange | RejectedRecord]:
        groups = await self.groups_of(users, memberships, more=more)
        return [self.person(user, groups) for user in managers_first(users)]

    async def groups_of(
        self, users: list[Resource], memberships: Memberships, *, more: bool = False
    ) -> dict[str, list[str]]:
        ids = [u["id"] for u in users if isinstance(u.get("id"), str)]
        return await memberships.of(ids, more=more)

    def person(self, user: Resource, groups: dict[str, list[str]]) -> RemoteChange | RejectedRecord:
        try:
            return person_change(self.target, user, groups.get(user.get("id"), []))
        except RecordError as exc:
            return _rejected(RecordKind.PERSON, user, str(exc))

    async def users(self, request: PullRequest) -> AsyncIterator[PullItem]:
        since, until = _range(request)
        params = {
            "search": _lastupdated_search(since, until),
            "sortBy": "lastUpdated",
            "sortOrder": "asc",
            "limit": self.page_size,
        }
        memberships = Memberships(self.client)
        async for page in self.client.pages("/api/v1/users", params, "user pages"):
            # Mapped one by one as the engine takes them, so it can turn the loop between.
            groups = await self.groups_of(page.items, memberships, more=page.next is not None)
            for user in managers_first(page.items):
                yield self.person(user, groups)
            stamps = [parse_time(u.get("lastUpdated")) for u in page.items]
            latest = max((s for s in stamps if s is not None), default=None)
            if latest is not None:
                yield Checkpoint(cursor=Cursor(watermark=latest))

    async def groups(self, request: PullRequest) -> AsyncIterator[PullItem]:
        """Members of groups renamed since the watermark, with their new group names."""
        started = self.clock()
        since, _ = _range(request)
        if since is None:  # the users stream reads everyone with their groups
            yield Checkpoint(cursor=Cursor(watermark=started))
            return
        params = {"filter": f'lastUpdated gt "{format_time(since)}"', "limit": 10000}
        member_ids: set[str] = set()
        async for page in self.client.pages("/api/v1/groups", params, "renamed groups"):
            for group in page.items:
                path = f"/api/v1/groups/{group['id']}/users"
                members = {"limit": defaults.GROUP_MEMBERS_PAGE_SIZE}
                async for chunk in self.client.pages(path, members, "group members"):
                    member_ids.update(str(u.get("id")) for u in chunk.items)
        users = await users_by_id(self.client, member_ids)
        for item in await self.people(list(users.values()), Memberships(self.client)):
            yield item
        yield Checkpoint(cursor=Cursor(watermark=started))

    # --- devices -------------------------------------------------------------------------

    def devices_of(self, devices: list[Resource]) -> list[RemoteChange | RejectedRecord]:
        return [self.device(device) for device in devices]

    def device(self, device: Resource) -> RemoteChange | RejectedRecord:
        try:
            return device_change(self.target, device, embedded_user_ids(device))
        except RecordError as exc:
            return _rejected(RecordKind.DEVICE, device, str(exc))

    async def devices(self, request: PullRequest) -> AsyncIterator[PullItem]:
        """Devices are listed by id, not by time: a page's checkpoint keeps the watermark
        where the read began, and only the last one moves it to when the read started, so
        an edit made mid-read is read again next time (the engine skips known versions)."""
        started = self.clock()
        since, until = _range(request)
        params = {
            "search": _lastupdated_search(since, until),
            "expand": "user",
            "limit": self.page_size,
        }
        async for page in self.client.pages("/api/v1/devices", params, "device pages"):
            for device in page.items:
                yield self.device(device)
            done = page.next is None
            mark = started if done else (since or EPOCH)
            if until is not None:
                mark = min(mark, until)
            yield Checkpoint(cursor=Cursor(watermark=mark))

    # --- the System Log ------------------------------------------------------------------

    async def system_log(self, request: PullRequest) -> AsyncIterator[PullItem]:
        cursor = request.cursor
        if cursor is not None and cursor.token:
            target, params = cursor.token, None
        else:
            since = cursor.watermark if cursor and cursor.watermark else self.clock()
            target = "/api/v1/logs"
            params = {
                "since": format_time(since),
                "sortOrder": "ASCENDING",
                "limit": defaults.LOG_PAGE_SIZE,
                "filter": " or ".join(f'eventType eq "{t}"' for t in defaults.LOG_EVENT_TYPES),
            }
        watermark = cursor.watermark if cursor else None
        while True:
            page = await self.client.page(target, params)
            named = Named.of(page.items)
            for item in await self._named(named):
                yield item
            stamps = [parse_time(e.get("published")) for e in page.items]
            watermark = max([s for s in stamps if s is not None], default=watermark)
            # A polling query always has a next link: it is where to ask next time.
            yield Checkpoint(cursor=Cursor(watermark=watermark, token=page.next))
            if page.next is None or len(page.items) < defaults.LOG_PAGE_SIZE:
                return
            target, params = page.next, None

    async def _named(self, named: Named) -> list[RemoteChange | RejectedRecord]:
        out: list[RemoteChange | RejectedRecord] = []
        if named.users:
            users = await users_by_id(self.client, named.users)
            out += await self.people(list(users.values()), Memberships(self.client))
            out += [
                deleted_change(RecordKind.PERSON, user_id, when)
                for user_id, when in named.users.items()
                if user_id not in users
            ]
        if named.devices:
            devices = await devices_by_id(self.client, named.devices)
            out += self.devices_of(list(devices.values()))
            out += [
                deleted_change(RecordKind.DEVICE, device_id, when)
                for device_id, when in named.devices.items()
                if device_id not in devices
            ]
        return out


def managers_first(users: list[Resource]) -> list[Resource]:
    """``users`` with everyone's manager (when in the list) before them: a ``managed_by``
    link to a person met earlier in a page resolves at once; one to a person of a later
    page waits for them (the engine parks it)."""
    by_id = {u["id"]: u for u in users if isinstance(u.get("id"), str)}
    placed: dict[str, None] = {}

    def place(user_id: str, chain: set[str]) -> None:
        if user_id in placed or user_id in chain:  # done, or a cycle of managers
            return
        profile = by_id[user_id].get("profile")
        manager = profile.get("managerId") if isinstance(profile, dict) else None
        if isinstance(manager, str) and manager in by_id:
            place(manager, chain | {user_id})
        placed[user_id] = None

    for user_id in by_id:
        place(user_id, set())
    return [by_id[i] for i in placed] + [u for u in users if not isinstance(u.get("id"), str)]


def _rejected(kind: RecordKind, resource: Resource, reason: str) -> RejectedRecord:
    remote_id = resource.get("id") if isinstance(resource.get("id"), str) else None
    return RejectedRecord(
        kind=kind,
        remote_id=remote_id,
        version=str(resource.get("lastUpdated") or "") or None,
        reason=reason,
        excerpt={k: resource.get(k) for k in ("id", "status", "lastUpdated")},
    )
