"""``itsmhub init``: write a starter config.toml, never over an existing file."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import click

from .main import EXIT_FAILURE, cli, handle_errors


def example_config() -> str:
    """The commented example config shipped with itsmhub."""
    return files("itsmhub").joinpath("templates/config.example.toml").read_text("utf-8")


@cli.command("init")
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.pass_context
@handle_errors
def init_command(ctx: click.Context, path: Path | None) -> None:
    """Write a starter config to PATH (default: the --config file).

    The file is the commented example, the demo's config: as written it reaches the
    ServiceNow, Jira, Zendesk and Okta emulators `itsmhub demo` serves on
    127.0.0.1:8701-8704. Edit it for your instances, then run `itsmhub config check`.
    An existing file is never overwritten.
    """
    path = path or ctx.obj["config_path"]
    try:
        with path.open("x", encoding="utf-8") as handle:  # "x": fail if it exists
            handle.write(example_config())
    except FileExistsError:
        click.echo(f"error: {path} already exists; nothing was written", err=True)
        click.echo("  fix: edit it, or pass another path: itsmhub init other.toml", err=True)
        raise SystemExit(EXIT_FAILURE) from None
    except OSError as exc:
        click.echo(f"error: cannot write {path}: {exc.strerror}", err=True)
        raise SystemExit(EXIT_FAILURE) from None
    click.echo(f"wrote {path}, set up for the demo's emulators on 127.0.0.1:8701-8704")
    click.echo(f"next: itsmhub --config {path} demo   (serves them, runs the hub)")
    click.echo("      then point the connectors at your instances (README.md)")
