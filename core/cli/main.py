"""The command group, its global options, and how errors become exit codes.

Exit codes: 0 ok, 1 the command failed, 2 usage or config error.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from .. import __version__
from ..config import ConfigInvalid
from ..errors import ConfigError, ItsmhubError
from . import logs
from .output import print_error, print_issues

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2

DEFAULT_CONFIG = "config.toml"

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn itsmhub errors into a clear message and an exit code, never a traceback."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigInvalid as exc:
            print_issues(exc.source, exc.issues, as_json=_json_requested())
            raise SystemExit(EXIT_USAGE) from None
        except ConfigError as exc:
            print_error(exc, as_json=_json_requested())
            raise SystemExit(EXIT_USAGE) from None
        except ItsmhubError as exc:
            print_error(exc, as_json=_json_requested())
            raise SystemExit(EXIT_FAILURE) from None

    return wrapper  # type: ignore[return-value]


def _json_requested() -> bool:
    ctx = click.get_current_context(silent=True)
    while ctx is not None:
        if ctx.params.get("as_json"):
            return True
        ctx = ctx.parent
    return False


@click.group(cls=logs.Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="itsmhub")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    envvar="ITSMHUB_CONFIG",
    default=DEFAULT_CONFIG,
    show_default=True,
    help="The config file (or set ITSMHUB_CONFIG).",
)
@click.pass_context
def cli(ctx: click.Context, config_path: Path) -> None:
    """Keep incidents, problems and known errors in step across your ITSM tools."""
    ctx.ensure_object(dict)
    ctx.obj["config_path"] = config_path
    logs.configure_default(ctx)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point."""
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "itsmhub"
    cli.main(args=argv, prog_name=prog if prog != "__main__.py" else "itsmhub")
