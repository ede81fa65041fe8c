"""``itsmhub plugins``: what is installed, what each plugin provides, and what is broken."""

from __future__ import annotations

from typing import Any

import click

from ..plugins import Plugins, get_plugins
from .main import EXIT_FAILURE, cli, handle_errors
from .output import print_json, print_table


def describe_plugins(plugins: Plugins, *, include_builtin: bool) -> dict[str, Any]:
    """Everything ``itsmhub plugins`` shows, as data."""
    registry = plugins.registry
    rows = []
    for info in plugins.loaded:
        if info.builtin and not include_builtin:
            continue
        connectors = registry.connectors.by_plugin(info.name)
        rows.append(
            {
                "name": info.name,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "hooks": list(info.hooks),
                "connectors": [
                    {
                        "kind": kind,
                        "record_kinds": sorted(cls.record_kinds),
                        "capabilities": cls.capabilities(),
                    }
                    for kind in connectors
                    if (cls := registry.connectors.get(kind)) is not None
                ],
                "emulators": registry.emulators.by_plugin(info.name),
                "enrichers": registry.enrichers.by_plugin(info.name),
                "rule_types": registry.rule_types.by_plugin(info.name),
            }
        )
    return {
        "plugins": rows,
        "broken": [
            {"name": b.name, "distribution": b.distribution, "reason": b.reason}
            for b in plugins.broken
        ],
        "conflicts": [c.message() for c in registry.conflicts()],
    }


@cli.command("plugins")
@click.option("--all", "include_builtin", is_flag=True, help="Include the built-in plugins.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@handle_errors
def plugins_command(include_builtin: bool, as_json: bool) -> None:
    """List installed plugins: connector kinds, emulators, and broken ones with why.

    Exits 1 if a plugin is broken or two plugins claim the same name.
    """
    report = describe_plugins(get_plugins(), include_builtin=include_builtin)
    if as_json:
        print_json(report)
    else:
        _print_report(report)
    if report["broken"] or report["conflicts"]:
        raise SystemExit(EXIT_FAILURE)


def _print_report(report: dict[str, Any]) -> None:
    rows = [
        (
            plugin["name"],
            plugin["version"] or "built-in",
            ", ".join(c["kind"] for c in plugin["connectors"]) or "-",
            ", ".join(_capabilities(c) for c in plugin["connectors"]) or "-",
            ", ".join(plugin["emulators"]) or "-",
            ", ".join(plugin["enrichers"] + plugin["rule_types"]) or "-",
        )
        for plugin in report["plugins"]
    ]
    if rows:
        print_table(
            None,
            ["plugin", "version", "connectors", "can", "emulators", "enrichers/rules"],
            rows,
        )
    else:
        click.echo("no plugins installed")
    for broken in report["broken"]:
        click.echo(f"broken: {broken['name']}: {broken['reason']}", err=True)
    for conflict in report["conflicts"]:
        click.echo(f"conflict: {conflict}", err=True)


def _capabilities(connector: dict[str, Any]) -> str:
    return " ".join(connector["capabilities"]) or "nothing yet"
