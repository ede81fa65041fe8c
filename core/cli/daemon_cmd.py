"""``itsmhub daemon``: run unattended, on schedules and webhooks, with health and metrics.

The same loop, without the HTTP server, is what ``itsmhub sync`` runs without ``--once``.
"""

from __future__ import annotations

import logging
from pathlib import Path

import click

from . import logs
from .main import cli, handle_errors

LOG_FORMATS = ("text", "json")


def run_daemon(
    config_path: Path,
    *,
    serve: bool,
    only: str | None = None,
    log_format: str = "text",
    listen: str | None = None,
    port: int | None = None,
) -> None:
    """Load the config with its secrets, then run a daemon worker until it is stopped."""
    import anyio

    from ..config import load_config
    from ..daemon.logs import JsonFormatter
    from ..daemon.runner import open_daemon
    from ..plugins import get_plugins

    if log_format == "json":
        logs.use_formatter(JsonFormatter())
    plugins = get_plugins()
    config = load_config(config_path, plugins)
    sock = None
    if serve:
        from ..emulation.serving import bind

        settings = config.daemon
        sock = bind(listen or settings.listen, settings.port if port is None else port)

    async def main() -> None:
        async with open_daemon(config, plugins, sock=sock, only=only) as daemon:
            await daemon.run()

    try:
        anyio.run(main)
    finally:
        if sock is not None:
            sock.close()


@cli.command("daemon")
@click.option(
    "--log-format",
    type=click.Choice(LOG_FORMATS),
    default="text",
    show_default=True,
    help="json: one JSON object per line (for journald and log shippers).",
)
@click.option("--listen", metavar="ADDRESS", help="Listen here instead of [daemon] listen.")
@click.option("--port", type=click.IntRange(0, 65535), help="Instead of [daemon] port (0: any).")
@click.pass_context
@handle_errors
def daemon_command(
    ctx: click.Context, log_format: str, listen: str | None, port: int | None
) -> None:
    """Keep every connector in step: pull each on its schedule, react to webhooks, serve
    /healthz, /readyz and /metrics, until SIGTERM or SIGINT.

    Several workers may share one PostgreSQL store: each connector is worked by one of
    them at a time. On SQLite a second daemon on the same file refuses to start. Logs at
    info unless --log-level says otherwise.
    """
    logs.configure_default(ctx, logging.INFO)
    run_daemon(ctx.obj["config_path"], serve=True, log_format=log_format, listen=listen, port=port)
