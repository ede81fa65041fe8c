"""Reports: the figures incident and problem management are judged by, over every tool.

``build_report`` asks the store for aggregates (``itsmhub.store.reporting``) and turns
them into :class:`Report` figures, each saying how it was computed and from which
systems; ``formats`` prints them, ``html`` writes the self-contained page and ``web``
serves the live, read-only pages. Definitions: ``docs/metrics.md``.
"""

from ..store.report_sql import Dimension
from .build import build_report, clustering_of
from .models import Figure, GroupReport, Marker, ProblemNote, Report, Series, Trend, Unit
from .period import parse_moment, parse_period
from .problems import Clustering

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
