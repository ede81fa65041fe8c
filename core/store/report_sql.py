"""SQL building blocks for the reporting queries, written once for SQLite and PostgreSQL.

Reports do their arithmetic on epoch seconds (floats), so both databases agree: SQLite
keeps timestamps as UTC text (``julianday`` reads both the store's ``YYYY-MM-DD HH:MM:SS``
and the ISO ``…T…Z`` of the records' JSON), PostgreSQL as ``timestamptz``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    Table,
    and_,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import TIMESTAMP

from ..reports.dimension import Dimension
from .schema import external_refs, records, ticket_facts

#: Monday 1970-01-05 00:00 UTC, in epoch seconds: weeks are counted from a Monday.
MONDAY = 345_600
WEEK = 604_800


class Sql:
    """Expressions whose spelling differs between the two databases."""

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"

    def epoch(self, value: ColumnElement[object], *, text: bool = False) -> ColumnElement[float]:
        """Seconds since 1970 of a timestamp column, or of ISO text (``text=True``)."""
        if self.sqlite:
            # julianday keeps about 40 µs of precision at today's dates: round to the ms.
            return func.round((func.julianday(value) - 2440587.5) * 86400.0, 3)
        if text:
            value = cast(value, TIMESTAMP(timezone=True))
        return cast(func.extract("epoch", value), Float)

    def scalar(self, value: ColumnElement[object]) -> ColumnElement[str]:
        """A JSON column's value as text: a string without its quotes; NULL for JSON null."""
        if self.sqlite:
            return func.json_extract(value, "$")
        return value.op("#>>")(literal_column("'{}'"))

    def json_value(self, value: ColumnElement[object]) -> ColumnElement[str]:
        """A JSON column as comparable text: on SQLite the stored JSON itself (compare it
        with :meth:`json_literal`; parsing three million rows would cost seconds), on
        PostgreSQL the value as text."""
        return value if self.sqlite else self.scalar(value)

    def json_literal(self, value: str) -> str:
        """``value`` as :meth:`json_value` shows it: JSON on SQLite, plain on PostgreSQL."""
        return json.dumps(value) if self.sqlite else value

    def json_present(self, value: ColumnElement[str]) -> ColumnElement[bool]:
        """A :meth:`json_value` that is neither SQL NULL nor JSON null."""
        if self.sqlite:
            return and_(value.is_not(None), value != "null")
        return value.is_not(None)

    def floor(self, value: ColumnElement[float]) -> ColumnElement[int]:
        """The integer part of a non-negative number."""
        if self.sqlite:
            return cast(value, Integer)
        return cast(func.floor(value), Integer)

    def week(self, epoch: ColumnElement[float]) -> ColumnElement[int]:
        """The Monday 00:00 UTC starting the week of ``epoch``, in epoch seconds."""
        return self.floor((epoch - MONDAY) / WEEK) * WEEK + MONDAY

    def dimension(
        self, dimension: Dimension | None, facts: Table = ticket_facts, data: Table = records
    ) -> ColumnElement[str | None]:
        """A ticket's value in ``dimension`` (NULL when it has none; a constant for None).

        Service and category are the facts' case-folded values, so "VPN" in one tool and
        "vpn" in another are one group; the system is where the ticket was first filed;
        the department is the reporter's, as an enricher (Okta) told the hub.
        """
        if dimension is None:
            return null()
        if dimension is Dimension.DEPARTMENT:
            return data.c.data[("enrichment", "department")].as_string()
        column = {"service": "service", "category": "category", "system": "origin"}[dimension]
        return facts.c[column]


def system_mask(facts: Table, systems: Sequence[str]) -> ColumnElement[int]:
    """The systems a ticket lives in, one bit per name of ``systems`` (0: the hub only)."""
    if not systems:
        return literal_column("0")
    bits = case(
        *[(external_refs.c.system == name, 1 << i) for i, name in enumerate(systems)], else_=0
    )
    total = select(func.sum(bits)).where(external_refs.c.record_id == facts.c.record_id)
    return func.coalesce(total.scalar_subquery(), 0)


def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def json_time(path: str) -> ColumnElement[str]:
    """A timestamp field of a record's JSON, as ISO text."""
    return records.c.data[path].as_string()
