"""Okta users and devices → the neutral ``Person`` and ``Device``: pure functions.

A person's manager and a device's users are links to their refs in this connector
(``target_ref``), never hub ids: the engine resolves them. Versions include what the
record gets from other resources (a person's group names, a device's user ids), because
a group change does not move a user's ``lastUpdated``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from itsmhub import (
    Device,
    ExternalRef,
    Link,
    LinkKind,
    Person,
    RecordError,
    RecordKind,
    RemoteChange,
)

from . import mapping_defaults as defaults

Resource = dict[str, Any]


@dataclass(frozen=True)
class Target:
    """Where records are mapped to: the connector's name and the org's settings."""

    system: str
    org_url: str
    department_attribute: str = defaults.DEPARTMENT_ATTRIBUTE


def parse_time(value: Any) -> datetime | None:
    """Okta's ``2026-03-01T12:00:00.000Z``; None when absent or unreadable."""
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def format_time(when: datetime) -> str:
    """A time as Okta's search expressions take it (UTC, milliseconds, ``Z``)."""
    moment = when.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _digest(values: Iterable[str]) -> str:
    joined = "\n".join(sorted(values)).encode()
    return hashlib.sha256(joined).hexdigest()[:12]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _required(resource: Resource, kind: str) -> tuple[str, datetime]:
    remote_id = _text(resource.get("id"))
    updated = parse_time(resource.get("lastUpdated"))
    if remote_id is None or updated is None:
        raise RecordError(f"an Okta {kind} without an id or lastUpdated cannot be read")
    return remote_id, updated


def user_version(user: Resource, groups: Sequence[str]) -> str:
    return f"{user.get('lastUpdated')}#{_digest(groups)}"


def device_version(device: Resource, user_ids: Sequence[str]) -> str:
    return f"{device.get('lastUpdated')}#{_digest(user_ids)}"


def display_name(profile: Resource) -> str | None:
    named = _text(profile.get("displayName"))
    if named:
        return named
    parts = [_text(profile.get("firstName")), _text(profile.get("lastName"))]
    joined = " ".join(p for p in parts if p)
    return joined or _text(profile.get("login")) or _text(profile.get("email"))


def to_person(target: Target, user: Resource, groups: Sequence[str]) -> Person:
    """A user with the names of their groups; ``managerId`` becomes a ``managed_by`` link."""
    remote_id, updated = _required(user, "user")
    profile = user.get("profile") if isinstance(user.get("profile"), dict) else {}
    name = display_name(profile)
    if name is None:
        raise RecordError(f"Okta user {remote_id} has no name, login or e-mail")
    login = _text(profile.get("login"))
    ref = ExternalRef(
        system=target.system,
        remote_id=remote_id,
        key=login,
        url=f"{target.org_url}/admin/user/profile/view/{remote_id}",
        remote_type="user",
    )
    links = []
    manager = _text(profile.get("managerId"))
    if manager and manager != remote_id:
        links.append(
            Link(
                kind=LinkKind.MANAGED_BY,
                target_ref=ExternalRef(system=target.system, remote_id=manager),
                origin=target.system,
                reason="the user's managerId in Okta",
            )
        )
    return Person(
        display_name=name,
        email=_text(profile.get("email")),
        login=login,
        department=_text(profile.get(target.department_attribute)),
        title=_text(profile.get("title")),
        groups=list(groups),
        active=user.get("status") in defaults.ACTIVE_USER_STATUSES,
        refs=[ref],
        links=links,
        created_at=parse_time(user.get("created")),
        updated_at=updated,
    )


def to_device(target: Target, device: Resource, user_ids: Sequence[str]) -> Device:
    """A device; each of its users becomes a ``used_by`` link to that user's ref."""
    remote_id, updated = _required(device, "device")
    profile = device.get("profile") if isinstance(device.get("profile"), dict) else {}
    name = _text(profile.get("displayName")) or _text(profile.get("serialNumber")) or remote_id
    status = _text(device.get("status"))
    return Device(
        name=name,
        serial_number=_text(profile.get("serialNumber")),
        platform=_text(profile.get("platform")),
        os_version=_text(profile.get("osVersion")),
        status=status,
        active=status in defaults.ACTIVE_DEVICE_STATUSES,
        refs=[
            ExternalRef(
                system=target.system,
                remote_id=remote_id,
                key=_text(profile.get("serialNumber")),
                url=f"{target.org_url}/admin/devices-inventory/{remote_id}",
                remote_type="device",
            )
        ],
        links=[
            Link(
                kind=LinkKind.USED_BY,
                target_ref=ExternalRef(system=target.system, remote_id=user_id),
                origin=target.system,
                reason="a user of the device in Okta",
            )
            for user_id in user_ids
        ],
        created_at=parse_time(device.get("created")),
        updated_at=updated,
    )


def embedded_user_ids(device: Resource) -> list[str]:
    """The ids of a device's users from ``_embedded.users`` (``expand=user``)."""
    embedded = device.get("_embedded") if isinstance(device.get("_embedded"), dict) else {}
    users = embedded.get("users") if isinstance(embedded.get("users"), list) else []
    ids = []
    for entry in users:
        user = entry.get("user") if isinstance(entry, dict) else None
        if isinstance(user, dict) and isinstance(user.get("id"), str):
            ids.append(user["id"])
    return sorted(set(ids))


def person_change(target: Target, user: Resource, groups: Sequence[str]) -> RemoteChange:
    person = to_person(target, user, groups)
    assert person.updated_at is not None
    return RemoteChange(
        kind=RecordKind.PERSON,
        remote_id=person.refs[0].remote_id,
        version=user_version(user, groups),
        changed_at=person.updated_at,
        record=person,
        links_complete=True,  # a user has one managerId, or none
    )


def device_change(target: Target, device: Resource, user_ids: Sequence[str]) -> RemoteChange:
    record = to_device(target, device, user_ids)
    assert record.updated_at is not None
    return RemoteChange(
        kind=RecordKind.DEVICE,
        remote_id=record.refs[0].remote_id,
        version=device_version(device, user_ids),
        changed_at=record.updated_at,
        record=record,
        links_complete=True,  # every user of the device is listed
    )


def deleted_change(kind: RecordKind, remote_id: str, when: datetime) -> RemoteChange:
    """A user or device Okta no longer has (deleted after deactivation)."""
    return RemoteChange(
        kind=kind,
        remote_id=remote_id,
        version=f"deleted@{format_time(when)}",
        changed_at=when,
        deleted=True,
    )


@dataclass
class Named:
    """What a run of System Log events names: users and devices to read again."""

    users: dict[str, datetime]
    devices: dict[str, datetime]

    @classmethod
    def of(cls, events: Iterable[Resource]) -> Named:
        named = cls(users={}, devices={})
        for event in events:
            published = parse_time(event.get("published"))
            targets = event.get("target") if isinstance(event.get("target"), list) else []
            for item in targets:
                if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                    continue
                into = {"User": named.users, "Device": named.devices}.get(str(item.get("type")))
                if into is not None and published is not None:
                    into[item["id"]] = max(published, into.get(item["id"], published))
        return named
