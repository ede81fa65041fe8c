"""Percentiles and shares, defined once for the SQL ranks and for lists in Python."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..store.report_sql import MONDAY, WEEK

HUB_ONLY = "itsmhub"


def week_of(moment: float) -> float:
    """The Monday 00:00 UTC starting the week of ``moment`` (epoch seconds)."""
    return (moment - MONDAY) // WEEK * WEEK + MONDAY


def percentile(values: Sequence[float], p: int) -> float | None:
    """The ``p``-th percentile of sorted ``values`` by linear interpolation between the
    closest ranks (PostgreSQL's ``percentile_cont``, NumPy's default); None if empty."""
    if not values:
        return None
    # Integer arithmetic: the rank is exact, (n-1)·p/100 never off by a rounding.
    low, rest = divmod((len(values) - 1) * p, 100)
    if rest == 0 or low + 1 >= len(values):
        return float(values[low])
    return values[low] + (values[low + 1] - values[low]) * rest / 100


def share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def system_names(masks: Iterable[int], systems: Sequence[str]) -> list[str]:
    """The systems named by the bits of ``masks``; the hub itself for records no tool
    holds yet (a problem a rule opened, before its copy is created)."""
    names: set[str] = set()
    for mask in masks:
        if mask == 0:
            names.add(HUB_ONLY)
        names.update(name for bit, name in enumerate(systems) if mask >> bit & 1)
    return sorted(names)
