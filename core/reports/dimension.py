"""What a report can be broken down by; light, so the CLI can offer it without the store."""

from __future__ import annotations

from enum import StrEnum


class Dimension(StrEnum):
    """What a report can be broken down by."""

    SERVICE = "service"
    CATEGORY = "category"
    DEPARTMENT = "department"
    SYSTEM = "system"
