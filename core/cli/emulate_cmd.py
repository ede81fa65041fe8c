"""``itsmhub emulate KIND``: serve a vendor emulator on loopback, for demos and trials."""

from __future__ import annotations

import click

from ..errors import ConfigError
from ..plugins import get_plugins
from .main import cli, handle_errors


@cli.command("emulate")
@click.argument("kind")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", type=int, help="Fill it with seeded, realistic data.")
@handle_errors
def emulate_command(kind: str, host: str, port: int, seed: int | None) -> None:
    """Serve the emulator of connector KIND (e.g. servicenow) until interrupted."""
    import uvicorn

    emulators = get_plugins().registry.emulators
    emulator = emulators.get(kind)
    if emulator is None:
        known = ", ".join(emulators.names()) or "none installed"
        raise ConfigError(f"no emulator for {kind!r}", fix=f"use one of: {known}")
    click.echo(f"serving the {kind} emulator on http://{host}:{port} (Ctrl-C stops it)")
    uvicorn.run(emulator().app(seed=seed), host=host, port=port, log_level="warning")
