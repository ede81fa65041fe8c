"""What a JQL clause matches, how results sort, and how JQL reads times.

Times: a bare number is epoch milliseconds (absolute); a quoted ``yyyy/MM/dd HH:mm``,
``yyyy-MM-dd HH:mm``, ``yyyy/MM/dd`` or ``yyyy-MM-dd`` is read in the searching user's
time zone at minute precision, as Jira does (vendor-apis.md §2.3); ``-15m``/``-2h``/
``-1d``/``-1w`` and ``now()`` are relative to the site's clock.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .model import Issue


class JqlError(ValueError):
    """A query Jira would refuse with 400 and this message."""


_RELATIVE = re.compile(r"^([+-]?)(\d+)([wdhm])$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}
_DATE_FORMATS = ("%Y/%m/%d %H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d", "%Y-%m-%d")


@dataclass(frozen=True)
class Token:
    kind: str  # string | op | word | keyword
    text: str


@dataclass
class Context:
    """What evaluating needs: the site's clock and the searching user's time zone."""

    now: datetime
    time_zone: str = "UTC"
    project_names: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Project key → (id, name)."""
    type_ids: dict[str, str] = field(default_factory=dict)
    status_ids: dict[str, str] = field(default_factory=dict)


Predicate = Callable[[Issue], bool]


def to_time(token: Token, context: Context) -> datetime:
    """A JQL time value as an aware datetime (see the module docstring)."""
    text = token.text.strip()
    if token.kind == "now":
        return context.now
    if token.kind == "word" and text.lstrip("-").isdigit() and len(text.lstrip("-")) > 8:
        return datetime.fromtimestamp(int(text) / 1000, context.now.tzinfo)
    relative = _RELATIVE.match(text) if token.kind == "word" else None
    if relative:
        sign = -1 if relative[1] == "-" else 1
        return context.now + sign * timedelta(**{_UNITS[relative[3]]: int(relative[2])})
    zone = ZoneInfo(context.time_zone)
    for pattern in _DATE_FORMATS:
        try:
            local = datetime.strptime(text, pattern)
        except ValueError:
            continue
        return local.replace(tzinfo=zone)  # minutes only: seconds are never given
    raise JqlError(
        f"Date value '{text}' for field 'updated' is invalid. Valid formats include: "
        "'yyyy/MM/dd HH:mm', 'yyyy-MM-dd HH:mm', 'yyyy/MM/dd', 'yyyy-MM-dd', or a period "
        "format e.g. '-5d', '4w 2d'."
    )


def empty(name: str) -> Predicate:
    if name == "labels":
        return lambda issue: not issue.labels
    return lambda issue: False  # the other fields always hold a value


def _compare(op: str, left: Any, right: Any) -> bool:
    if op in ("=", "~"):
        return bool(left == right)
    if op == "!=":
        return bool(left != right)
    if left is None or right is None:
        return False
    return {
        ">": left > right,
        ">=": left >= right,
        "<": left < right,
        "<=": left <= right,
    }.get(op, False)


def matcher(name: str, op: str, values: list[Token], context: Context) -> Predicate:
    if op in ("~", "!~") and name != "summary":
        raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")
    if name in ("updated", "created"):
        moments = [to_time(v, context) for v in values]
        return lambda i: any(_compare(op, getattr(i, name), m) for m in moments)
    if name == "labels":
        wanted = {v.text for v in values}
        if op == "=":
            return lambda i: bool(wanted & set(i.labels))
        if op == "!=":
            return lambda i: not wanted & set(i.labels)
        raise JqlError(f"The operator '{op}' is not supported by the 'labels' field.")
    if name == "summary":
        words = [v.text.lower() for v in values]
        found = lambda i: all(w in i.summary.lower() for w in words)  # noqa: E731
        return found if op == "~" else (lambda i: not found(i))
    if name == "key":
        return _key_matcher(op, values)
    lookup = {
        "project": lambda i: {
            i.project.lower(),
            *(x.lower() for x in context.project_names.get(i.project, ())),
        },
        "issuetype": lambda i: {i.issue_type.lower(), context.type_ids.get(i.issue_type, "")},
        "status": lambda i: {i.status.lower(), context.status_ids.get(i.status, "")},
    }[name]
    wanted = {v.text.lower() for v in values}
    if op == "=":
        return lambda i: bool(wanted & lookup(i))
    if op == "!=":
        return lambda i: not wanted & lookup(i)
    raise JqlError(f"The operator '{op}' is not supported by the '{name}' field.")


def _key_matcher(op: str, values: list[Token]) -> Predicate:
    def parts(text: str) -> tuple[str, int] | str:
        project, _, number = text.upper().rpartition("-")
        return (project, int(number)) if project and number.isdigit() else text

    wanted = [parts(v.text) for v in values]

    def match(issue: Issue) -> bool:
        mine = (issue.project, issue.number)
        for value in wanted:
            if isinstance(value, str):  # an issue id
                if op in ("=", "!=") and _compare(op, issue.id, value):
                    return True
            elif (op in ("=", "!=") or value[0] == mine[0]) and _compare(op, mine, value):
                return True
        return False

    return match


def sort_key(order: list[tuple[str, bool]]) -> Callable[[Issue], tuple[Any, ...]]:
    """A sort key for ``ORDER BY`` (descending fields negated); ties by key."""

    def key(issue: Issue) -> tuple[Any, ...]:
        parts: list[Any] = []
        for name, descending in order or [("created", True)]:
            if name in ("updated", "created"):
                value: Any = getattr(issue, name).timestamp()
                parts.append(-value if descending else value)
            elif name == "priority":
                rank = {"Highest": 1, "High": 2, "Medium": 3, "Low": 4, "Lowest": 5}
                value = rank.get(issue.priority or "", 6)
                parts.append(-value if descending else value)
            else:  # key: project, then number
                number = -issue.number if descending else issue.number
                parts += [_Desc(issue.project) if descending else issue.project, number]
        return (*parts, issue.project, issue.number)

    return key


@dataclass(frozen=True, order=False)
class _Desc:
    """A string that sorts backwards."""

    text: str

    def __lt__(self, other: _Desc) -> bool:
        return self.text > other.text

    def __gt__(self, other: _Desc) -> bool:
        return self.text < other.text


__all__ = [
    "Context",
    "JqlError",
    "Predicate",
    "Token",
    "empty",
    "matcher",
    "sort_key",
    "to_time",
]
