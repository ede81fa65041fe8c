"""Rule conditions are data: a table of field → test, checked here when config loads.

Each entry of a rule's ``when`` table names a neutral field (dotted for nested ones,
``custom.<name>`` for mapped custom fields) and a test:

    when.status = "resolved"                      equality
    when.service = ["vpn", "remote-access"]       one of
    when.title = { matches = "(?i)vpn.*drop" }    regular expression
    when.priority = { lte = 2 }                   range (gt, gte, lt, lte)
    when.tags = { contains = "dig-later" }        membership in a list field
    when.created_at = { within = "7d" }           time window, relative to now
    when.assignee = { exists = false }            presence

No expression is ever evaluated as code.
"""

from __future__ import annotations

import difflib
import re
from datetime import timedelta
from typing import Annotated, Any, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    RootModel,
    field_validator,
    model_validator,
)

from ..durations import Duration
from ..model import Incident, KnownError, Problem

Scalar = str | int | float | bool

#: The longest regular expression a rule may use (bounds the cost of compiling it).
MAX_PATTERN_LENGTH = 500


class Test(BaseModel):
    """One test on one field; several operators in one table must all hold."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    eq: Scalar | None = None
    ne: Scalar | None = None
    in_: list[Scalar] | None = Field(None, alias="in")
    not_in: list[Scalar] | None = None
    contains: Scalar | None = None
    matches: str | None = None
    gt: Scalar | None = None
    gte: Scalar | None = None
    lt: Scalar | None = None
    lte: Scalar | None = None
    within: Duration | None = None
    exists: bool | None = None

    @field_validator("matches")
    @classmethod
    def _valid_pattern(cls, pattern: str | None) -> str | None:
        if pattern is None:
            return None
        if len(pattern) > MAX_PATTERN_LENGTH:
            raise ValueError(f"pattern is longer than {MAX_PATTERN_LENGTH} characters")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern

    @field_validator("within")
    @classmethod
    def _positive_window(cls, window: timedelta | None) -> timedelta | None:
        if window is not None and window <= timedelta(0):
            raise ValueError("a time window must be longer than zero")
        return window

    @model_validator(mode="after")
    def _at_least_one(self) -> Self:
        if not self.model_fields_set:
            raise ValueError(
                "empty test; use one of eq, ne, in, not_in, contains, matches, "
                "gt, gte, lt, lte, within, exists"
            )
        return self


def _shorthand(value: Any) -> Any:
    """``"x"`` means ``{eq = "x"}``; ``["a", "b"]`` means ``{in = ["a", "b"]}``."""
    if isinstance(value, list):
        return {"in": value}
    if isinstance(value, str | int | float | bool):
        return {"eq": value}
    return value


FieldTest = Annotated[Test, BeforeValidator(_shorthand)]

_TICKET_MODELS: tuple[type[BaseModel], ...] = (Incident, Problem, KnownError)
_NESTED = {"reporter", "assignee"}
_PERSON_FIELDS = {"display_name", "email"}
KNOWN_FIELDS: frozenset[str] = frozenset(
    name for model in _TICKET_MODELS for name in model.model_fields
)


def check_field_path(path: str) -> str:
    """Refuse a field the neutral model does not have, suggesting the nearest one."""
    head, _, rest = path.partition(".")
    if head == "custom" and rest:
        return path
    if head in _NESTED and rest in _PERSON_FIELDS:
        return path
    if head in KNOWN_FIELDS and not rest:
        return path
    candidates = sorted(KNOWN_FIELDS | {f"{n}.{p}" for n in _NESTED for p in _PERSON_FIELDS})
    close = difflib.get_close_matches(path, candidates, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise ValueError(f"unknown field {path!r}{hint} (custom fields are 'custom.<name>')")


FieldPath = Annotated[str, AfterValidator(check_field_path)]


class Conditions(RootModel[dict[FieldPath, FieldTest]]):
    """A ``when`` table: every field test must hold for a record to match."""

    root: dict[FieldPath, FieldTest] = Field(default_factory=dict)

    def fields(self) -> list[str]:
        return list(self.root)
