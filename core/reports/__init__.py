"""Reports: the figures incident and problem management are judged by, over every tool.

``build_report`` asks the store for aggregates (``itsmhub.store.reporting``) and turns
them into :class:`Report` figures, each saying how it was computed and from which
systems; ``formats`` prints them, ``html`` writes the self-contained page and ``web``
serves the live, read-only pages. Definitions: ``docs/metrics.md``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .dimension import Dimension
from .models import Figure, GroupReport, Marker, ProblemNote, Report, Series, Trend, Unit
from .period import parse_moment, parse_period

if TYPE_CHECKING:
    from .build import build_report, clustering_of
    from .problems import Clustering

#: Names whose modules load the store; imported on first use, so the CLI starts light.
_WITH_STORE = {"build_report": ".build", "clustering_of": ".build", "Clustering": ".problems"}


def __getattr__(name: str) -> Any:
    if name in _WITH_STORE:
        from importlib import import_module

        return getattr(import_module(_WITH_STORE[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Clustering",
    "Dimension",
    "Figure",
    "GroupReport",
    "Marker",
    "ProblemNote",
    "Report",
    "Series",
    "Trend",
    "Unit",
    "build_report",
    "clustering_of",
    "parse_moment",
    "parse_period",
]
