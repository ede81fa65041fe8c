"""A JQL subset: the clauses a sync sends, parsed and evaluated as Jira does.

Fields: ``project``, ``key`` (``issuekey``, ``id``, ``issue``), ``labels``,
``issuetype`` (``type``), ``status``, ``summary`` (``~``), ``updated``/``created``
(``updatedDate``/``createdDate``). Operators: ``= != > >= < <= ~ IN, NOT IN, IS [NOT]
EMPTY``; ``AND``, ``OR``, ``NOT`` and parentheses; ``ORDER BY`` up to seven fields.

How clauses match and times read is ``clauses.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .clauses import Context, JqlError, Predicate, Token, empty, matcher, sort_key, to_time

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
            check = empty(name)
            return (lambda i: not check(i)) if negate else check
        negate_in = self.accept("keyword", "not")
        if self.accept("keyword", "in"):
            values = self.values()
            found = matcher(name, "=", values, self.context)
            return (lambda i: not found(i)) if negate_in else found
        if negate_in:
            raise JqlError("Error in the JQL Query: expecting 'IN' after 'NOT'.")
        op = self.take()
        if op.kind != "op" or op.text in "(),":
            raise JqlError(f"Error in the JQL Query: expecting an operator but got '{op.text}'.")
        value = self.value()
        if name == "updated" and top:
            self._bound(op.text, value)
        return matcher(name, op.text, [value], self.context)

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


__all__ = ["Context", "JqlError", "Query", "parse", "sort_key", "to_time", "tokenize"]
