"""Okta users and devices → Person and Device (pure functions)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from itsmhub import LinkKind, RecordError, RecordKind
from itsmhub_okta.mapping import (
    Named,
    Target,
    deleted_change,
    device_change,
    format_time,
    parse_time,
    person_change,
    to_device,
    to_person,
)

TARGET = Target(system="idp", org_url="https://acme.okta.com", department_attribute="department")
USER = {
    "id": "00u1",
    "status": "ACTIVE",
    "created": "2025-01-02T03:04:05.000Z",
    "lastUpdated": "2026-03-01T12:00:00.123Z",
    "profile": {
        "login": "ada@acme.example",
        "email": "Ada@Acme.example",
        "firstName": "Ada",
        "lastName": "Lovelace",
        "department": "Engineering",
        "costCenter": "R&D",
        "title": "Engineer",
        "managerId": "00u0",
    },
}
DEVICE = {
    "id": "guo1",
    "status": "SUSPENDED",
    "created": "2025-01-02T03:04:05.000Z",
    "lastUpdated": "2026-03-01T12:00:00.000Z",
    "profile": {
        "displayName": "Ada's MacBook",
        "platform": "MACOS",
        "serialNumber": "C02X",
        "osVersion": "14.5",
        "registered": True,
    },
    "_embedded": {"users": [{"user": {"id": "00u2"}}, {"user": {"id": "00u1"}}]},
}


def test_a_user_becomes_a_person_with_a_manager_link_to_a_ref() -> None:
    person = to_person(TARGET, USER, ["VPN Users", "Everyone"])
    assert (person.display_name, person.email, person.login) == (
        "Ada Lovelace",
        "Ada@Acme.example",
        "ada@acme.example",
    )
    assert (person.department, person.title, person.active) == ("Engineering", "Engineer", True)
    assert person.groups == ["Everyone", "VPN Users"]
    [link] = person.links
    assert link.kind is LinkKind.MANAGED_BY and link.target_id is None
    assert link.target_ref is not None and link.target_ref.model_dump(exclude_none=True) == {
        "system": "idp",
        "remote_id": "00u0",
    }
    assert person.refs[0].key == "ada@acme.example"
    assert person.updated_at == datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=UTC)


def test_the_department_attribute_is_configurable_and_statuses_map_to_active() -> None:
    target = Target(system="idp", org_url="https://x", department_attribute="costCenter")
    gone = {**USER, "status": "DEPROVISIONED"}
    person = to_person(target, gone, [])
    assert (person.department, person.active) == ("R&D", False)
    assert to_person(TARGET, {**USER, "status": "LOCKED_OUT"}, []).active


def test_a_person_without_any_name_is_refused() -> None:
    with pytest.raises(RecordError, match="no name"):
        to_person(TARGET, {**USER, "profile": {}}, [])
    with pytest.raises(RecordError, match="without an id"):
        to_person(TARGET, {"profile": USER["profile"]}, [])


def test_a_device_has_its_users_as_used_by_links() -> None:
    device = to_device(TARGET, DEVICE, ["00u1", "00u2"])
    assert (device.name, device.serial_number, device.platform, device.os_version) == (
        "Ada's MacBook",
        "C02X",
        "MACOS",
        "14.5",
    )
    assert (device.status, device.active) == ("SUSPENDED", False)
    assert [(k.kind, k.target_ref.remote_id) for k in device.links if k.target_ref] == [
        (LinkKind.USED_BY, "00u1"),
        (LinkKind.USED_BY, "00u2"),
    ]


def test_versions_move_when_groups_or_device_users_change_but_not_their_order() -> None:
    first = person_change(TARGET, USER, ["a", "b"])
    assert first.version == person_change(TARGET, USER, ["b", "a"]).version
    assert first.version != person_change(TARGET, USER, ["a"]).version
    assert first.links_complete and first.kind is RecordKind.PERSON
    one = device_change(TARGET, DEVICE, ["00u1"])
    assert one.version != device_change(TARGET, DEVICE, ["00u1", "00u2"]).version


def test_deleted_changes_and_times() -> None:
    when = datetime(2026, 3, 1, 12, 0, 0, 5000, tzinfo=UTC)
    gone = deleted_change(RecordKind.DEVICE, "guo1", when)
    assert (
        gone.deleted and gone.record is None and gone.version == "deleted@2026-03-01T12:00:00.005Z"
    )
    assert format_time(when) == "2026-03-01T12:00:00.005Z"
    assert parse_time("nonsense") is None and parse_time(None) is None


def test_events_name_the_users_and_devices_to_read_again() -> None:
    events = [
        {
            "published": "2026-03-01T12:00:00.000Z",
            "target": [{"id": "00u1", "type": "User"}, {"id": "00g1", "type": "UserGroup"}],
        },
        {"published": "2026-03-01T12:05:00.000Z", "target": [{"id": "00u1", "type": "User"}]},
        {"published": "2026-03-01T12:06:00.000Z", "target": [{"id": "guo1", "type": "Device"}]},
        {"published": "bad", "target": "not a list"},
    ]
    named = Named.of(events)
    assert list(named.users) == ["00u1"] and list(named.devices) == ["guo1"]
    assert named.users["00u1"] == datetime(2026, 3, 1, 12, 5, tzinfo=UTC)


def test_a_page_of_users_puts_managers_before_their_reports() -> None:
    from itsmhub_okta.streams import managers_first

    def user(user_id: str, manager: str | None = None) -> dict:
        return {"id": user_id, "profile": {"managerId": manager} if manager else {}}

    users = [user("a", "b"), user("b", "c"), user("x", "a"), user("c"), user("d", "outside")]
    assert [u["id"] for u in managers_first(users)] == ["c", "b", "a", "x", "d"]
    looped = [user("p", "q"), user("q", "p"), {"profile": {}}]  # a cycle, and no id
    assert [u.get("id") for u in managers_first(looped)] == ["q", "p", None]
