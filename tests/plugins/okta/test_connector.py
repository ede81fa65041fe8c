"""The Okta connector against its emulator, every answer checked against Okta's own
description: the streams, the System Log keeping people and devices current, fetch,
check, and event hook deliveries."""

from __future__ import annotations

import json
from typing import Any

import pytest

from itsmhub import (
    Checkpoint,
    Cursor,
    PullRequest,
    RecordKind,
    RemoteChange,
    WebhookRejected,
    WebhookRequest,
    utcnow,
)
from itsmhub.emulation import Fault
from itsmhub_okta.emulator import Org, seed_org
from itsmhub_okta.streams import DEVICES, GROUPS, SYSTEM_LOG, USERS

pytestmark = pytest.mark.anyio
HOOK_SECRET = "hook-shared-secret"


async def pull(connector: Any, stream: Any, cursor: Cursor | None = None) -> list[Any]:
    return [item async for item in connector.pull(PullRequest(stream=stream, cursor=cursor))]


def changes(items: list[Any]) -> dict[str, RemoteChange]:
    return {i.remote_id: i for i in items if isinstance(i, RemoteChange)}


def last_cursor(items: list[Any]) -> Cursor:
    return [i for i in items if isinstance(i, Checkpoint)][-1].cursor


async def test_a_full_read_brings_people_with_groups_and_devices_with_users(
    org: Org, connect, checked
) -> None:
    seed_org(org, 3, people=30)
    async with connect(page_size=10) as connector:
        people = changes(await pull(connector, USERS))
        devices = changes(await pull(connector, DEVICES))
    assert len(people) == 30  # deprovisioned ones too: they become inactive people
    gone = [c for c in people.values() if not c.record.active]
    assert gone and all(org.users[c.remote_id]["status"] == "DEPROVISIONED" for c in gone)
    some = next(c.record for c in people.values() if c.record.links)
    user = org.users[some.refs[0].remote_id]
    assert some.groups == sorted(g["profile"]["name"] for g in org.groups_of(user["id"]))
    assert some.links[0].target_ref.remote_id == user["profile"]["managerId"]
    assert len(devices) == len(org.devices)
    laptop = next(iter(devices.values())).record
    owner = org.device_user_ids(laptop.refs[0].remote_id)
    assert [k.target_ref.remote_id for k in laptop.links] == owner
    # Memberships were read per group, not per person.
    assert checked.checked["GET /api/v1/users"] == 3
    assert not any(key.endswith("/groups") and "/users/" in key for key in checked.checked)


async def test_the_system_log_yields_fresh_people_and_devices_its_events_name(
    org: Org, connect, checked
) -> None:
    seed_org(org, 5, people=12)
    async with connect() as connector:
        start = await pull(connector, SYSTEM_LOG)  # the first poll starts at now
        assert changes(start) == {}
        cursor = last_cursor(start)
        assert cursor.token and cursor.token.startswith("/api/v1/logs?")
        users = [u for u in org.users.values() if u["status"] == "ACTIVE"]
        mover, leaver, joiner = users[1], users[2], users[3]
        org.update_user(mover["id"], department="Finance")
        org.set_user_status(leaver["id"], "DEPROVISIONED")
        vpn = next(g for g in org.groups.values() if g["profile"]["name"] == "VPN Users")
        org.remove_member(vpn["id"], joiner["id"])
        org.add_member(vpn["id"], joiner["id"])
        laptop = next(d for d in org.devices.values() if org.device_user_ids(d["id"]))
        org.set_device_status(laptop["id"], "SUSPENDED")
        gone = users[4]
        org.delete_user(gone["id"])
        items = await pull(connector, SYSTEM_LOG, cursor)
        again = await pull(connector, SYSTEM_LOG, last_cursor(items))
    found = changes(items)
    assert found[mover["id"]].record.department == "Finance"
    assert found[leaver["id"]].record.active is False
    assert "VPN Users" in found[joiner["id"]].record.groups
    assert found[laptop["id"]].record.status == "SUSPENDED"
    assert found[gone["id"]].deleted
    assert changes(again) == {}  # nothing new since
    # Fetched in batches: one user search and one device search for the whole page.
    assert checked.checked["GET /api/v1/devices"] == 1


async def test_the_users_stream_resumes_from_its_watermark(org: Org, connect) -> None:
    seed_org(org, 2, people=8, devices=False)
    async with connect() as connector:
        first = await pull(connector, USERS)
        someone = next(iter(org.users))
        org.update_user(someone, title="Staff Engineer")
        again = changes(await pull(connector, USERS, last_cursor(first)))
    assert again[someone].record.title == "Staff Engineer"
    assert len(again) <= 2  # the boundary and the edit, not everyone


async def test_a_renamed_group_reaches_its_members(org: Org, connect) -> None:
    seed_org(org, 2, people=8, devices=False)
    async with connect() as connector:
        cursor = last_cursor(await pull(connector, GROUPS))
        group = next(g for g in org.groups.values() if g["profile"]["name"] == "Everyone")
        org.rename_group(group["id"], "All Staff")
        found = changes(await pull(connector, GROUPS, cursor))
    assert set(found) == set(org.members[group["id"]])
    assert all("All Staff" in c.record.groups for c in found.values())


async def test_fetch_reads_one_person_or_device_or_none(org: Org, connect) -> None:
    user = org.add_user("Grace", "Hopper", department="Engineering")
    device = org.add_device("Grace's laptop", serial_number="SN1", users=[user["id"]])
    async with connect() as connector:
        person = await connector.fetch(RecordKind.PERSON, user["profile"]["login"])
        laptop = await connector.fetch(RecordKind.DEVICE, device["id"])
        missing = await connector.fetch(RecordKind.PERSON, "00unobody")
    assert person.remote_id == user["id"] and person.record.department == "Engineering"
    assert laptop.record.serial_number == "SN1"
    assert [k.target_ref.remote_id for k in laptop.record.links] == [user["id"]]
    assert missing is None


async def test_check_names_the_scope_a_refusal_lacks(org: Org, connect) -> None:
    async with connect() as connector:
        assert (await connector.check()).ok
        org.controls.faults.inject(Fault(status=403, path="/api/v1/devices"))
        result = await connector.check()
    failed = [i for i in result.items if not i.ok]
    assert [i.name for i in failed] == ["read devices"]
    assert "okta.devices.read" in (failed[0].fix or "")


async def test_check_reports_bad_credentials(org: Org, connect) -> None:
    org.api_tokens = {"another"}
    async with connect() as connector:
        result = await connector.check()
    assert [(i.name, i.ok) for i in result.items] == [("auth", False)]


def request(method: str = "POST", body: Any = None, **headers: str) -> WebhookRequest:
    raw = json.dumps(body).encode() if body is not None else b""
    return WebhookRequest(method=method, headers=headers, body=raw, received_at=utcnow())


async def test_event_hooks_answer_the_challenge_and_read_deliveries(org: Org, connect) -> None:
    async with connect() as connector:
        reply = connector.verify_webhook(
            request(
                "GET", None, Authorization=HOOK_SECRET, **{"X-Okta-Verification-Challenge": "c1"}
            )
        )
        assert reply.challenge == {"verification": "c1"}
        user = org.add_user("Ada", "Lovelace")
        events = org.events[-2:]
        delivery = {"eventType": "com.okta.event_hook", "data": {"events": events}}
        reply = connector.verify_webhook(request(body=delivery, Authorization=HOOK_SECRET))
    assert {(e.kind, e.remote_id) for e in reply.events} == {(RecordKind.PERSON, user["id"])}
    assert len({e.delivery_id for e in reply.events}) == 2  # one per event


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "wrong"}, {"Authorization": HOOK_SECRET + "x"}],
)
async def test_deliveries_without_the_shared_value_are_refused(connect, headers) -> None:
    async with connect() as connector:
        with pytest.raises(WebhookRejected):
            connector.verify_webhook(request(body={"data": {"events": []}}, **headers))


async def test_malformed_or_unconfigured_deliveries_are_refused(connect) -> None:
    async with connect() as connector:
        with pytest.raises(WebhookRejected, match="not an Okta"):
            connector.verify_webhook(request(body=["x"], Authorization=HOOK_SECRET))
        with pytest.raises(WebhookRejected, match="Verification"):
            connector.verify_webhook(request("GET", None, Authorization=HOOK_SECRET))
    async with connect(event_hook_secret=None) as connector:
        with pytest.raises(WebhookRejected, match="event_hook_secret"):
            connector.verify_webhook(request(body={}, Authorization=HOOK_SECRET))
