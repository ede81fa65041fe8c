"""One statement for many rows, bound without SQLAlchemy's per-row bookkeeping.

``conn.execute(statement, rows)`` builds a parameter dictionary for every row and then
walks it again to apply each column type's bind processor: on a backfill that was a
sixth of the CPU. :func:`execute_many` compiles the statement once for the rows' keys,
looks each column's processor up once, and hands the driver plain tuples through
``exec_driver_sql``: the same SQL, the same conversions, the same ``executemany`` call.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
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
    params = [
        tuple(
            (processor(row[key]) if processor is not None else row[key])
            if key is not None
            else processor
            for key, processor in slots
        )
        for row in rows
    ]
    await conn.exec_driver_sql(sql, params)  # type: ignore[arg-type]


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
