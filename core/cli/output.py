"""Printing for people (tables) and for programs (``--json``)."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import click

from ..errors import ItsmhubError

if TYPE_CHECKING:
    from rich.console import Console

    from ..config import ConfigIssue


def console(*, stderr: bool = False) -> Console:
    # rich is imported here, not at the top: the CLI starts (and completes) without it.
    from rich.console import Console

    # Wide enough that tables don't wrap into unreadable columns in CI logs and pipes.
    return Console(stderr=stderr, soft_wrap=False, width=None if sys.stdout.isatty() else 160)


def print_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*("" if cell is None else str(cell) for cell in row))
    console().print(table)


def print_error(error: ItsmhubError, *, as_json: bool) -> None:
    if as_json:
        print_json({"ok": False, "error": error.message, "fix": error.fix})
        return
    click.echo(f"error: {error.message}", err=True)
    if error.fix:
        click.echo(f"  fix: {error.fix}", err=True)


def print_issues(source: str, issues: Sequence[ConfigIssue], *, as_json: bool) -> None:
    if as_json:
        print_json({"ok": False, "source": source, "errors": [i.as_dict() for i in issues]})
        return
    count = len(issues)
    click.echo(f"{source}: {count} error{'s' if count != 1 else ''}", err=True)
    for issue in issues:
        click.echo(f"  {issue.render()}", err=True)
        if issue.fix:
            click.echo(f"      fix: {issue.fix}", err=True)
