"""Cursors as stored (JSON) and as read with an overlap window for coarse vendor clocks."""

from __future__ import annotations

from datetime import timedelta

from pydantic import JsonValue

from ..exchange import Cursor


def load_cursor(value: JsonValue | None) -> Cursor | None:
    """The cursor a connector checkpointed, or None before its first pull."""
    if value is None:
        return None
    return Cursor.model_validate(value)


def dump_cursor(cursor: Cursor) -> JsonValue:
    data = cursor.model_dump(mode="json")
    data["seen"] = sorted([list(pair) for pair in cursor.seen])
    return data


def with_overlap(cursor: Cursor | None, overlap: timedelta) -> Cursor | None:
    """Re-read ``overlap`` behind the watermark: late commits and minute-granular clocks
    (Jira JQL) must not lose changes. What was already applied is skipped by version."""
    if cursor is None or cursor.watermark is None or not overlap:
        return cursor
    return cursor.model_copy(update={"watermark": cursor.watermark - overlap})
