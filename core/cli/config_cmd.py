"""``itsmhub config check``: validate a config and say what it configures."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from ..config import Config, ConfigInvalid, load_config, scheme_issues, secret_issues
from ..config.capabilities import capability_issues
from ..plugins import get_plugins
from .main import cli, handle_errors
from .output import print_json, print_table


@cli.group("config")
def config_group() -> None:
    """Work with config.toml."""


@config_group.command("check")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option(
    "--no-secrets",
    is_flag=True,
    help="Do not try to resolve secret references at all.",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Treat a secret that resolves to nothing as an error (exit 2), as sync does.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def check_command(
    ctx: click.Context, path: Path | None, no_secrets: bool, strict: bool, as_json: bool
) -> None:
    """Validate PATH (default: the --config file) and list every mistake at once.

    Exits 0 with a summary when the config is valid, 2 with every error otherwise. An
    enabled connector asked to do what it cannot (pull, create records or problems) is
    an error, and so is a secret scheme no installed plugin answers. Secrets often live
    only where the daemon runs, so one that resolves to nothing here is a warning unless
    --strict is given.
    """
    path = path or ctx.obj["config_path"]
    plugins = get_plugins()
    config = load_config(path, plugins, resolve_secrets=False)
    # A scheme nothing installed answers is wrong wherever the config runs: an error,
    # even with --no-secrets (finding it reads no secret).
    errors = scheme_issues(config, plugins) + capability_issues(config, plugins)
    warnings = [] if no_secrets else secret_issues(config, plugins)
    warnings = [w for w in warnings if w not in errors]
    if errors or (warnings and strict):
        raise ConfigInvalid(str(path), errors + (warnings if strict else []))
    summary = summarise(config)
    if as_json:
        print_json(
            {
                "ok": True,
                "source": str(path),
                **summary,
                "warnings": [w.as_dict() for w in warnings],
            }
        )
        return
    click.echo(f"{path}: ok")
    _print_summary(summary)
    for warning in warnings:
        click.echo(f"warning: {warning.render()}", err=True)
        if warning.fix:
            click.echo(f"    fix: {warning.fix}", err=True)


def summarise(config: Config) -> dict[str, Any]:
    """What a config sets up, without any secret (references are safe to show)."""
    return {
        "store": config.store.url,
        "sync": {
            "interval": config.sync.model_dump(mode="json")["interval"],
            "conflict_policy": config.sync.conflict_policy.value,
        },
        "connectors": [
            {"name": name, "type": s.type, "enabled": s.enabled}
            for name, s in sorted(config.connectors.items())
        ],
        "rules": [
            {"name": name, "type": r.type, "enabled": r.enabled}
            for name, r in sorted(config.rules.items())
        ],
    }


def _print_summary(summary: dict[str, Any]) -> None:
    click.echo(f"store: {summary['store']}")
    sync = summary["sync"]
    click.echo(f"sync: every {sync['interval']}, conflicts resolved by {sync['conflict_policy']}")
    connectors = summary["connectors"]
    if connectors:
        print_table(
            f"connectors ({len(connectors)})",
            ["name", "type", "enabled"],
            [(c["name"], c["type"], "yes" if c["enabled"] else "no") for c in connectors],
        )
    else:
        click.echo("connectors: none configured")
    rules = summary["rules"]
    if rules:
        print_table(
            f"rules ({len(rules)})",
            ["name", "type", "enabled"],
            [(r["name"], r["type"], "yes" if r["enabled"] else "no") for r in rules],
        )
