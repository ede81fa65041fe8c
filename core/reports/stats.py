"""Percentiles and shares, defined once for the SQL ranks and for lists in Python."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..store.reporting import Ranked

HUB_ONLY = "itsmhub"


def percentile(values: Sequence[float], p: int) -> float | None:
    """The ``p``-th percentile of sorted ``values`` by linear interpolation between the
    closest ranks (PostgreSQL's ``percentile_cont``, NumPy's default); None if empty."""
    if not values:
        return None
    low, rest = divmod((len(values) - 1) * p, 100)
    if rest == 0 or low + 1 >= len(values):
        return float(values[low])
    return values[low] + (values[low + 1] - values[low]) * rest / 100


def percentile_of(ranked: Iterable[Ranked], p: int) -> tuple[float | None, int]:
    """The ``p``-th percentile from the rows around it (see ``store.reporting._ranks``),
    and the number of values it is taken over."""
    by_rank = {r.rank: r for r in ranked}
    if not by_rank:
        return None, 0
    n = next(iter(by_rank.values())).n
    low, rest = divmod((n - 1) * p, 100)
    below = by_rank[low + 1].value
    above = by_rank.get(low + 2)
    if rest == 0 or above is None:
        return below, n
    return below + (above.value - below) * rest / 100, n


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
