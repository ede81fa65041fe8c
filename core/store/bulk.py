"""One statement for many rows, bound without SQLAlchemy's per-row bookkeeping.

``conn.execute(statement, rows)`` builds a parameter dictionary for every row and then
walks it again to apply each column type's bind processor: on a backfill that was a
sixth of the CPU. :func:`execute_many` compiles the statement once for the rows' keys,
looks each column's processor up once, and hands the driver plain tuples through
``exec_driver_sql``: the same SQL, the same conversions, the same ``executemany`` call.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql import ClauseElement

#: Where a positional parameter comes from: a row's value under this key, through this
#: bind processor (None: as it is); or, for a key rows do not have, a constant.
_Slot = tuple[str, Callable[[Any], Any] | None] | tuple[None, Any]


async def execute_many(
    conn: AsyncConnection, statement: ClauseElement, rows: Sequence[Mapping[str, Any]]
) -> None:
    """Execute ``statement`` once per row of ``rows`` (which all have the same keys)."""
    if not rows:
        return
    plan = _plan(conn, statement, list(rows[0]))
    if plan is None:
        await conn.execute(statement, list(rows))  # type: ignore[arg-type]
        return
    sql, slots = plan
    bound = _bind(slots, rows)
    # PostgreSQL: an insert of many rows is one statement over arrays, not one per row.
    arrays = _as_arrays(sql) if conn.dialect.name == "postgresql" and len(bound) > 1 else None
    if arrays is not None:
        await conn.exec_driver_sql(arrays, [tuple(list(c) for c in zip(*bound, strict=True))])
        return
    await conn.exec_driver_sql(sql, bound)  # type: ignore[arg-type]


_VALUES = re.compile(r"VALUES \((\$\d+::[A-Z ]+(?:, \$\d+::[A-Z ]+)*)\)")


def _as_arrays(sql: str) -> str | None:
    """An ``INSERT … VALUES ($1::T, …)`` as ``INSERT … SELECT … FROM unnest($1::T[], …)``:
    one execution for all rows, each parameter a column of them, inserted in the rows'
    order (serial ids follow it, as they did row by row); None for other SQL."""
    if not sql.startswith("INSERT INTO "):
        return None
    found = _VALUES.search(sql)
    if found is None:
        return None
    params = found.group(1).split(", ")
    arrays = ", ".join(f"{p}[]" for p in params)
    names = ", ".join(f"c{n}" for n in range(len(params)))
    # SQLAlchemy's own compiled statement, rewritten: no value ever enters the text.
    rows = f"SELECT {names} FROM unnest({arrays}) WITH ORDINALITY AS u({names}, n) ORDER BY n"  # noqa: S608
    return f"{sql[: found.start()]}{rows}{sql[found.end() :]}"


def _bind(slots: list[_Slot], rows: Sequence[Mapping[str, Any]]) -> list[tuple[Any, ...]]:
    """Each row's positional parameters: its values picked in one C call, then only the
    columns with a processor (and the constants) touched in Python."""
    keys = [key for key, _ in slots if key is not None]
    if not keys:
        return [tuple(constant for _, constant in slots) for _ in rows]
    pick = itemgetter(*keys)
    picked = [pick(row) for row in rows] if len(keys) > 1 else [(pick(row),) for row in rows]
    if len(keys) == len(slots) and all(processor is None for _, processor in slots):
        return picked
    # Where each slot's value comes from: an index into the picked tuple, or a constant.
    sources: list[tuple[int, Callable[[Any], Any] | None] | tuple[None, Any]] = []
    index = 0
    for key, processor in slots:
        if key is None:
            sources.append((None, processor))
        else:
            sources.append((index, processor))
            index += 1
    processed = [(i, p) for i, p in sources if i is not None and p is not None]
    constants = any(i is None for i, _ in sources)
    if not constants:
        out = []
        for values in picked:
            row = list(values)
            for i, processor in processed:
                row[i] = processor(row[i])
            out.append(tuple(row))
        return out
    return [
        tuple(
            (processor(values[i]) if processor is not None else values[i])
            if i is not None
            else processor
            for i, processor in sources
        )
        for values in picked
    ]


def _plan(
    conn: AsyncConnection, statement: ClauseElement, keys: list[str]
) -> tuple[str, list[_Slot]] | None:
    """The compiled SQL and where each of its positional parameters comes from; None
    when the dialect binds by name or the statement needs SQLAlchemy's own expansion."""
    dialect = conn.dialect
    compiled = statement.compile(dialect=dialect, column_keys=keys)
    order = compiled.positiontup
    if not compiled.positional or order is None or compiled.escaped_bind_names:
        return None
    present = set(keys)
    slots: list[_Slot] = []
    for name in order:
        bind = compiled.binds[name]
        if bind.expanding:
            return None
        if name in present:
            slots.append((name, bind.type.dialect_impl(dialect).bind_processor(dialect)))
        elif bind.callable is None and bind.value is not None:
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            value = processor(bind.value) if processor is not None else bind.value
            slots.append((None, value))
        else:
            return None
    return compiled.string, slots
