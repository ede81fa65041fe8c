"""``itsmhub status``: per connector, how far sync got, what waits, and what went wrong."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import click
from pydantic import JsonValue

from ..errors import ConfigError
from ..model import RecordKind, utcnow
from .context import AdminHub, ago, iso, run_admin, summarise
from .main import cli, handle_errors
from .output import print_json, print_table

if TYPE_CHECKING:
    from ..store import AuditEntry

NEVER = "never synced"

#: Kinds pulled with a cursor; people and devices come through enrichers, so an identity
#: connector shows only the streams it has actually stored.
_TICKETS = frozenset({RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR})


def now() -> datetime:
    """The time lag is measured against; tests replace it."""
    return utcnow()


@cli.command("status")
@click.option("--connector", "only", metavar="NAME", help="Show only this connector.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def status_command(ctx: click.Context, only: str | None, as_json: bool) -> None:
    """Show, per connector, its cursors and lag, outbox depth, dead letters and last error.

    Lag is the time since the newest change a cursor covers. Before the first sync (no
    store yet) every connector shows as never synced.
    """
    report = run_admin(ctx, lambda hub: status_report(hub, only, now()))
    if as_json:
        print_json(report)
    else:
        _print_report(report)


async def status_report(hub: AdminHub, only: str | None, at: datetime) -> dict[str, Any]:
    """Everything ``itsmhub status`` shows, as data."""
    if only is not None and only not in hub.config.connectors:
        raise ConfigError(
            f"there is no connector named {only!r} in {hub.config.path}",
            fix=f"configured connectors: {', '.join(sorted(hub.config.connectors)) or 'none'}",
        )
    store = hub.store
    connectors = []
    for name in sorted(hub.config.connectors):
        if only is not None and name != only:
            continue
        settings = hub.config.connectors[name]
        cursors: dict[str, JsonValue] = dict.fromkeys(_streams(hub, name))
        last_error: AuditEntry | None = None
        depth = letters = 0
        if store is not None:
            # Streams the engine stored beyond the declared record kinds are shown too.
            cursors.update(await store.cursors_of(name))
            depth = await store.outbox_depth(name)
            letters = await store.count_dead_letters(name)  # open ones
            last_error = await store.last_audit(name, "error")
        streams = [_stream(stream, value, at) for stream, value in sorted(cursors.items())]
        connectors.append(
            {
                "name": name,
                "type": settings.type,
                "enabled": settings.enabled,
                "synced": any(s["watermark"] for s in streams),
                "streams": streams,
                "outbox_depth": depth,
                "dead_letters": letters,
                "last_error": _entry(last_error),
            }
        )
    return {
        "store": {
            "url": hub.store_url,
            "exists": store is not None,
            "schema_revision": store.schema_revision if store else None,
        },
        "checked_at": iso(at),
        "connectors": connectors,
        "rules": await _rules(hub, at),
    }


async def _rules(hub: AdminHub, at: datetime) -> dict[str, Any]:
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
        "position": iso(position),
        "lag": ago(at - position) if position else None,
        "last_error": _entry(last_error),
    }


def _streams(hub: AdminHub, name: str) -> list[str]:
    """The ticket kinds the connector holds: sync keeps one cursor stream for each."""
    cls = hub.plugins.registry.connectors.get(hub.config.connectors[name].type)
    kinds = cls.record_kinds & _TICKETS if cls else frozenset()
    return sorted(kind.value for kind in kinds)


def _stream(stream: str, value: JsonValue, at: datetime) -> dict[str, Any]:
    watermark = _watermark(value)
    lag = at - watermark if watermark else None
    return {
        "stream": stream,
        "watermark": iso(watermark),
        "lag": ago(lag) if lag is not None else None,
        "lag_seconds": max(int(lag.total_seconds()), 0) if lag is not None else None,
    }


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
    return {
        "at": iso(entry.at),
        "event": entry.event,
        "record_id": entry.record_id,
        "detail": entry.detail,
    }


def _print_report(report: dict[str, Any]) -> None:
    store = report["store"]
    if store["exists"]:
        click.echo(f"store: {store['url']} (schema {store['schema_revision']})")
    else:
        click.echo(f"store: {store['url']} (not created yet: {NEVER})")
    rules = report["rules"]
    if rules["enabled"]:
        caught_up = (
            f"caught up to {rules['position']} ({rules['lag']} ago)"
            if rules["position"]
            else "not run yet"
        )
        click.echo(
            f"rules: {len(rules['enabled'])} enabled ({', '.join(rules['enabled'])}), {caught_up}"
        )
        if rules["last_error"]:
            click.echo(f"  last rules error: {_error_line(rules['last_error'])}")
    connectors = report["connectors"]
    if not connectors:
        click.echo("connectors: none configured")
        return
    print_table(
        f"connectors at {report['checked_at']}",
        ["name", "type", "enabled", "lag", "outbox", "dead letters", "last error"],
        [
            (
                c["name"],
                c["type"],
                "yes" if c["enabled"] else "no",
                _worst_lag(c),
                c["outbox_depth"],
                c["dead_letters"],
                _error_line(c["last_error"]),
            )
            for c in connectors
        ],
    )
    rows = [
        (c["name"], s["stream"], s["watermark"] or NEVER, s["lag"] or "-")
        for c in connectors
        for s in c["streams"]
    ]
    if rows:
        print_table("cursors", ["connector", "stream", "watermark", "lag"], rows)


def _worst_lag(connector: dict[str, Any]) -> str:
    lagging = [s for s in connector["streams"] if s["lag_seconds"] is not None]
    if not lagging:
        return NEVER
    return str(max(lagging, key=lambda s: s["lag_seconds"])["lag"])


def _error_line(error: dict[str, Any] | None) -> str:
    if error is None:
        return "-"
    return f"{error['at']} {error['event']}: {summarise(error['detail'], 60)}"
