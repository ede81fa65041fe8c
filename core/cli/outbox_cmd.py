"""``itsmhub outbox list``: what each connector must still write, and why it waits."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click

from .context import AdminHub, ago, iso, run_admin
from .main import cli, handle_errors
from .output import print_json, print_table
from .render import cut

if TYPE_CHECKING:
    from ..store import OutboxItem


def now() -> datetime:
    """The time waits are measured against; tests replace it."""
    from ..model import utcnow

    return utcnow()


@cli.group("outbox")
def outbox_group() -> None:
    """The outbox: writes waiting to reach each system."""


@outbox_group.command("list")
@click.option("--connector", metavar="NAME", help="Only this connector's writes.")
@click.option("--all", "everything", is_flag=True, help="Include written and dead rows too.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def list_command(
    ctx: click.Context, connector: str | None, everything: bool, limit: int, as_json: bool
) -> None:
    """List the writes still waiting (pending, in flight, deferred to a vendor job), the
    next due first, each with the reason it waits: its last error and when it is tried
    again, the claim being worked on, or the vendor job carrying it."""
    from ..store import OutboxStatus

    statuses = list(OutboxStatus) if everything else None

    async def work(hub: AdminHub) -> list[OutboxItem]:
        if hub.store is None:
            return []
        if statuses is None:
            return await hub.store.list_outbox(connector=connector, limit=limit + 1)
        return await hub.store.list_outbox(connector=connector, statuses=statuses, limit=limit + 1)

    found = run_admin(ctx, work)
    at = now()
    rows = [describe(item, at) for item in found[:limit]]
    truncated = len(found) > limit
    if as_json:
        print_json({"checked_at": iso(at), "items": rows, "truncated": truncated})
        return
    if not rows:
        click.echo("the outbox is empty" if everything else "nothing is waiting in the outbox")
        return
    more = f", first {limit}; --limit for more" if truncated else ""
    print_table(
        f"outbox ({len(rows)}{more})",
        ["id", "connector", "operation", "record", "status", "attempts", "why it waits"],
        [
            (
                r["id"],
                r["connector"],
                r["operation"],
                r["record_id"] or "-",
                r["status"],
                r["attempts"],
                cut(r["waiting_for"], 90),
            )
            for r in rows
        ],
    )


def describe(item: OutboxItem, at: datetime) -> dict[str, Any]:
    """An outbox row as data, with ``waiting_for`` in words."""
    return {
        "id": item.id,
        "connector": item.connector,
        "operation": item.operation.value,
        "record_id": item.record_id,
        "status": item.status.value,
        "attempts": item.attempts,
        "next_attempt_at": iso(item.next_attempt_at),
        "last_error": item.last_error,
        "job_id": item.job_id,
        "created_at": iso(item.created_at),
        "waiting_for": waiting_for(item, at),
    }


def waiting_for(item: OutboxItem, at: datetime) -> str:
    """Why a row has not been written yet (or what became of it), in one line."""
    status, due, error = item.status.value, item.next_attempt_at, item.last_error
    if status == "deferred":
        position = f", write {item.job_position + 1}" if item.job_position is not None else ""
        return f"the vendor job {item.job_id}{position} is still running"
    if status == "in_flight":
        return f"being written now (the claim lapses at {iso(due)})"
    if status == "done":
        return "written"
    if status == "dead":
        return f"given up ({error or 'no reason recorded'}); see `itsmhub dlq list`"
    if due > at:
        when = f"next try at {iso(due)} (in {ago(due - at)})"
        return f"{when}: {error}" if error else when
    return f"due now, after: {error}" if error else "due now: the next sync cycle writes it"
