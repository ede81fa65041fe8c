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


#: The keys of a person's JSON form (:class:`~itsmhub.PersonRef`).
_PERSON_KEYS = frozenset({"display_name", "email", "external"})


def same(a: JsonValue, b: JsonValue) -> bool:
    """Whether two field values say the same thing to every system.

    Equal values do; and two people with the same e-mail are one person, whatever each
    tool calls them or whichever tool's account they carry: Jira reads an assignee back
    with its accountId, Zendesk with its user id, and compared whole they would bounce
    between the tools forever.
    """
    if a == b:
        return True
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() | b.keys() <= _PERSON_KEYS:
        first, second = a.get("email"), b.get("email")
        return (
            isinstance(first, str)
            and isinstance(second, str)
            and (first.casefold() == second.casefold())
        )
    return False


def changed(new: Fields, old: Fields | None) -> list[str]:
    """Names of the fields whose values differ (all of ``new`` when there is no ``old``)."""
    if old is None:
        return sorted(new)
    return sorted(n for n in new.keys() | old.keys() if not same(new.get(n), old.get(n)))
