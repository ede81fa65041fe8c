"""Okta's ``search`` and ``filter`` expressions: the SCIM-like subset the plugin and the
demo use, parsed into a predicate over a resource's JSON.

    profile.email eq "a@x.com" or (status eq "ACTIVE" and lastUpdated gt "2026-01-01T00:00:00.000Z")

Operators: ``eq ne gt ge lt le sw co pr``; ``and`` binds tighter than ``or``; ``not`` is
not supported (Okta's search has no ``not`` either). Strings compare case-insensitively,
as Okta's search does for profile attributes; timestamps compare as instants.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

Predicate = Callable[[dict[str, Any]], bool]

_TOKEN = re.compile(r'\s*(?:(\()|(\))|"((?:[^"\\]|\\.)*)"|([A-Za-z_][\w.]*)|(\S+))')
_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le", "sw", "co", "pr"})


class InvalidQuery(ValueError):
    """The expression is not one Okta would accept."""


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise InvalidQuery(f"cannot read the expression at {text[position:]!r}")
        position = match.end()
        if match[1]:
            out.append(("(", "("))
        elif match[2]:
            out.append((")", ")"))
        elif match[3] is not None:
            out.append(("str", match[3].replace('\\"', '"')))
        elif match[4]:
            out.append(("word", match[4]))
        else:
            out.append(("other", match[5]))
    return out


def lookup(resource: dict[str, Any], path: str) -> Any:
    """``profile.email`` in ``{"profile": {"email": …}}``; None when absent."""
    node: Any = resource
    for part in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


def _as_instant(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def _compare(op: str, held: Any, given: str) -> bool:
    if op == "pr":
        return held not in (None, "", [])
    if held is None:
        return op == "ne"
    if isinstance(held, bool):
        held = "true" if held else "false"
    left, right = str(held), given
    instants = (_as_instant(left), _as_instant(right)) if op in ("gt", "ge", "lt", "le") else None
    if instants and instants[0] is not None and instants[1] is not None:
        a, b = instants
        return {"gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b}[op]
    a, b = left.lower(), right.lower()
    return {
        "eq": a == b,
        "ne": a != b,
        "gt": a > b,
        "ge": a >= b,
        "lt": a < b,
        "le": a <= b,
        "sw": a.startswith(b),
        "co": b in a,
    }[op]


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], allowed: frozenset[str] | None) -> None:
        self.tokens = tokens
        self.at = 0
        self.allowed = allowed
        self.attributes: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise InvalidQuery("the expression ends too early")
        self.at += 1
        return token

    def expression(self) -> Predicate:
        terms = [self.conjunction()]
        while (token := self.peek()) is not None and token == ("word", "or"):
            self.take()
            terms.append(self.conjunction())
        return terms[0] if len(terms) == 1 else (lambda r: any(t(r) for t in terms))

    def conjunction(self) -> Predicate:
        terms = [self.factor()]
        while (token := self.peek()) is not None and token == ("word", "and"):
            self.take()
            terms.append(self.factor())
        return terms[0] if len(terms) == 1 else (lambda r: all(t(r) for t in terms))

    def factor(self) -> Predicate:
        kind, value = self.take()
        if kind == "(":
            inner = self.expression()
            if self.take()[0] != ")":
                raise InvalidQuery("a parenthesis is not closed")
            return inner
        if kind != "word":
            raise InvalidQuery(f"expected an attribute, got {value!r}")
        attribute = value
        if self.allowed is not None and attribute not in self.allowed:
            raise InvalidQuery(f"{attribute} cannot be used here")
        self.attributes.append(attribute)
        op_kind, op = self.take()
        op = op.lower()
        if op_kind != "word" or op not in _OPERATORS:
            raise InvalidQuery(f"unknown operator {op!r}")
        if op == "pr":
            return lambda r: _compare("pr", lookup(r, attribute), "")
        value_kind, given = self.take()
        if value_kind not in ("str", "word"):
            raise InvalidQuery(f"expected a quoted value after {attribute} {op}")
        return lambda r: _compare(op, lookup(r, attribute), given)


def parse(text: str, *, allowed: Iterable[str] | None = None) -> Predicate:
    """A predicate for ``text``; :class:`InvalidQuery` if Okta would refuse it.

    ``allowed`` limits the attributes (``filter`` on users takes only a few)."""
    parser = _Parser(_tokens(text), frozenset(allowed) if allowed is not None else None)
    predicate = parser.expression()
    if parser.peek() is not None:
        raise InvalidQuery(f"unexpected {parser.peek()[1]!r}")  # type: ignore[index]
    return predicate
