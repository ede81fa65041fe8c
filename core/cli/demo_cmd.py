"""``itsmhub demo``: the four emulators, a seeded story, the hub against them, each step
printed. Thin: the demo lives in ``itsmhub.demo``."""

from __future__ import annotations

import click

from .main import cli, handle_errors


@cli.command("demo")
@click.pass_context
@handle_errors
def demo_command(ctx: click.Context) -> None:
    """Show what itsmhub does, on this machine, in about a minute.

    Serves the ServiceNow, Jira, Zendesk and Okta emulators where the config's connectors
    point (config.example.toml: 127.0.0.1:8701-8704) with five weeks of a company's
    tickets, runs a backfill and syncs against them, and prints each step with the
    command that shows it again. The store starts empty each time (.demo/ in the example).

    Run it as: itsmhub --config config.example.toml demo (or make demo).
    """
    from ..demo import run_demo
    from .output import console

    run_demo(ctx.obj["config_path"], console=console())
