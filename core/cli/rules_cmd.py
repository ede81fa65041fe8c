"""``itsmhub rules dry-run|explain|apply`` and ``itsmhub problems candidates``."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from ..rules.proposals import AddLink, AddNote, AnyProposal, CreateProblem, ResolveIncident
from .context import AdminHub, iso, run_admin, run_engine
from .main import cli, handle_errors
from .output import print_json, print_table
from .progress import Progress
from .records_cmd import resolve
from .times import ALL, When, parse_when, since_option

if TYPE_CHECKING:
    from ..engine import Hub


def _start(hub: Hub, since: When) -> datetime | None:
    """Where history starts for ``--since``: a moment, or None for the beginning."""
    return None if since is ALL else since.resolve(hub.clock())


SINCE = since_option(default="90d", help="How far back to look.")
RULE = click.option("--rule", "only", metavar="NAME", help="Only this rule (even if disabled).")
JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
LIMIT = click.option("--limit", default=50, show_default=True, help="Rows to print at most.")


@cli.group("rules")
def rules_group() -> None:
    """Run the linking, recurrence, follow-up and known-error rules over history."""


@rules_group.command("dry-run")
@since_option(
    help="Replay the tickets opened since then instead. Default: exactly the tickets the "
    "next sync's rules step will read (those changed since the rules last ran)."
)
@RULE
@JSON
@LIMIT
@click.pass_context
@handle_errors
def dry_run_command(
    ctx: click.Context, since: When | None, only: str | None, as_json: bool, limit: int
) -> None:
    """Print what every rule would link, note and create, with the evidence; write nothing.

    Without --since it previews the next sync's rules step: the same tickets, the same
    decisions. With --since it replays history (every ticket opened since then).
    """
    if since is None and only is None:
        _preview_next_step(ctx, as_json, limit)
        return
    from ..engine.rules_run import run_over_history

    shown: list[AnyProposal] = []

    def keep(proposal: AnyProposal) -> None:
        # A long history proposes a lot: keep only what will be printed.
        if as_json or len(shown) < limit:
            shown.append(proposal)

    window = since if since is not None else parse_when("90d")
    scope = "every ticket" if window is ALL else f"tickets opened since {window.text}"

    async def work(admin: AdminHub) -> Any:
        hub = _offline_hub(admin)
        start = _start(hub, window)
        with Progress(enabled=not as_json, unit="tickets") as advance:
            return await run_over_history(hub, since=start, only=only, progress=advance, sink=keep)

    report = run_admin(ctx, work)
    _print_proposals(shown, report.counts, report.seen, as_json, limit, "would", scope=scope)


def _preview_next_step(ctx: click.Context, as_json: bool, limit: int) -> None:
    from ..engine.rules_preview import preview_rules_step

    async def work(admin: AdminHub) -> Any:
        return await preview_rules_step(_offline_hub(admin))

    preview = run_admin(ctx, work)
    scope = "what the next sync's rules step will read: " + (
        f"tickets changed since {iso(preview.since)}"
        if preview.since is not None
        else "every ticket (the rules have not run yet)"
    )
    report = preview.report
    for error in report.errors:
        click.echo(f"error: {error}", err=True)
    _print_proposals(
        report.proposals, report.counts, report.seen, as_json, limit, "would", scope=scope
    )


@rules_group.command("apply")
@SINCE
@RULE
@JSON
@click.pass_context
@handle_errors
def apply_command(ctx: click.Context, since: When, only: str | None, as_json: bool) -> None:
    """Do what "rules dry-run" shows; the changes leave through the outbox on the next sync."""
    from ..engine.rules_run import run_over_history

    async def work(hub: Hub) -> Any:
        start = _start(hub, since)
        return await run_over_history(hub, since=start, only=only, apply=True)

    report = run_engine(ctx.obj["config_path"], work)
    if as_json:
        print_json(
            {
                "seen": report.seen,
                "proposed": len(report.proposals),
                "applied": report.applied,
                "already_done": report.unchanged,
            }
        )
        return
    click.echo(
        f"{report.seen} tickets seen, {len(report.proposals)} proposals: "
        f"{report.applied} applied, {report.unchanged} already done. "
        "Run `itsmhub sync` to take them to the tools."
    )


@rules_group.command("explain")
@click.argument("ident")
@RULE
@JSON
@click.pass_context
@handle_errors
def explain_command(ctx: click.Context, ident: str, only: str | None, as_json: bool) -> None:
    """Say which rules match a ticket and why, and what they propose for it.

    IDENT is a hub id, or SYSTEM:KEY (jira:OPS-12) or SYSTEM:REMOTE_ID.
    """
    from ..engine.rules_run import explain
    from ..store import NotFound

    async def work(admin: AdminHub) -> Any:
        store = admin.require_store()
        stored = await resolve(store, ident)
        found = await explain(_offline_hub(admin), stored.record.id, only=only) if stored else None
        if found is None:
            raise NotFound(
                f"no ticket {ident!r} in the store",
                fix="give a hub id, or SYSTEM:KEY such as jira:OPS-12",
            )
        return found

    found = run_admin(ctx, work)
    if as_json:
        print_json(
            {
                "record_id": found.facts.record_id,
                "name": found.facts.name,
                "rules": {
                    name: [{"test": test, "held": held} for test, held in checks]
                    for name, checks in found.rules.items()
                },
                "proposals": [p.model_dump(mode="json") for p in found.proposals],
            }
        )
        return
    click.echo(f"{found.facts.name}: {found.facts.title}")
    for name, checks in found.rules.items():
        matched = all(held for _, held in checks)
        click.echo(f"\n rule {name}: {'applies' if matched else 'does not apply'}")
        for test, held in checks:
            click.echo(f"   {'✓' if held else '✗'} {test}")
    counts = Counter(p.action.value for p in found.proposals)
    _print_proposals(found.proposals, counts, None, False, 50, "proposes")


@cli.group("problems")
def problems_group() -> None:
    """Problem management helpers."""


@problems_group.command("candidates")
@SINCE
@click.option(
    "--min-size",
    type=click.IntRange(min=2),
    help="Incidents a cluster needs (default: the recurrence rule's threshold).",
)
@JSON
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=click.IntRange(min=1),
    help="Clusters to show at most (--json says when more were found).",
)
@click.pass_context
@handle_errors
def candidates_command(
    ctx: click.Context, since: When, min_size: int | None, as_json: bool, limit: int
) -> None:
    """Rank recurring clusters no problem covers yet, most disruptive first."""
    from ..engine.rules_run import problem_candidates

    async def work(admin: AdminHub) -> Any:
        hub = _offline_hub(admin)
        start = _start(hub, since)
        return await problem_candidates(hub, since=start, min_size=min_size)

    everything = run_admin(ctx, work)
    found = everything[:limit]
    truncated = len(everything) > limit
    if as_json:
        print_json(
            {
                "candidates": [_candidate(c) for c in found],
                "total": len(everything),
                "limit": limit,
                "truncated": truncated,
            }
        )
        return
    more = f", first {limit} of {len(everything)}; --limit for more" if truncated else ""
    print_table(
        f"problem candidates (most disruptive first{more})",
        ["disruption", "incidents", "people", "depts", "systems", "first", "last", "like"],
        [
            (
                f"{c.disruption:,.0f}",
                len(c.incidents),
                len(c.people),
                len(c.departments) or "-",
                ", ".join(c.systems),
                f"{c.first:%Y-%m-%d}",
                f"{c.last:%Y-%m-%d}",
                c.title,
            )
            for c in found
        ],
    )


def _candidate(c: Any) -> dict[str, Any]:
    """One cluster as data. Keys name their system: INC numbers repeat across instances."""
    return {
        "title": c.title,
        "fingerprint": c.fingerprint,
        "incidents": [f.record_id for f in c.incidents],
        "keys": [
            {"system": f.origin, "key": f.name, "record_id": f.record_id} for f in c.incidents
        ],
        "people": len(c.people),
        "departments": sorted(c.departments),
        "systems": c.systems,
        "disruption": c.disruption,
        "first": c.first.isoformat(),
        "last": c.last.isoformat(),
    }


def _offline_hub(admin: AdminHub) -> Hub:
    """A hub over the store alone: reading history needs no connector and no secret."""
    from ..engine import Hub

    return Hub(
        config=admin.config, plugins=admin.plugins, store=admin.require_store(), connectors={}
    )


def _print_proposals(
    proposals: list[AnyProposal],
    counts: Counter[str],
    seen: int | None,
    as_json: bool,
    limit: int,
    verb: str,
    *,
    scope: str | None = None,
) -> None:
    if as_json:
        print_json(
            {
                **({"scope": scope} if scope is not None else {}),
                "seen": seen,
                "counts": dict(sorted(counts.items())),
                "proposals": [p.model_dump(mode="json") for p in proposals],
            }
        )
        return
    print_proposal_table(proposals[:limit], verb)
    summary = ", ".join(f"{n} {action}" for action, n in sorted(counts.items())) or "nothing"
    total = sum(counts.values())
    more = f" (first {limit} shown; --limit or --json for all)" if total > limit else ""
    head = f"{seen} tickets seen: " if seen is not None else ""
    click.echo(f"{head}{summary}{more}")
    if scope is not None:
        click.echo(f"scope: {scope}")


def print_proposal_table(proposals: list[AnyProposal], verb: str, title: str | None = None) -> None:
    """One row per proposal: the rule, what it would do (``verb``), the tickets, why."""
    rows = [(p.rule, _what(p, verb), _tickets(p), p.reason) for p in proposals]
    print_table(title, ["rule", verb, "tickets", "why"], rows)


def _what(proposal: AnyProposal, verb: str) -> str:
    if isinstance(proposal, CreateProblem):
        return f"{verb} open a problem in {proposal.create_in}: {proposal.title}"
    if isinstance(proposal, AddLink):
        return f"{verb} link ({proposal.kind.value})"
    if isinstance(proposal, AddNote):
        return f"{verb} add a note: {proposal.body.splitlines()[0][:60]}"
    assert isinstance(proposal, ResolveIncident)
    return f"{verb} resolve it"


def _tickets(proposal: AnyProposal) -> str:
    names = [e.name for e in proposal.evidence]
    if isinstance(proposal, AddLink):
        names.append(f"→ {proposal.target_name or proposal.target_id}")
    shown = ", ".join(names[:6])
    return shown + (f" +{len(names) - 6}" if len(names) > 6 else "")
