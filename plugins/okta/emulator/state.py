"""The emulated org's in-memory directory: users, groups and memberships, devices and
their users, the System Log, and event hooks. Every change a person or an admin makes
goes through a method here, which stamps ``lastUpdated`` and writes the System Log event
Okta would write.

Resources are kept as the JSON Okta returns (``profile``, ``status``, timestamps), so the
routes only select, page and embed.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from itsmhub.emulation import Controls, EmulatorClock, OAuthServer

Resource = dict[str, Any]
Clock = Callable[[], datetime]

USER_TYPE_ID = "oty1defaultusertype0"
ACTIVE_DEVICE_STATUSES = ("ACTIVE", "DEACTIVATED", "SUSPENDED", "UNSUSPENDED")
DEVICE_PLATFORMS = ("ANDROID", "IOS", "MACOS", "WINDOWS")
ADMIN = {
    "id": "00uadmin000000000000",
    "type": "User",
    "alternateId": "admin@acme.example",
    "displayName": "Org Admin",
}


def stamp(when: datetime) -> str:
    """Okta's timestamps: UTC with milliseconds, ``2026-03-01T12:00:00.000Z``."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Org:
    """One Okta org. ``api_tokens`` are SSWS tokens; ``oauth`` issues service-app tokens
    (client secret, or ``private_key_jwt`` for the apps in ``service_app_keys``)."""

    clock: Clock = field(default_factory=EmulatorClock)
    controls: Controls | None = None
    api_tokens: set[str] = field(default_factory=lambda: {"00emulator-api-token"})
    oauth_clients: dict[str, str] = field(default_factory=dict)
    service_app_keys: dict[str, Any] = field(default_factory=dict)
    """client id → the public key its ``private_key_jwt`` assertions are signed with."""
    org_url: str = "https://acme.okta.com"
    users: dict[str, Resource] = field(default_factory=dict)
    groups: dict[str, Resource] = field(default_factory=dict)
    members: dict[str, dict[str, None]] = field(default_factory=dict)
    """group id → its member user ids, in the order they were added."""
    devices: dict[str, Resource] = field(default_factory=dict)
    device_users: dict[str, dict[str, str]] = field(default_factory=dict)
    """device id → {user id: when the link was made}."""
    events: list[Resource] = field(default_factory=list)
    hooks: dict[str, Resource] = field(default_factory=dict)
    assertions_seen: set[str] = field(default_factory=set)
    """``jti`` of the client assertions used (Okta refuses a replayed one)."""
    seed: int = 0

    def __post_init__(self) -> None:
        if self.controls is None:
            self.controls = Controls(clock=self.clock)
        self.oauth = OAuthServer(
            clients=self.oauth_clients, clock=self.clock, default_scope="okta.users.read"
        )
        self._rng = random.Random(self.seed)  # noqa: S311 - ids for demo data

    # --- ids and time ----------------------------------------------------------------------

    def now(self) -> str:
        return stamp(self.clock())

    def new_id(self, prefix: str) -> str:
        alphabet = string.ascii_letters + string.digits
        while True:
            candidate = prefix + "".join(self._rng.choice(alphabet) for _ in range(17))
            if candidate not in self.users and candidate not in self.devices:
                return candidate

    def reset(self) -> None:
        self.users.clear()
        self.groups.clear()
        self.members.clear()
        self.devices.clear()
        self.device_users.clear()
        self.events.clear()
        self.hooks.clear()
        self.oauth.reset()
        assert self.controls is not None
        self.controls.reset()

    # --- the System Log --------------------------------------------------------------------

    def log(
        self,
        event_type: str,
        message: str,
        targets: Iterable[Resource],
        *,
        when: datetime | None = None,
    ) -> Resource:
        event = {
            "uuid": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "published": stamp(when or self.clock()),
            "eventType": event_type,
            "version": "0",
            "severity": "INFO",
            "displayMessage": message,
            "actor": dict(ADMIN),
            "client": {"ipAddress": "198.51.100.7", "userAgent": {"rawUserAgent": "itsmhub"}},
            "outcome": {"result": "SUCCESS"},
            "target": list(targets),
            "transaction": {"type": "WEB", "id": uuid.UUID(int=self._rng.getrandbits(128)).hex},
        }
        self.events.append(event)
        return event

    def _user_target(self, user: Resource) -> Resource:
        profile = user["profile"]
        name = f"{profile.get('firstName', '')} {profile.get('lastName', '')}".strip()
        return {
            "id": user["id"],
            "type": "User",
            "alternateId": profile["login"],
            "displayName": name,
        }

    def _device_target(self, device: Resource) -> Resource:
        return {
            "id": device["id"],
            "type": "Device",
            "alternateId": device["profile"].get("serialNumber", device["id"]),
            "displayName": device["profile"]["displayName"],
        }

    def _group_target(self, group: Resource) -> Resource:
        name = group["profile"]["name"]
        return {"id": group["id"], "type": "UserGroup", "alternateId": name, "displayName": name}

    # --- users -----------------------------------------------------------------------------

    def add_user(
        self,
        first_name: str,
        last_name: str,
        *,
        email: str | None = None,
        login: str | None = None,
        department: str | None = None,
        title: str | None = None,
        manager_id: str | None = None,
        status: str = "ACTIVE",
        when: datetime | None = None,
        **profile: Any,
    ) -> Resource:
        """A new user (logged as created, and activated when ACTIVE)."""
        moment = stamp(when or self.clock())
        email = email or f"{first_name}.{last_name}@acme.example".lower().replace(" ", "")
        manager = self.users.get(manager_id) if manager_id else None
        fields: dict[str, Any] = {
            "firstName": first_name,
            "lastName": last_name,
            "displayName": f"{first_name} {last_name}",
            "email": email,
            "login": login or email,
            "department": department,
            "title": title,
            "managerId": manager_id,
            "manager": manager["profile"]["displayName"] if manager else None,
            **profile,
        }
        user: Resource = {
            "id": self.new_id("00u"),
            "status": status,
            "created": moment,
            "activated": moment if status == "ACTIVE" else None,
            "statusChanged": moment,
            "lastLogin": None,
            "lastUpdated": moment,
            "passwordChanged": moment,
            "type": {"id": USER_TYPE_ID},
            "profile": {k: v for k, v in fields.items() if v is not None},
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
        }
        self.users[user["id"]] = user
        target = [self._user_target(user)]
        self.log("user.lifecycle.create", "Create Okta user", target, when=when)
        if status == "ACTIVE":
            self.log("user.lifecycle.activate", "Activate Okta user", target, when=when)
        return user

    def update_user(self, user_id: str, **profile: Any) -> Resource:
        """Change profile attributes (None removes one), as an admin would."""
        user = self.users[user_id]
        for key, value in profile.items():
            if value is None:
                user["profile"].pop(key, None)
            else:
                user["profile"][key] = value
        user["lastUpdated"] = self.now()
        self.log("user.account.update_profile", "Update user profile", [self._user_target(user)])
        return user

    def set_user_status(self, user_id: str, status: str) -> Resource:
        """Deactivate (``DEPROVISIONED``), suspend, or activate a user."""
        user = self.users[user_id]
        event = {
            "DEPROVISIONED": "deactivate",
            "SUSPENDED": "suspend",
            "ACTIVE": "activate" if user["status"] != "SUSPENDED" else "unsuspend",
        }.get(status, "activate")
        user["status"] = status
        user["statusChanged"] = user["lastUpdated"] = self.now()
        self.log(f"user.lifecycle.{event}", f"{event.title()} Okta user", [self._user_target(user)])
        return user

    def delete_user(self, user_id: str) -> None:
        user = self.users.pop(user_id)
        for members in self.members.values():
            members.pop(user_id, None)
        for users in self.device_users.values():
            users.pop(user_id, None)
        self.log("user.lifecycle.delete.completed", "Delete Okta user", [self._user_target(user)])

    def find_user(self, key: str) -> Resource | None:
        """By id, login, or login short name (the part before ``@``, when unambiguous)."""
        if key in self.users:
            return self.users[key]
        lowered = key.lower()
        by_login = [u for u in self.users.values() if u["profile"]["login"].lower() == lowered]
        if by_login:
            return by_login[0]
        short = [
            u for u in self.users.values() if u["profile"]["login"].lower().split("@")[0] == lowered
        ]
        return short[0] if len(short) == 1 else None

    # --- groups ----------------------------------------------------------------------------

    def add_group(self, name: str, description: str = "") -> Resource:
        moment = self.now()
        group: Resource = {
            "id": self.new_id("00g"),
            "created": moment,
            "lastUpdated": moment,
            "lastMembershipUpdated": moment,
            "objectClass": ["okta:user_group"],
            "type": "OKTA_GROUP",
            "profile": {"name": name, "description": description},
        }
        self.groups[group["id"]] = group
        self.members[group["id"]] = {}
        return group

    def rename_group(self, group_id: str, name: str) -> Resource:
        group = self.groups[group_id]
        group["profile"]["name"] = name
        group["lastUpdated"] = self.now()
        return group

    def add_member(self, group_id: str, user_id: str) -> None:
        self._membership(group_id, user_id, add=True)

    def remove_member(self, group_id: str, user_id: str) -> None:
        self._membership(group_id, user_id, add=False)

    def _membership(self, group_id: str, user_id: str, *, add: bool) -> None:
        members = self.members[group_id]
        if (user_id in members) == add:
            return
        if add:
            members[user_id] = None
        else:
            members.pop(user_id)
        group = self.groups[group_id]
        group["lastMembershipUpdated"] = self.now()
        action = "add" if add else "remove"
        targets = [self._user_target(self.users[user_id]), self._group_target(group)]
        self.log(f"group.user_membership.{action}", f"{action.title()} user to group", targets)

    def groups_of(self, user_id: str) -> list[Resource]:
        return [self.groups[g] for g, members in self.members.items() if user_id in members]

    # --- devices ---------------------------------------------------------------------------

    def add_device(
        self,
        display_name: str,
        *,
        platform: str = "MACOS",
        serial_number: str | None = None,
        users: Iterable[str] = (),
        status: str = "ACTIVE",
        manufacturer: str | None = None,
        model: str | None = None,
        os_version: str | None = None,
        when: datetime | None = None,
    ) -> Resource:
        if platform not in DEVICE_PLATFORMS:
            raise ValueError(f"platform must be one of {', '.join(DEVICE_PLATFORMS)}")
        moment = stamp(when or self.clock())
        device_id = self.new_id("guo")
        profile = {
            "displayName": display_name,
            "platform": platform,
            "registered": True,
            "managed": True,
            "secureHardwarePresent": True,
            "serialNumber": serial_number,
            "manufacturer": manufacturer,
            "model": model,
            "osVersion": os_version,
        }
        device: Resource = {
            "id": device_id,
            "resourceId": device_id,
            "resourceType": "UDDevice",
            "resourceDisplayName": {"value": display_name, "sensitive": False},
            "status": status,
            "created": moment,
            "lastUpdated": moment,
            "profile": {k: v for k, v in profile.items() if v is not None},
        }
        self.devices[device_id] = device
        self.device_users[device_id] = {}
        self.log("device.lifecycle.activate", "Activate device", [self._device_target(device)])
        for user_id in users:
            self.link_device(device_id, user_id, when=when)
        return device

    def link_device(self, device_id: str, user_id: str, *, when: datetime | None = None) -> None:
        device = self.devices[device_id]
        self.device_users[device_id][user_id] = stamp(when or self.clock())
        device["lastUpdated"] = self.now() if when is None else stamp(when)
        targets = [self._device_target(device), self._user_target(self.users[user_id])]
        self.log("device.user.add", "Add user to device", targets, when=when)

    def unlink_device(self, device_id: str, user_id: str) -> None:
        device = self.devices[device_id]
        self.device_users[device_id].pop(user_id, None)
        device["lastUpdated"] = self.now()
        targets = [self._device_target(device), self._user_target(self.users[user_id])]
        self.log("device.user.remove", "Remove user from device", targets)

    def set_device_status(self, device_id: str, status: str) -> Resource:
        if status not in ACTIVE_DEVICE_STATUSES:
            raise ValueError(f"status must be one of {', '.join(ACTIVE_DEVICE_STATUSES)}")
        device = self.devices[device_id]
        device["status"] = status
        device["lastUpdated"] = self.now()
        action = {"DEACTIVATED": "deactivate", "SUSPENDED": "suspend"}.get(status, "activate")
        if status == "UNSUSPENDED":
            action = "unsuspend"
        self.log(
            f"device.lifecycle.{action}", f"{action.title()} device", [self._device_target(device)]
        )
        return device

    def update_device(self, device_id: str, **profile: Any) -> Resource:
        device = self.devices[device_id]
        device["profile"].update({k: v for k, v in profile.items() if v is not None})
        if "displayName" in profile:
            device["resourceDisplayName"]["value"] = profile["displayName"]
        device["lastUpdated"] = self.now()
        return device

    def device_user_ids(self, device_id: str) -> list[str]:
        return [u for u in self.device_users.get(device_id, {}) if u in self.users]
