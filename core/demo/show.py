"""How the demo prints: a heading per step, a short table, and the command that shows
the same again from the store the demo leaves behind."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from rich.console import Console
from rich.table import Table

#: How each connector kind is named for people.
TOOL_NAMES = {
    "servicenow": "ServiceNow",
    "jira": "Jira",
    "zendesk": "Zendesk",
    "okta": "Okta",
}


@dataclass
class Printer:
    """Prints the demo's steps to ``console``; ``command`` starts every shown command
    (``itsmhub -c config.example.toml``)."""

    console: Console
    command: str
    step: int = 0

    def heading(self, title: str, story: str = "") -> None:
        self.step += 1
        self.console.print()
        self.console.rule(f"[bold]{self.step}. {title}", align="left")
        if story:
            self.console.print(story, highlight=False)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        table = Table(show_edge=False, pad_edge=False, header_style="bold")
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*("" if cell is None else str(cell) for cell in row))
        self.console.print(table)

    def again(self, *commands: str) -> None:
        """The commands that show this step again (they read the store only)."""
        for command in commands:
            self.console.print(f"[dim]again:[/] {self.command} {command}", highlight=False)

    def say(self, text: str) -> None:
        self.console.print(text, highlight=False)


def when(moment: datetime | None) -> str:
    """``Fri 14 Nov 14:05`` (UTC): the weekday matters in this story."""
    return "-" if moment is None else f"{moment:%a %d %b %H:%M}"


def cut(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
