"""Evaluates ``when`` conditions against a record: data in, a yes/no and reasons out."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from enum import Enum
from functools import lru_cache
from typing import Any, Protocol

from pydantic import BaseModel

from ..model import Record
from .conditions import Conditions, Test

_MISSING = object()


class RuleFields(Protocol):
    """A flat view of a ticket (rule facts) that answers field paths itself."""

    def rule_field(self, path: str) -> Any: ...


def field_value(record: Record | RuleFields, path: str) -> Any:
    """The value at a dotted path (``reporter.email``, ``custom.region``), or _MISSING."""
    if not isinstance(record, BaseModel):  # rule facts (a plain isinstance is cheaper)
        found = record.rule_field(path)
        if found is None or found == ():
            return _MISSING
        return found.value if isinstance(found, Enum) else found
    value: Any = record
    for part in path.split("."):
        if isinstance(value, BaseModel):
            value = getattr(value, part, _MISSING)
        elif isinstance(value, dict):
            value = value.get(part, _MISSING)
        else:
            return _MISSING
        if value is _MISSING or value is None:
            return _MISSING
    return value.value if isinstance(value, Enum) else value


def matches(conditions: Conditions, record: Record | RuleFields, now: datetime) -> bool:
    """True when every test of ``conditions`` holds for ``record``."""
    return all(
        test_holds(test, field_value(record, path), now) for path, test in conditions.root.items()
    )


def explain(
    conditions: Conditions, record: Record | RuleFields, now: datetime
) -> list[tuple[str, bool]]:
    """Each test in words, with whether it held: for dry-runs and ``rules explain``."""
    return [
        (f"{path} {_describe(test)}", test_holds(test, field_value(record, path), now))
        for path, test in conditions.root.items()
    ]


def test_holds(test: Test, value: Any, now: datetime) -> bool:
    """Whether one field's value passes every operator of ``test``."""
    present = value is not _MISSING
    if test.exists is not None and test.exists != present:
        return False
    checks = [
        (test.eq, lambda want: present and _equal(value, want)),
        (test.ne, lambda want: not (present and _equal(value, want))),
        (test.in_, lambda want: present and any(_equal(value, w) for w in want)),
        (test.not_in, lambda want: not (present and any(_equal(value, w) for w in want))),
        (test.contains, lambda want: present and _contains(value, want)),
        (test.matches, lambda want: present and _compiled(want).search(str(value)) is not None),
        (test.gt, lambda want: present and _compare(value, want, lambda a, b: a > b)),
        (test.gte, lambda want: present and _compare(value, want, lambda a, b: a >= b)),
        (test.lt, lambda want: present and _compare(value, want, lambda a, b: a < b)),
        (test.lte, lambda want: present and _compare(value, want, lambda a, b: a <= b)),
        (test.within, lambda want: isinstance(value, datetime) and value >= now - want),
    ]
    return all(check(want) for want, check in checks if want is not None)


def _equal(value: Any, want: Any) -> bool:
    if isinstance(value, str) and isinstance(want, str):
        return value.casefold() == want.casefold()
    return bool(value == want)


def _contains(value: Any, want: Any) -> bool:
    if isinstance(value, str):
        return str(want).casefold() in value.casefold()
    if isinstance(value, Iterable):
        return any(_equal(item, want) for item in value)
    return False


def _compare(value: Any, want: Any, op: Any) -> bool:
    try:
        return bool(op(value, want))
    except TypeError:
        return False


@lru_cache(maxsize=512)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def _describe(test: Test) -> str:
    parts = [
        f"{name.rstrip('_')} {value!r}" for name, value in test if name in test.model_fields_set
    ]
    return " and ".join(parts) or "(always)"
