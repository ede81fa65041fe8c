"""The report as one self-contained HTML page: figures, tables and Plotly charts.

Plotly's JavaScript comes from the ``plotly`` package (its bundled ``plotly.min.js``) and
is inlined, so the page opens with no network; the live pages link the same file, served
by the app, instead of repeating 4.8 MB in every response.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import jinja2

from .formats import human_duration, period_line, shown
from .models import Report, Trend

#: The charts' look, shared by every page.
_LAYOUT: dict[str, Any] = {
    "margin": {"l": 50, "r": 20, "t": 40, "b": 40},
    "legend": {"orientation": "h"},
    "hovermode": "closest",
}
CHART_CONFIG = {"displaylogo": False, "responsive": True}


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("itsmhub.reports", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["shown"] = shown
    env.filters["duration"] = human_duration
    return env


@cache
def plotly_js() -> str:
    """The minified Plotly bundle shipped inside the ``plotly`` package."""
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs())


def plotly_version() -> str:
    from plotly import __version__

    return str(__version__)


def trend_chart(trend: Trend) -> dict[str, Any]:
    """Weekly volume, one line per series, a star where a problem of it was fixed."""
    weeks = [week.isoformat() for week in trend.weeks]
    data: list[dict[str, Any]] = [
        {"type": "scatter", "mode": "lines+markers", "name": s.name, "x": weeks, "y": s.counts}
        for s in trend.series
    ]
    by_name = {s.name: s for s in trend.series}
    markers = [m for m in trend.markers if m.series in by_name and m.week in trend.weeks]
    if markers:
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": "problem fixed",
                "x": [m.week.isoformat() for m in markers],
                "y": [by_name[m.series].counts[trend.weeks.index(m.week)] for m in markers],
                "text": [f"{m.problem} fixed: {m.title} ({m.series})" for m in markers],
                "hoverinfo": "text+x",
                "marker": {"symbol": "star", "size": 14, "color": "#d62728"},
            }
        )
    layout = {
        **_LAYOUT,
        "title": {"text": f"Incidents per week by {trend.by.value}"},
        "showlegend": True,  # Plotly hides a lone series' legend, and with it its name
        "yaxis": {"title": {"text": "incidents"}, "rangemode": "tozero"},
    }
    return {"data": data, "layout": layout}


def backlog_chart(report: Report) -> dict[str, Any]:
    """Open problems by age at the end of the period."""
    figures = [f for f in report.overall.problems if f.key.startswith("open_problems_")]
    data = [
        {
            "type": "bar",
            "name": "open problems",
            "x": [f.label.removeprefix("Open problems, ").removesuffix(" old") for f in figures],
            "y": [f.value or 0 for f in figures],
        }
    ]
    layout = {**_LAYOUT, "title": {"text": "Open problems by age"}}
    return {"data": data, "layout": layout}


def render_page(report: Report, *, script_src: str | None = None, nav: bool = False) -> str:
    """The report page: Plotly inlined, or loaded from ``script_src`` (the live pages)."""
    return (
        environment()
        .get_template("report.html")
        .render(
            report=report,
            period=period_line(report),
            charts={"trend": trend_chart(report.trend), "backlog": backlog_chart(report)},
            chart_config=CHART_CONFIG,
            plotly_inline=plotly_js() if script_src is None else None,
            script_src=script_src,
            nav=nav,
            summary=SUMMARY_KEYS,
        )
    )


#: Figures the per-group table of the page shows (all of them are in the JSON).
SUMMARY_KEYS = (
    "volume",
    "mtta_median",
    "mttr_median",
    "mttr_p90",
    "sla_resolution",
    "fcr",
    "reopen_rate",
    "major",
    "recurrence_rate",
)
