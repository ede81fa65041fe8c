"""A JQL subset: the clauses a sync sends, parsed and evaluated as Jira does.

Fields: ``project``, ``key`` (``issuekey``, ``id``, ``issue``), ``labels``,
``issuetype`` (``type``), ``status``, ``summary`` (``~``), ``updated``/``created``
(``updatedDate``/``createdDate``). Operators: ``= != > >= < <= ~ IN, NOT IN, IS [NOT]
EMPTY``; ``AND``, ``OR``, ``NOT`` and parentheses; ``ORDER BY`` up to seven fields.

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


_TOKEN = re.compile(
    r"""\s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<op>!=|>=|<=|!~|=|>|<|~|\(|\)|,)
    | (?P<word>[A-Za-z0-9_.\-/:@+*]+)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "empty", "null", "order", "by", "asc", "desc"}
_ALIASES = {
    "issuekey": "key",
    "id": "key",
    "issue": "key",
    "type": "issuetype",
    "updateddate": "updated",
    "createddate": "created",
}
FIELDS = {"project", "key", "labels", "issuetype", "status", "summary", "updated", "created"}
SORTABLE = {"updated", "created", "key", "priority"}
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


@dataclass
class Query:
    """A parsed query: what matches, how it is ordered, and the ``updated`` range its
    top-level ``AND`` restricts (for the index)."""

    where: Predicate | None
    order: list[tuple[str, bool]]  # (field, descending)
    updated_from: int | None = None
    updated_to: int | None = None

    @property
    def bounded(self) -> bool:
        return self.where is not None


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    text = text.rstrip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise JqlError(
                f"Error in the JQL Query: the character '{text[position]}' at "
                f"position {position} is a reserved JQL character."
            )
        position = match.end()
        if match["string"] is not None:
            raw = match["string"][1:-1]
            tokens.append(Token("string", re.sub(r"\\(.)", r"\1", raw)))
        elif match["op"] is not None:
            tokens.append(Token("op", match["op"]))
        else:
            word = match["word"]
            kind = "keyword" if word.lower() in _KEYWORDS else "word"
            tokens.append(Token(kind, word.lower() if kind == "keyword" else word))
    return tokens


class _Parser:
    def __init__(self, tokens: list[Token], context: Context) -> None:
        self.tokens = tokens
        self.at = 0
        self.context = context
        self.bounds: dict[str, int] = {}

    def peek(self, offset: int = 0) -> Token | None:
        index = self.at + offset
        return self.tokens[index] if index < len(self.tokens) else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise JqlError("Error in the JQL Query: the query ends unexpectedly.")
        self.at += 1
        return token

    def accept(self, kind: str, text: str) -> bool:
        token = self.peek()
        if token is not None and token.kind == kind and token.text == text:
            self.at += 1
            return True
        return False

    def query(self) -> Query:
        where = None
        token = self.peek()
        if token is not None and not (token.kind == "keyword" and token.text == "order"):
            where = self.disjunction(top=True)
        order: list[tuple[str, bool]] = []
        if self.accept("keyword", "order"):
            if not self.accept("keyword", "by"):
                raise JqlError("Error in the JQL Query: expecting 'by' after 'order'.")
            order = self.order_by()
        if self.peek() is not None:
            raise JqlError(
                f"Error in the JQL Query: expecting either 'OR' or 'AND' but got "
                f"'{self.peek().text}'."  # type: ignore[union-attr]
            )
        return Query(where, order, self.bounds.get("from"), self.bounds.get("to"))

    def order_by(self) -> list[tuple[str, bool]]:
        order = []
        while True:
            text = self.take().text.lower()
            name = _ALIASES.get(text, text)
            if name not in SORTABLE:
                raise JqlError(f"Not able to sort using field '{name}'.")
            descending = False
            if self.accept("keyword", "desc"):
                descending = True
            else:
                self.accept("keyword", "asc")
            order.append((name, descending))
            if not self.accept("op", ","):
                break
        if len(order) > 7:
            raise JqlError("The ORDER BY clause can contain at most 7 fields.")
        return order

    def disjunction(self, top: bool = False) -> Predicate:
        parts = [self.conjunction(top)]
        while self.accept("keyword", "or"):
            parts.append(self.conjunction(False))
        if len(parts) > 1:
            if top:
                self.bounds.clear()  # an OR at the top makes the AND's range no bound
            return lambda issue: any(p(issue) for p in parts)
        return parts[0]

    def conjunction(self, top: bool) -> Predicate:
        parts = [self.negation(top)]
        while self.accept("keyword", "and"):
            parts.append(self.negation(top))
        if len(parts) > 1:
            return lambda issue: all(p(issue) for p in parts)
        return parts[0]

    def negation(self, top: bool) -> Predicate:
        if self.accept("keyword", "not"):
            inner = self.negation(False)
            return lambda issue: not inner(issue)
        if self.accept("op", "("):
            inner = self.disjunction(False)
            if not self.accept("op", ")"):
                raise JqlError("Error in the JQL Query: expecting ')'.")
            return inner
        return self.clause(top)

    def clause(self, top: bool) -> Predicate:
        token = self.take()
        name = _ALIASES.get(token.text.lower(), token.text.lower())
        if name not in FIELDS:
            raise JqlError(
                f"Field '{token.text}' does not exist or you do not have permission to view it."
            )
        if self.accept("keyword", "is"):
            negate = self.accept("keyword", "not")
            if not (self.accept("keyword", "empty") or self.accept("keyword", "null")):
                raise JqlError("Error in the JQL Query: expecting EMPTY or NULL after IS.")
            check = _empty(name)
            return (lambda i: not check(i)) if negate else check
        negate_in = self.accept("keyword", "not")
        if self.accept("keyword", "in"):
            values = self.values()
            matcher = _matcher(name, "=", values, self.context)
            return (lambda i: not matcher(i)) if negate_in else matcher
        if negate_in:
            raise JqlError("Error in the JQL Query: expecting 'IN' after 'NOT'.")
        op = self.take()
        if op.kind != "op" or op.text in "(),":
            raise JqlError(f"Error in the JQL Query: expecting an operator but got '{op.text}'.")
        value = self.value()
        if name == "updated" and top:
            self._bound(op.text, value)
        return _matcher(name, op.text, [value], self.context)

    def _bound(self, op: str, value: Token) -> None:
        moment = to_time(value, self.context)
        ms = int(moment.timestamp() * 1000)
        if op in (">=", ">"):
            self.bounds["from"] = max(self.bounds.get("from", ms), ms)
        elif op in ("<", "<="):
            self.bounds["to"] = min(self.bounds.get("to", ms), ms)

    def values(self) -> list[Token]:
        if not self.accept("op", "("):
            raise JqlError("Error in the JQL Query: expecting '(' after IN.")
        values = [self.value()]
        while self.accept("op", ","):
            values.append(self.value())
        if not self.accept("op", ")"):
            raise JqlError("Error in the JQL Query: expecting ')' to close the list.")
        return values

    def value(self) -> Token:
        token = self.take()
        if token.kind not in ("string", "word", "keyword"):
            raise JqlError(f"Error in the JQL Query: expecting a value but got '{token.text}'.")
        if token.kind == "word" and self.accept("op", "("):  # a function: now()
            if not self.accept("op", ")"):
                raise JqlError(f"Unable to find JQL function '{token.text}(…)'.")
            if token.text.lower() != "now":
                raise JqlError(f"Unable to find JQL function '{token.text}()'.")
            return Token("now", "now")
        return token


def parse(text: str, context: Context) -> Query:
    """Parse ``text``; :class:`JqlError` says what Jira would answer."""
    return _Parser(tokenize(text), context).query()


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


def _empty(name: str) -> Predicate:
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


def _matcher(name: str, op: str, values: list[Token], context: Context) -> Predicate:
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


__all__ = ["Context", "JqlError", "Query", "parse", "sort_key", "to_time", "tokenize"]
