"""Which parts of a record are synced field by field, and how they are read and written."""

from __future__ import annotations

from typing import Any

from pydantic import JsonValue

from ..model import NOT_SYNCED, AnyRecordType, parse_record

Fields = dict[str, JsonValue]


def sync_fields(record: AnyRecordType, only: frozenset[str] | None = None) -> Fields:
    """The record's field-synced values, in JSON form (comparable, storable).

    ``only`` keeps the fields one system can hold: a field it cannot store reads back
    empty, and must not look like an edit made there.
    """
    data = record.model_dump(mode="json", exclude=set(NOT_SYNCED))
    return {k: v for k, v in sorted(data.items()) if only is None or k in only}


def restrict(fields: Fields, only: frozenset[str] | None) -> Fields:
    """``fields`` narrowed as :func:`sync_fields` with ``only`` would have: reuse a
    record's full :func:`sync_fields` instead of dumping it once per system."""
    return fields if only is None else {k: v for k, v in fields.items() if k in only}


def with_fields(record: AnyRecordType, fields: Fields) -> AnyRecordType:
    """A copy of ``record`` holding ``fields``, validated as a whole."""
    data: dict[str, Any] = record.model_dump(mode="json")
    data.update({k: v for k, v in fields.items() if k not in NOT_SYNCED})
    return parse_record(data)


def changed(new: Fields, old: Fields | None) -> list[str]:
    """Names of the fields whose values differ (all of ``new`` when there is no ``old``)."""
    if old is None:
        return sorted(new)
    return sorted(name for name in new.keys() | old.keys() if new.get(name) != old.get(name))
