"""``itsmhub sync`` and ``itsmhub backfill``: run the engine from the command line."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ..model import RecordKind
from . import logs
from .context import run_engine
from .daemon_cmd import run_daemon
from .main import EXIT_FAILURE, cli, handle_errors
from .output import print_json, print_table
from .progress import Progress
from .render import human
from .times import When, resolve_range, since_option, until_option

if TYPE_CHECKING:
    from ..engine import CycleReport, Hub
    from ..engine.plan import Plan


@cli.command("sync")
@click.option("--connector", "only", metavar="NAME", help="Only pull this connector.")
@click.option(
    "--once",
    is_flag=True,
    help="Run one cycle and exit (default: keep running, as the daemon does).",
)
@click.option(
    "--plan", "show_plan", is_flag=True, help="Print what a cycle would write; write nothing."
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def sync_command(
    ctx: click.Context, only: str | None, once: bool, show_plan: bool, as_json: bool
) -> None:
    """Pull changes from every connector, merge them, and push them to the others.

    With --once it runs one cycle and exits 1 if a connector failed in it. Without,
    it runs the daemon's loop without its HTTP server (no webhooks, health or metrics:
    see itsmhub daemon): each connector on its schedule until SIGTERM or SIGINT, one
    log line per cycle (JSON lines with --json).
    """
    from ..engine import plan, sync_once

    config_path: Path = ctx.obj["config_path"]
    if show_plan:
        planned = run_engine(config_path, lambda hub: plan(hub, only=only))
        _print_plan(planned, as_json)
        return
    if once:
        report = run_engine(config_path, lambda hub: sync_once(hub, only=only))
        _print_report(report, as_json)
        if not report.ok:
            raise SystemExit(EXIT_FAILURE)
        return
    logs.configure_default(ctx, logging.INFO)
    run_daemon(config_path, serve=False, only=only, log_format="json" if as_json else "text")


@cli.command("backfill")
@click.option("--connector", "name", required=True, metavar="NAME", help="The connector to read.")
@since_option(required=True, allow_all=False, help="Start (inclusive).")
@until_option(help="End (exclusive); default now.")
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice([k.value for k in RecordKind]),
    help="Record kinds to read (default: all the connector syncs).",
)
@click.option("--dry-run", is_flag=True, help="Read and merge, then roll back: write nothing.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def backfill_command(
    ctx: click.Context,
    name: str,
    since: When,
    until: When | None,
    kinds: tuple[str, ...],
    dry_run: bool,
    as_json: bool,
) -> None:
    """Read a range of history from one connector, beside the incremental cursor.

    The cursor is neither used nor moved, so a backfill can run while sync runs.
    """
    from ..engine import backfill_streams

    start, end = resolve_range(since, until, datetime.now(UTC))
    assert start is not None  # --since is required and cannot be "all"

    async def work(hub: Hub) -> dict[str, Any]:
        streams = hub.streams_of(name)
        if kinds:  # the streams yielding the kinds asked for
            streams = [s for s in streams if s.kinds & {RecordKind(k) for k in kinds}]
        streams = [s for s in streams if s.backfill]
        with Progress(enabled=not as_json) as advance:
            totals = await backfill_streams(
                hub, name, streams, since=start, until=end, dry_run=dry_run, progress=advance
            )
        return {stream: asdict(stats) for stream, stats in totals.items()}

    totals = run_engine(ctx.obj["config_path"], work)
    if as_json:
        print_json({"connector": name, "dry_run": dry_run, "kinds": totals})
        return
    rows = [
        (kind, s["seen"], s["created"], s["updated"], s["unchanged"], s["rejected"])
        for kind, s in totals.items()
    ]
    print_table(
        f"backfill of {name}" + (" (dry run: nothing written)" if dry_run else ""),
        ["kind", "read", "new", "updated", "unchanged", "dead-lettered"],
        rows,
    )


def _print_report(report: CycleReport, as_json: bool) -> None:
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    rules = report.rules
    if as_json:
        print_json(
            {
                "at": stamp,
                "ok": report.ok,
                "connectors": {
                    name: {
                        "pull": asdict(r.pull),
                        "push": asdict(r.push),
                        "errors": r.errors,
                        "held_by_another_worker": not r.held,
                    }
                    for name, r in report.connectors.items()
                },
                "rules": {
                    "seen": rules.seen,
                    "proposed": dict(rules.counts),
                    "applied": rules.applied,
                    "proposals": [p.model_dump(mode="json") for p in rules.proposals],
                    "errors": rules.errors,
                }
                if rules is not None
                else None,
            }
        )
        return
    rows = [
        (
            name,
            r.pull.seen,
            r.pull.created,
            r.pull.updated,
            r.pull.conflicts,
            r.pull.rejected,
            r.push.pushed,
            r.push.retried,
            r.push.dead,
            "; ".join(r.errors) or "ok",
        )
        for name, r in sorted(report.connectors.items())
    ]
    print_table(
        f"sync cycle at {stamp}",
        [
            "connector",
            "read",
            "new",
            "updated",
            "conflicts",
            "dead (pull)",
            "pushed",
            "retrying",
            "dead (push)",
            "status",
        ],
        rows,
    )
    if rules is not None and (rules.seen or rules.errors):
        proposed = ", ".join(f"{n} {action}" for action, n in sorted(rules.counts.items()))
        click.echo(
            f"rules: {rules.seen} tickets looked at, {proposed or 'nothing proposed'}, "
            f"{rules.applied} carried out" + "".join(f"; {e}" for e in rules.errors)
        )


def _print_plan(planned: Plan, as_json: bool) -> None:
    if as_json:
        print_json(planned.as_dict())
        return
    for name, why in sorted(planned.unread.items()):
        click.echo(f"{name}: not read, so not planned: {why}", err=True)
    if planned.proposals:
        from .rules_cmd import print_proposal_table

        print_proposal_table(planned.proposals, "would", title="rules (their writes are below)")
    if not planned.writes:
        click.echo("nothing to write: every system is in step")
        return
    rows = []
    for w in (write.as_dict() for write in planned.writes):
        changes = ", ".join(
            f"{name}: {human(v.get('old'))} → {human(v['new'])}"
            if "old" in v
            else f"{name}: {human(v['new'])}"
            for name, v in w["fields"].items()
        )
        rows.append(
            (w["system"], w["operation"], w["record_id"], w["title"][:40], changes or w["detail"])
        )
    print_table(
        "planned writes (nothing was written)",
        ["system", "operation", "record", "title", "changes"],
        rows,
    )
