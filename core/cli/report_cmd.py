"""``itsmhub report``: incident and problem figures over every tool's records together."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import click

from ..model import utcnow
from ..reports.dimension import Dimension
from ..reports.period import parse_period
from .context import AdminHub, run_admin
from .main import cli, handle_errors
from .output import console


def now() -> datetime:
    """The time a report ends at by default; tests replace it."""
    return utcnow()


@cli.command("report")
@click.option(
    "--since",
    default="90d",
    show_default=True,
    metavar="WHEN",
    help="Start: a duration before now (90d, 12w), a date, an ISO timestamp, or 'all'.",
)
@click.option("--until", metavar="WHEN", help="End (exclusive), in the same forms; default now.")
@click.option(
    "--by", type=click.Choice([d.value for d in Dimension]), help="Break the figures down."
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Also write a self-contained page with charts to this file.",
)
@click.pass_context
@handle_errors
def report_command(
    ctx: click.Context,
    since: str,
    until: str | None,
    by: str | None,
    fmt: str,
    html_path: Path | None,
) -> None:
    """Incident and problem figures for the incidents opened in a period, across every
    connected tool: volume, MTTA, MTTR, SLA, first-contact resolution, reopens, major
    incidents, recurrence, problems and known errors, and the weekly trend.

    Each figure says how it was computed, over how many records and from which systems;
    docs/metrics.md defines them. Times are UTC.
    """
    at = now()
    try:
        start, end = parse_period(since, until, now=at)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    dimension = Dimension(by) if by else None

    from ..reports import build_report, clustering_of
    from ..reports.formats import print_tables, to_csv, to_json

    async def work(hub: AdminHub) -> Any:
        return await build_report(
            hub.require_store(),
            since=start,
            until=end,
            by=dimension,
            clustering=clustering_of(hub.config),
            now=at,
        )

    report = run_admin(ctx, work)
    if fmt == "json":
        click.echo(to_json(report))
    elif fmt == "csv":
        click.echo(to_csv(report), nl=False)
    else:
        print_tables(report, console())
    if html_path is not None:
        from ..reports.html import render_page

        html_path.write_text(render_page(report), encoding="utf-8")
        click.echo(f"wrote {html_path}", err=True)
