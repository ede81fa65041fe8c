"""Defaults for reading people and devices from Okta, as plain data."""

from __future__ import annotations

from typing import Final, Literal

MatchKey = Literal["email", "login"]

OAUTH_SCOPES: Final[tuple[str, ...]] = (
    "okta.users.read",
    "okta.groups.read",
    "okta.devices.read",
    "okta.logs.read",
)
"""Read-only scopes: the connector never changes anything in Okta (the System Log keeps
people and devices current between full reads)."""

PAGE_SIZE: Final = 200
"""Users and devices per page: the most Okta returns for both (vendor-apis.md §5.2)."""

LOG_PAGE_SIZE: Final = 1000
"""System Log events per page (the API's maximum)."""

GROUP_MEMBERS_PAGE_SIZE: Final = 1000
"""Members per ``/groups/{id}/users`` page (the API's default and maximum)."""

RATE_LIMITS_PER_MINUTE: Final[dict[str, int]] = {
    "users": 600,
    "user": 1000,
    "groups": 500,
    "devices": 100,
    "logs": 50,
}
"""Okta's documented per-minute buckets (the lower of the published org figures,
sync-guarantees C.1); the hub stays under them before a 429 has to say so."""

LOG_EVENT_TYPES: Final[tuple[str, ...]] = (
    "user.lifecycle.create",
    "user.lifecycle.activate",
    "user.lifecycle.deactivate",
    "user.lifecycle.suspend",
    "user.lifecycle.unsuspend",
    "user.lifecycle.delete.completed",
    "user.account.update_profile",
    "group.user_membership.add",
    "group.user_membership.remove",
    "device.lifecycle.activate",
    "device.lifecycle.deactivate",
    "device.lifecycle.suspend",
    "device.lifecycle.unsuspend",
    "device.lifecycle.delete",
    "device.user.add",
    "device.user.remove",
)
"""System Log events that change a person or a device the hub holds."""

MATCH_PEOPLE_BY: Final[tuple[MatchKey, ...]] = ("email", "login")
"""Which profile attributes identify a ticket's person, tried in this order."""

DEPARTMENT_ATTRIBUTE: Final = "department"

ACTIVE_USER_STATUSES: Final = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"})
"""Okta user statuses of people who can still sign in (neutral ``Person.active``)."""

ACTIVE_DEVICE_STATUSES: Final = frozenset({"ACTIVE"})
"""Okta device statuses of devices in use (neutral ``Device.active``)."""
