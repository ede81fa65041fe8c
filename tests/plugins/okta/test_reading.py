"""The membership sweep: every group's members read, several groups at once, and a
failure raised as itself rather than inside an exception group."""

from __future__ import annotations

from datetime import UTC, datetime

import anyio
import httpx
import pytest
from pydantic import SecretStr

from itsmhub import ConnectorContext, HttpSettings, TransientError
from itsmhub.testing import RecordingSleep
from itsmhub_okta.client import OktaClient
from itsmhub_okta.emulator import Org, build_app
from itsmhub_okta.reading import SWEEP_CONCURRENCY, group_names_by_user

from .conftest import TOKEN, settings

pytestmark = pytest.mark.anyio


class HeldMembers(httpx.AsyncBaseTransport):
    """Holds each request for a group's members until ``count`` of them are waiting:
    a sweep that asks one group after another never gets an answer (and fails in time)."""

    def __init__(self, inner: httpx.AsyncBaseTransport, count: int) -> None:
        self.inner, self.count = inner, count
        self.waiting = 0
        self.released = anyio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.startswith("/api/v1/groups/"):
            self.waiting += 1
            if self.waiting >= self.count:
                self.released.set()
            with anyio.fail_after(10):
                await self.released.wait()
        return await self.inner.handle_async_request(request)


def client_on(transport: httpx.AsyncBaseTransport, org: Org) -> OktaClient:
    context = ConnectorContext(
        http=HttpSettings(max_attempts=1),
        resolve_secret=lambda ref: SecretStr(TOKEN),
        transport=transport,
        clock=org.clock,
    )
    return OktaClient(settings(), context, sleep=RecordingSleep())


def org_with_groups(count: int) -> tuple[Org, dict[str, list[str]]]:
    org = Org(clock=lambda: datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    people = [org.add_user(f"Person{n}", "Tester")["id"] for n in range(count * 2)]
    expected: dict[str, list[str]] = {}
    for n in range(count):
        group = org.add_group(f"Team {n:02}")
        for user_id in people[n : n + 3]:  # overlapping memberships
            org.add_member(group["id"], user_id)
            expected.setdefault(user_id, []).append(f"Team {n:02}")
    return org, {user_id: sorted(names) for user_id, names in expected.items()}


async def test_the_sweep_reads_several_groups_members_at_once() -> None:
    org, expected = org_with_groups(SWEEP_CONCURRENCY * 2)
    held = HeldMembers(httpx.ASGITransport(app=build_app(org)), SWEEP_CONCURRENCY)
    client = client_on(held, org)
    try:
        found = await group_names_by_user(client)
    finally:
        await client.aclose()
    assert found == expected


async def test_a_failed_members_read_is_raised_as_itself() -> None:
    org, _ = org_with_groups(SWEEP_CONCURRENCY * 2)
    inner = httpx.ASGITransport(app=build_app(org))
    refused = next(g["id"] for g in org.groups.values() if g["profile"]["name"] == "Team 03")

    async def refuse_one_group(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/api/v1/groups/{refused}/users":
            return httpx.Response(503, json={"errorCode": "E0000009"})
        return await inner.handle_async_request(request)

    client = client_on(httpx.MockTransport(refuse_one_group), org)
    try:
        with pytest.raises(TransientError, match="503"):
            await group_names_by_user(client)
    finally:
        await client.aclose()
