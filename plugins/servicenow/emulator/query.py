"""The encoded-query language of ``sysparm_query``.

``^`` is AND, ``^OR`` joins a term to the previous one, ``^NQ`` starts a new query
whose results are OR-ed with the others. Terms the parser cannot read, or that name a
field the table does not have, are dropped, as an instance does by default.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

Row = dict[str, str]

# Longest first, so ``NOT IN`` wins over ``IN`` and ``>=`` over ``>``.
OPERATORS = (
    "ISNOTEMPTY",
    "STARTSWITH",
    "NOT LIKE",
    "ENDSWITH",
    "ISEMPTY",
    "BETWEEN",
    "NOT IN",
    "LIKE",
    "IN",
    "!=",
    ">=",
    "<=",
    "=",
    ">",
    "<",
)
_TERM = re.compile(
    r"(?P<field>[a-z0-9_.]+?)(?P<op>"
    + "|".join(re.escape(op) for op in OPERATORS)
    + r")(?P<value>.*)",
    re.DOTALL,
)


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str

    def matches(self, row: Row) -> bool:
        if self.op in ("IN", "NOT IN"):  # a list of thousands of sys_ids: look up, not scan
            return (row.get(self.field, "") in self.members) == (self.op == "IN")
        return _compare(self.op, row.get(self.field, ""), self.value)

    @cached_property
    def members(self) -> frozenset[str]:
        """The values of an ``IN`` list."""
        return frozenset(self.value.split(","))


Clause = tuple[Term, ...]
"""Terms joined by ``^OR``: one of them must match."""


@dataclass(frozen=True)
class Query:
    """Groups (``^NQ``) of AND-ed clauses, and the ``ORDERBY`` keys in order."""

    groups: tuple[tuple[Clause, ...], ...] = ()
    order: tuple[tuple[str, bool], ...] = ()

    def matches(self, row: Row) -> bool:
        if not self.groups:
            return True
        return any(all(any(t.matches(row) for t in clause) for clause in g) for g in self.groups)

    def apply(self, rows: Sequence[Row]) -> list[Row]:
        """Filter, then sort by each ORDERBY key (first key most significant)."""
        out = [row for row in rows if self.matches(row)]
        for field, descending in reversed(self.order):
            out.sort(key=lambda row, f=field: _sort_key(row.get(f, "")), reverse=descending)
        return out


def parse_term(text: str, fields: Collection[str] | None = None) -> Term | None:
    """One ``<field><op><value>`` term, or None when it is invalid for the table."""
    match = _TERM.fullmatch(text)
    if match is None:
        return None
    term = Term(match["field"], match["op"], match["value"])
    if fields is not None and term.field not in fields:
        return None
    if term.op in ("ISEMPTY", "ISNOTEMPTY") and term.value:
        return None
    if term.op == "BETWEEN" and "@" not in term.value:
        return None
    return term


def parse(text: str, fields: Collection[str] | None = None) -> Query:
    """Parse an encoded query; ``fields`` (the table's columns) drops unknown-field terms."""
    groups: list[tuple[Clause, ...]] = []
    order: list[tuple[str, bool]] = []
    for part in text.split("^NQ") if text else []:
        clauses: list[list[Term]] = []
        for piece in part.split("^"):
            if piece.startswith("ORDERBYDESC"):
                _add_order(order, piece.removeprefix("ORDERBYDESC"), True, fields)
            elif piece.startswith("ORDERBY"):
                _add_order(order, piece.removeprefix("ORDERBY"), False, fields)
            elif piece.startswith("OR") and clauses:
                term = parse_term(piece.removeprefix("OR"), fields)
                if term is not None:
                    clauses[-1].append(term)
            else:
                term = parse_term(piece, fields)
                # An invalid term still opens a clause, so a following ^OR has a home.
                clauses.append([term] if term is not None else [])
        kept = tuple(tuple(c) for c in clauses if c)
        if kept:
            groups.append(kept)
        elif part.strip():
            groups.append(())  # every term invalid: the group matches everything
    return Query(tuple(groups), tuple(order))


def _add_order(
    order: list[tuple[str, bool]], field: str, desc: bool, fields: Collection[str] | None
) -> None:
    if field and (fields is None or field in fields):
        order.append((field, desc))


_NUMERIC = re.compile(r"-?\d{1,15}(\.\d+)?")


def _number(text: str) -> float | None:
    """Choice and integer values compare as numbers; sys_ids and dates stay strings."""
    return float(text) if _NUMERIC.fullmatch(text) else None


def _ordered(value: str, other: str, compare: Callable[[object, object], bool]) -> bool:
    a, b = _number(value), _number(other)
    if a is not None and b is not None:
        return compare(a, b)
    return compare(value, other)


def _sort_key(value: str) -> tuple[int, float, str]:
    number = _number(value)
    return (0, number, "") if number is not None else (1, 0.0, value)


def _compare(op: str, value: str, operand: str) -> bool:
    low, needle = value.lower(), operand.lower()
    match op:
        case "=":
            return value == operand
        case "!=":
            return value != operand
        case "LIKE":
            return needle in low
        case "NOT LIKE":
            return needle not in low
        case "STARTSWITH":
            return low.startswith(needle)
        case "ENDSWITH":
            return low.endswith(needle)
        case "IN":
            return value in operand.split(",")
        case "NOT IN":
            return value not in operand.split(",")
        case "ISEMPTY":
            return value == ""
        case "ISNOTEMPTY":
            return value != ""
        case ">":
            return value != "" and _ordered(value, operand, lambda a, b: a > b)  # type: ignore[operator]
        case ">=":
            return value != "" and _ordered(value, operand, lambda a, b: a >= b)  # type: ignore[operator]
        case "<":
            return value != "" and _ordered(value, operand, lambda a, b: a < b)  # type: ignore[operator]
        case "<=":
            return value != "" and _ordered(value, operand, lambda a, b: a <= b)  # type: ignore[operator]
        case "BETWEEN":
            low_end, _, high_end = operand.partition("@")
            return (
                value != ""
                and _ordered(value, low_end, lambda a, b: a >= b)  # type: ignore[operator]
                and _ordered(value, high_end, lambda a, b: a <= b)  # type: ignore[operator]
            )
    return True
