"""Timestamps in the model are always timezone-aware UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator


def ensure_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse a naive one, whose zone is a guess."""
    if value.tzinfo is None or value.tzinfo.utcoffset(value) is None:
        raise ValueError(
            "timestamp has no time zone; give an offset such as 'Z' or '+00:00' "
            "(vendors' local times must be converted by the connector)"
        )
    return value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time, aware and in UTC."""
    return datetime.now(UTC)


UtcDateTime = Annotated[datetime, AfterValidator(ensure_utc)]
