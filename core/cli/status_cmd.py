"""``itsmhub status``: per connector, when it last synced cleanly, how far behind its vendor
the hub is, what waits, and what is failing.

How far behind is measured from the last clean cycle's ``caught_up_to`` (the vendor time
before which every change has been pulled), not from the newest record seen: a quiet
instance that is fully read is not "286 days behind".
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from pydantic import JsonValue

from ..errors import ConfigError
from ..model import RecordKind, utcnow
from .context import AdminHub, ago, iso, run_admin, summarise
from .main import EXIT_FAILURE, cli, handle_errors
from .output import print_json, print_table

if TYPE_CHECKING:
    from ..store import AuditEntry, ConnectorRun, Store

NEVER = "never synced"

#: Kinds pulled with a cursor; people and devices come through enrichers, so an identity
#: connector shows only the streams it has actually stored.
_TICKETS = frozenset({RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR})


def now() -> datetime:
    """The time ages are measured against; tests replace it."""
    return utcnow()


@cli.command("status")
@click.option("--connector", "only", metavar="NAME", help="Show only this connector.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def status_command(ctx: click.Context, only: str | None, as_json: bool) -> None:
    """Show, per connector: its last clean sync and how long ago, how far behind its
    vendor the hub is, the outbox depth, open dead letters and the last error (until a
    clean cycle clears it); and how far the rules got.

    Exits 1 when an enabled connector is failing (its latest cycle did not end cleanly),
    so `itsmhub status` can serve as a health check. Before the first sync (no store
    yet) every connector shows as never synced.
    """
    report = run_admin(ctx, lambda hub: status_report(hub, only, now()))
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    if report["failing"]:
        raise SystemExit(EXIT_FAILURE)


async def status_report(hub: AdminHub, only: str | None, at: datetime) -> dict[str, Any]:
    """Everything ``itsmhub status`` shows, as data."""
    if only is not None and only not in hub.config.connectors:
        raise ConfigError(
            f"there is no connector named {only!r} in {hub.config.path}",
            fix=f"configured connectors: {', '.join(sorted(hub.config.connectors)) or 'none'}",
        )
    connectors = [
        await _connector(hub, name, at)
        for name in sorted(hub.config.connectors)
        if only is None or name == only
    ]
    store = hub.store
    return {
        "store": {
            "url": hub.store_url,
            "exists": store is not None,
            "schema_revision": store.schema_revision if store else None,
        },
        "checked_at": iso(at),
        "failing": [c["name"] for c in connectors if c["state"] == "failing"],
        "connectors": connectors,
        "rules": await _rules(hub),
    }


async def _connector(hub: AdminHub, name: str, at: datetime) -> dict[str, Any]:
    settings = hub.config.connectors[name]
    cursors: dict[str, JsonValue] = dict.fromkeys(_streams(hub, name))
    clean = latest = None
    last_error: dict[str, Any] | None = None
    depth = letters = 0
    if hub.store is not None:
        store = hub.store
        # Streams the engine stored beyond the declared record kinds are shown too.
        cursors.update(await store.cursors_of(name))
        depth = await store.outbox_depth(name)
        letters = await store.count_dead_letters(name)  # the open ones
        clean = await store.last_run(name, ok=True)
        latest = await store.last_run(name)
        last_error = await _last_error(store, name, clean)
    failing = latest is not None and not latest.ok
    streams = [
        {"stream": stream, "watermark": iso(_watermark(value))}
        for stream, value in sorted(cursors.items())
    ]
    synced = clean is not None or any(s["watermark"] for s in streams)
    if not settings.enabled:
        state = "disabled"
    elif failing:
        state = "failing"
    else:
        state = "ok" if synced else NEVER
    return {
        "name": name,
        "type": settings.type,
        "enabled": settings.enabled,
        "state": state,
        "synced": synced,
        "last_sync": _last_sync(clean, at),
        "outbox_depth": depth,
        "dead_letters": letters,
        "last_error": last_error,
        "streams": streams,
    }


def _last_sync(run: ConnectorRun | None, at: datetime) -> dict[str, Any] | None:
    """The last clean cycle: when it ended, how long ago, and how far behind the vendor
    the hub is now (changes made after ``caught_up_to`` may not be in the hub yet)."""
    if run is None:
        return None
    behind = at - run.caught_up_to if run.caught_up_to is not None else None
    return {
        "at": iso(run.finished_at),
        "age": ago(at - run.finished_at),
        "age_seconds": max(int((at - run.finished_at).total_seconds()), 0),
        "caught_up_to": iso(run.caught_up_to),
        "behind": ago(behind) if behind is not None else None,
        "behind_seconds": max(int(behind.total_seconds()), 0) if behind is not None else None,
    }


async def _last_error(store: Store, name: str, clean: ConnectorRun | None) -> dict[str, Any] | None:
    """The newest failure (a failed cycle, or an error in the audit log) since the last
    clean cycle; one before it has been cleared by that cycle."""
    since = clean.finished_at if clean is not None else None
    failed = await store.last_run(name, ok=False)
    entry = await store.last_audit(name, "error")
    candidates: list[tuple[datetime, dict[str, Any]]] = []
    if failed is not None and failed.error and (since is None or failed.finished_at > since):
        at = failed.finished_at
        candidates.append((at, {"at": iso(at), "event": "cycle failed", "detail": failed.error}))
    if entry is not None and (since is None or entry.at > since):
        candidates.append((entry.at, _entry(entry)))
    return max(candidates, key=lambda c: c[0])[1] if candidates else None


async def _rules(hub: AdminHub) -> dict[str, Any]:
    """Which rules act in each sync cycle, how far they got, and their last error."""
    enabled = sorted(
        name for name, rule in hub.config.rules.items() if rule.enabled and rule.type != "routing"
    )
    position: datetime | None = None
    last_error: AuditEntry | None = None
    if hub.store is not None:
        stored = await hub.store.get_cursor("itsmhub", "rules")
        if isinstance(stored, list) and stored:
            position = datetime.fromisoformat(str(stored[0]))
        last_error = await hub.store.last_audit("itsmhub", "error.rules")
    return {
        "enabled": enabled,
        # Every ticket changed up to here has been looked at; a quiet store stays put.
        "position": iso(position),
        "last_error": _entry(last_error),
    }


def _streams(hub: AdminHub, name: str) -> list[str]:
    """The ticket kinds the connector holds: sync keeps one cursor stream for each."""
    cls = hub.plugins.registry.connectors.get(hub.config.connectors[name].type)
    kinds = cls.record_kinds & _TICKETS if cls else frozenset()
    return sorted(kind.value for kind in kinds)


def _watermark(value: JsonValue) -> datetime | None:
    raw = value.get("watermark") if isinstance(value, dict) else None
    if not isinstance(raw, str):
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        return None  # a cursor this version cannot read shows as no watermark, not a crash
    return parsed if parsed.tzinfo else None


def _entry(entry: AuditEntry | None) -> dict[str, Any] | None:
    if entry is None:
        return None
    return {"at": iso(entry.at), "event": entry.event, "detail": entry.detail}


def _print_report(report: dict[str, Any]) -> None:
    store = report["store"]
    if store["exists"]:
        click.echo(f"store: {store['url']} (schema {store['schema_revision']})")
    else:
        click.echo(f"store: {store['url']} (not created yet: {NEVER})")
    rules = report["rules"]
    if rules["enabled"]:
        seen = (
            f"has looked at every change up to {rules['position']}"
            if rules["position"]
            else "not run yet"
        )
        click.echo(
            f"rules: {len(rules['enabled'])} enabled ({', '.join(rules['enabled'])}), {seen}"
        )
        if rules["last_error"]:
            click.echo(f"  last rules error: {_error_line(rules['last_error'])}")
    connectors = report["connectors"]
    if not connectors:
        click.echo("connectors: none configured")
        return
    print_table(
        f"connectors at {report['checked_at']}",
        [
            "name",
            "type",
            "state",
            "last clean sync",
            "behind",
            "outbox",
            "dead letters",
            "last error",
        ],
        [
            (
                c["name"],
                c["type"],
                c["state"],
                f"{c['last_sync']['age']} ago" if c["last_sync"] else "-",
                (c["last_sync"] or {}).get("behind") or "-",
                c["outbox_depth"],
                c["dead_letters"],
                _error_line(c["last_error"]),
            )
            for c in connectors
        ],
    )
    rows = [
        (c["name"], s["stream"], s["watermark"] or "-") for c in connectors for s in c["streams"]
    ]
    if rows:
        print_table("newest change read, per stream", ["connector", "stream", "changed at"], rows)
    if report["failing"]:
        click.echo(f"failing: {', '.join(report['failing'])}", err=True)


def _error_line(error: dict[str, Any] | None) -> str:
    if error is None:
        return "-"
    return f"{error['at']} {error['event']}: {summarise(error['detail'], 60)}"
