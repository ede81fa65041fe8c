"""Defaults for reading people and devices from Okta, as plain data."""

from __future__ import annotations

from typing import Final, Literal

MatchKey = Literal["email", "login"]

OAUTH_SCOPES: Final[tuple[str, ...]] = (
    "okta.users.read",
    "okta.groups.read",
    "okta.devices.read",
)
"""Read-only scopes: the connector never changes anything in Okta."""

MATCH_PEOPLE_BY: Final[tuple[MatchKey, ...]] = ("email", "login")
"""Which profile attributes identify a ticket's person, tried in this order."""

DEPARTMENT_ATTRIBUTE: Final = "department"

ACTIVE_USER_STATUSES: Final = frozenset({"ACTIVE", "PASSWORD_EXPIRED", "LOCKED_OUT", "RECOVERY"})
"""Okta user statuses of people who can still sign in (neutral ``Person.active``)."""

ACTIVE_DEVICE_STATUSES: Final = frozenset({"ACTIVE"})
"""Okta device statuses of devices in use (neutral ``Device.active``)."""
