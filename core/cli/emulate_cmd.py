"""``itsmhub emulate KIND``: serve a vendor emulator on loopback, for demos and trials.

The socket is bound before anything is printed, so the URL shown is the one bound
(``--port 0`` takes a free port) and it answers at once; then the credentials the
emulator accepts and a config snippet that reaches it.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from typing import Any

import click

from ..errors import ConfigError, ItsmhubError
from ..plugins import get_plugins
from .main import cli, handle_errors


def _credentials(
    ctx: click.Context, param: click.Parameter, values: tuple[str, ...]
) -> dict[str, str]:
    given: dict[str, str] = {}
    for value in values:
        for pair in value.split():  # the environment variable holds several, space-separated
            name, sep, secret = pair.partition("=")
            if not sep or not name:
                raise click.BadParameter(f"expected NAME=VALUE, got {pair!r}", ctx=ctx, param=param)
            given[name] = secret
    return given


@cli.command("emulate")
@click.argument("kind")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port",
    default=8080,
    show_default=True,
    type=click.IntRange(0, 65535),
    help="Port to listen on; 0 takes a free one (the URL printed is the one bound).",
)
@click.option("--seed", type=int, help="Fill it with seeded, realistic data (dated up to today).")
@click.option(
    "--credential",
    "credentials",
    multiple=True,
    metavar="NAME=VALUE",
    envvar="ITSMHUB_EMULATOR_CREDENTIALS",
    callback=_credentials,
    help="Replace one of the credentials it accepts (e.g. password=s3cret); repeatable. "
    "Or ITSMHUB_EMULATOR_CREDENTIALS='NAME=VALUE NAME=VALUE'.",
)
@click.pass_context
@handle_errors
def emulate_command(
    ctx: click.Context,
    kind: str,
    host: str,
    port: int,
    seed: int | None,
    credentials: dict[str, str],
) -> None:
    """Serve the emulator of connector KIND (e.g. servicenow) until interrupted.

    Prints the URL it listens on, the credentials it accepts and a config snippet that
    reaches it. Exits 1 if the port is in use.
    """
    from ..emulation import bind, url_of

    emulators = get_plugins().registry.emulators
    emulator_class = emulators.get(kind)
    if emulator_class is None:
        known = ", ".join(emulators.names()) or "none installed"
        raise ConfigError(f"no emulator for {kind!r}", fix=f"use one of: {known}")
    emulator = emulator_class()
    try:
        accepted = emulator.merged_credentials(credentials)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param_hint="'--credential'") from None
    app = emulator.app(seed=seed, credentials=credentials)
    try:
        sock = bind(host, port)
    except ConfigError as exc:  # the port is taken: the command failed, the config is fine
        raise ItsmhubError(exc.message, fix=exc.fix) from None
    url = url_of(sock)
    _print_start(kind, url, accepted, emulator.connector_config(url, accepted))
    _serve(app, sock)


def _print_start(kind: str, url: str, accepted: Mapping[str, str], emulated: Any) -> None:
    click.echo(f"serving the {kind} emulator at {url}")
    if accepted:
        click.echo("credentials: " + ", ".join(f"{k}={v}" for k, v in accepted.items()))
    click.echo("\n# config.toml: a connector that reaches it")
    click.echo("[http]\nallow_private_networks = true   # it listens on loopback, over http\n")
    click.echo(f"[connectors.{kind}]")
    for key, value in emulated.settings.items():
        click.echo(f"{key} = {toml_value(value)}")
    if emulated.environment:
        click.echo("\n# and in the shell that runs itsmhub:")
        for name, value in emulated.environment.items():
            click.echo(f"export {name}={value}")
    click.echo("\nready (Ctrl-C stops it)")
    sys.stdout.flush()  # a script reading the URL must not wait for a full buffer


def toml_value(value: Any) -> str:
    """A JSON value as TOML: strings quoted, tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        inner = ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items())
        return "{ " + inner + " }" if inner else "{}"
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a TOML basic string escapes as JSON does


def _serve(app: Any, sock: Any) -> None:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="off"))
    try:
        server.run(sockets=[sock])
    finally:
        sock.close()
