"""``--since`` and ``--until``: a duration before now (``90d``), a date (midnight UTC) or
an ISO 8601 timestamp with its offset (``2026-11-23T09:00:00Z``)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from ..durations import parse_duration


def parse_moment(value: str, *, now: datetime) -> datetime:
    """The moment ``value`` names; ValueError with the accepted forms otherwise."""
    text = value.strip()
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime(day.year, day.month, day.day, tzinfo=UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
    if moment is None or moment.tzinfo is None:
        raise ValueError(
            f"expected a duration (90d, 12w), a date (2026-01-31) or a timestamp with its "
            f"offset (2026-01-31T09:00:00Z), got {value!r}"
        )
    return moment.astimezone(UTC)


def parse_period(
    since: str | None, until: str | None, *, now: datetime
) -> tuple[datetime | None, datetime]:
    """``since`` ('all' or None: from the beginning) and ``until`` (None: now)."""
    end = parse_moment(until, now=now) if until else now
    start = None if since in (None, "all") else parse_moment(since, now=now)
    if start is not None and start >= end:
        raise ValueError(
            f"--since ({start.isoformat()}) must be before --until ({end.isoformat()})"
        )
    return start, end
