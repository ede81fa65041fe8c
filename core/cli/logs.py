"""Log output of the CLI: itsmhub's own loggers at the chosen level, libraries quiet.

``-v`` asks what itsmhub is doing, not what aiosqlite, Alembic or httpx do inside, so
levels are set per logger: ``itsmhub`` (and plugins' ``itsmhub_*``) at the chosen level,
every other logger at WARNING whatever is chosen. Records are redacted before they are
written (see :mod:`itsmhub.http.redact`).
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import click

LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING}
LEVELS["error"] = logging.ERROR
#: Libraries that log every statement, migration step or request below WARNING: set
#: explicitly, so their records are not even created.
QUIET = ("aiosqlite", "alembic", "sqlalchemy", "httpx", "httpcore", "asyncio", "uvicorn")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (click's test runner swaps it)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


class _OwnOrWarning(logging.Filter):
    """Lets itsmhub's records through at its level, every other logger's from WARNING."""

    def __init__(self) -> None:
        super().__init__()
        self.level = logging.WARNING

    def filter(self, record: logging.LogRecord) -> bool:
        own = record.name.split(".", 1)[0].startswith("itsmhub")
        return record.levelno >= (self.level if own else logging.WARNING)


_handler = _Stderr()
_handler.setFormatter(logging.Formatter(_FORMAT))
_filter = _OwnOrWarning()
_handler.addFilter(_filter)


def configure(level: int) -> None:
    """Show itsmhub's records from ``level`` on, everything else from WARNING."""
    from ..http.redact import install_redaction

    root = logging.getLogger()
    if _handler not in root.handlers:
        root.addHandler(_handler)
    root.setLevel(min(level, logging.WARNING))
    _filter.level = level
    logging.getLogger("itsmhub").setLevel(level)
    for name in QUIET:
        logging.getLogger(name).setLevel(logging.WARNING)
    install_redaction(root)


def verbosity(count: int) -> int:
    """``-v`` counted: none WARNING, one INFO, two or more DEBUG."""
    return {0: logging.WARNING, 1: logging.INFO}.get(count, logging.DEBUG)


_CHOSEN = "itsmhub.log_level"  # in ctx.meta, which a command shares with its group


def _apply_level(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.meta[_CHOSEN] = LEVELS[value.lower()]
        configure(ctx.meta[_CHOSEN])


def _apply_verbose(ctx: click.Context, param: click.Parameter, value: int) -> None:
    if value:
        ctx.meta[_CHOSEN] = verbosity(value)
        configure(ctx.meta[_CHOSEN])


def configure_default(ctx: click.Context, level: int = logging.WARNING) -> None:
    """``level`` (WARNING) and up, unless ``--log-level`` or ``-v`` chose already."""
    if _CHOSEN not in ctx.meta:
        configure(level)


def use_formatter(formatter: logging.Formatter | None) -> None:
    """Write records with ``formatter`` (the daemon's JSON lines), or the default one."""
    _handler.setFormatter(formatter or logging.Formatter(_FORMAT))


def options() -> list[click.Option]:
    """``--log-level`` and ``-v``, for the group and for every command (so both work
    before and after the subcommand; the one given last wins)."""
    return [
        click.Option(
            ["--log-level"],
            type=click.Choice(sorted(LEVELS, key=LEVELS.__getitem__), case_sensitive=False),
            envvar="ITSMHUB_LOG_LEVEL",
            expose_value=False,
            callback=_apply_level,
            help="itsmhub's log level (libraries stay at warning); or ITSMHUB_LOG_LEVEL.",
        ),
        click.Option(
            ["-v", "--verbose"],
            count=True,
            expose_value=False,
            callback=_apply_verbose,
            help="More log output: -v info, -vv debug.",
        ),
    ]


class Command(click.Command):
    """A command that takes the logging options wherever they are written."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(options())


class Group(click.Group):
    """A group whose commands and subgroups take the logging options too."""

    command_class = Command
    group_class = type  # subgroups are of this class as well

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.extend(options())
