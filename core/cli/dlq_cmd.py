"""``itsmhub dlq``: the records that keep failing: list, inspect, replay or give up on them.

A dead letter's payload says where it came from. ``{"origin": "outbox", "outbox_id": N}``:
a push that failed, replayed by re-queueing that outbox row, whose correlation marker keeps
a replayed create idempotent. ``{"origin": "pull", "kind": K, "remote_id": R}``: a remote
record that could not be read or mapped, replayed by fetching it again through the engine.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click

from ..config import ConfigInvalid, secret_issues
from ..errors import ItsmhubError
from ..model import RecordKind
from .context import AdminHub, iso, run_admin, summarise
from .main import cli, handle_errors
from .output import print_json, print_table

if TYPE_CHECKING:
    from ..store import DeadLetter, Store, StoreTransaction

_JSON = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
_ID = click.argument("letter_id", metavar="ID", type=int)


@cli.group("dlq")
def dlq_group() -> None:
    """Dead letters: records that kept failing, with the reason, to retry or drop."""


@dlq_group.command("list")
@click.option("--connector", metavar="NAME", help="Only this connector's letters.")
@click.option("--all", "everything", is_flag=True, help="Include retried and dropped letters.")
@_JSON
@click.pass_context
@handle_errors
def list_command(
    ctx: click.Context, connector: str | None, everything: bool, as_json: bool
) -> None:
    """List open dead letters (all of them with --all), oldest first."""
    from ..store import DeadLetterStatus

    status = None if everything else DeadLetterStatus.OPEN

    async def work(hub: AdminHub) -> list[DeadLetter]:
        return await hub.store.list_dead_letters(connector, status) if hub.store else []

    letters = [describe(letter, payload=False) for letter in run_admin(ctx, work)]
    if as_json:
        print_json({"dead_letters": letters})
    elif not letters:
        click.echo("no dead letters" if everything else "no open dead letters")
    else:
        print_table(
            f"dead letters ({len(letters)})",
            ["id", "connector", "record", "status", "error", "attempts", "last seen", "reason"],
            [
                (
                    d["id"],
                    d["connector"],
                    d["record_key"],
                    d["status"],
                    _error(d),
                    d["attempts"],
                    d["last_seen"],
                    summarise(d["reason"], 60),
                )
                for d in letters
            ],
        )


@dlq_group.command("show")
@_ID
@_JSON
@click.pass_context
@handle_errors
def show_command(ctx: click.Context, letter_id: int, as_json: bool) -> None:
    """Show one dead letter in full: reason, attempts, HTTP status, request id, payload."""

    async def work(hub: AdminHub) -> DeadLetter:
        return await _letter(hub, letter_id)

    letter = describe(run_admin(ctx, work), payload=True)
    if as_json:
        print_json(letter)
        return
    for name, value in letter.items():
        if name != "payload":
            click.echo(f"{name}: {'-' if value is None else value}")
    click.echo("payload (redacted):")
    click.echo(json.dumps(letter["payload"], indent=2, default=str))


@dlq_group.command("drop")
@_ID
@_JSON
@click.pass_context
@handle_errors
def drop_command(ctx: click.Context, letter_id: int, as_json: bool) -> None:
    """Give up on a dead letter: it leaves the open list and repeats of it stay dropped."""
    from ..store import DeadLetterStatus

    async def work(hub: AdminHub) -> dict[str, Any]:
        letter = await _letter(hub, letter_id)
        if letter.status is DeadLetterStatus.DROPPED:
            return _outcome(letter, DeadLetterStatus.DROPPED, changed=False)
        async with hub.require_store().transaction() as tx:
            await tx.set_dead_letter_status(letter.id, DeadLetterStatus.DROPPED)
            await tx.audit("dlq.dropped", **_about(letter), detail=_detail(letter))
        return _outcome(letter, DeadLetterStatus.DROPPED, changed=True)

    outcome = run_admin(ctx, work)
    if as_json:
        print_json(outcome)
    elif outcome["changed"]:
        click.echo(f"dropped dead letter {letter_id}")
    else:
        click.echo(f"dead letter {letter_id} was already dropped")


@dlq_group.command("retry")
@_ID
@_JSON
@click.pass_context
@handle_errors
def retry_command(ctx: click.Context, letter_id: int, as_json: bool) -> None:
    """Replay a dead letter: re-queue its push, or fetch its remote record again.

    A replayed push keeps its correlation marker, so it can never create a duplicate.
    """
    from ..store import DeadLetterStatus

    async def work(hub: AdminHub) -> dict[str, Any]:
        letter = await _letter(hub, letter_id)
        if letter.status is DeadLetterStatus.RETRIED:
            raise ItsmhubError(
                f"dead letter {letter_id} was already retried",
                fix="the next sync replays it; if it fails again, it is listed as open again",
            )
        payload = letter.payload if isinstance(letter.payload, dict) else {}
        origin = payload.get("origin")
        if origin == "outbox":
            # One transaction: the row is re-queued exactly when the letter says retried.
            async with hub.require_store().transaction() as tx:
                detail = await _requeue(tx, letter, payload)
                await _mark_retried(tx, letter, detail)
        elif origin == "pull":
            detail = await _refetch(hub, letter, payload)
            async with hub.require_store().transaction() as tx:
                await _mark_retried(tx, letter, detail)
        else:
            raise ItsmhubError(
                f"dead letter {letter_id} cannot be replayed: its payload does not say "
                "where it came from (no origin 'outbox' or 'pull')",
                fix=f"fix the record at its source, then `itsmhub dlq drop {letter_id}`",
            )
        return {**_outcome(letter, DeadLetterStatus.RETRIED, changed=True), **detail}

    outcome = run_admin(ctx, work)
    if as_json:
        print_json(outcome)
    elif outcome["origin"] == "outbox":
        click.echo(f"retried dead letter {letter_id}: outbox item {outcome['outbox_id']} re-queued")
    elif outcome["found"]:
        click.echo(f"retried dead letter {letter_id}: fetched {outcome['remote_id']} again")
    else:
        click.echo(f"retried dead letter {letter_id}: {outcome['remote_id']} no longer exists")


async def _mark_retried(tx: StoreTransaction, letter: DeadLetter, detail: dict[str, Any]) -> None:
    from ..store import DeadLetterStatus

    await tx.set_dead_letter_status(letter.id, DeadLetterStatus.RETRIED)
    await tx.audit("dlq.retried", **_about(letter), detail={**_detail(letter), **detail})


async def _requeue(
    store: Store | StoreTransaction, letter: DeadLetter, payload: dict[str, Any]
) -> dict[str, Any]:
    from ..store import NotFound, OutboxStatus

    outbox_id = payload.get("outbox_id")
    if not isinstance(outbox_id, int):
        raise ItsmhubError(f"dead letter {letter.id} names no outbox item to replay")
    item = await store.get_outbox_item(outbox_id)
    if item is None:
        raise NotFound(f"dead letter {letter.id} names outbox item {outbox_id}, which is gone")
    # A row that is still waiting will be pushed anyway; resetting it would only lose
    # its attempt count.
    waiting = item.status in (OutboxStatus.PENDING, OutboxStatus.IN_FLIGHT)
    if not waiting:
        await store.requeue(outbox_id)
    return {"origin": "outbox", "outbox_id": outbox_id, "requeued": not waiting}


async def _refetch(hub: AdminHub, letter: DeadLetter, payload: dict[str, Any]) -> dict[str, Any]:
    from ..engine import Hub, refetch

    remote_id = payload.get("remote_id")
    try:
        kind = RecordKind(payload.get("kind"))
    except ValueError:
        kind = None
    if kind is None or not isinstance(remote_id, str):
        raise ItsmhubError(f"dead letter {letter.id} does not name the record kind and remote id")
    # Fetching calls the vendor: its credentials must resolve, unlike for reading the store.
    # Only this connector's: the others are not called.
    prefix = f"connectors.{letter.connector}."
    issues = [i for i in secret_issues(hub.config, hub.plugins) if i.path.startswith(prefix)]
    if issues:
        raise ConfigInvalid(str(hub.config.path), issues)
    async with Hub.open(hub.config, hub.plugins) as running:
        found = await refetch(running, letter.connector, kind, remote_id)
    return {"origin": "pull", "kind": kind.value, "remote_id": remote_id, "found": bool(found)}


def describe(letter: DeadLetter, *, payload: bool) -> dict[str, Any]:
    """A dead letter as data; ``payload`` adds the (already redacted) payload."""
    origin = letter.payload.get("origin") if isinstance(letter.payload, dict) else None
    data = {
        "id": letter.id,
        "connector": letter.connector,
        "record_key": letter.record_key,
        "remote_version": letter.remote_version or None,
        "status": letter.status.value,
        "origin": origin,
        "error_class": letter.error_class,
        "http_status": letter.http_status,
        "request_id": letter.request_id,
        "reason": letter.reason,
        "attempts": letter.attempts,
        "first_seen": iso(letter.first_seen),
        "last_seen": iso(letter.last_seen),
    }
    if payload:
        data["payload"] = letter.payload
    return data


async def _letter(hub: AdminHub, letter_id: int) -> DeadLetter:
    from ..store import NotFound

    letter = await hub.store.get_dead_letter(letter_id) if hub.store else None
    if letter is None:
        raise NotFound(
            f"there is no dead letter {letter_id}",
            fix="`itsmhub dlq list --all` shows every dead letter and its id",
        )
    return letter


def _about(letter: DeadLetter) -> dict[str, Any]:
    """The audit entry's record and connector: the hub record when the payload names one."""
    payload = letter.payload if isinstance(letter.payload, dict) else {}
    record_id = payload.get("record_id")
    return {
        "connector": letter.connector,
        "record_id": record_id if isinstance(record_id, str) else None,
    }


def _detail(letter: DeadLetter) -> dict[str, Any]:
    return {"letter_id": letter.id, "record_key": letter.record_key, "reason": letter.reason}


def _outcome(letter: DeadLetter, status: str, *, changed: bool) -> dict[str, Any]:
    return {"ok": True, "id": letter.id, "status": str(status), "changed": changed}


def _error(letter: dict[str, Any]) -> str:
    status = letter["http_status"]
    return f"{letter['error_class']} {status}" if status else str(letter["error_class"])
