"""The columns of the progress bar (rich is imported only when a bar is shown)."""

from __future__ import annotations

from datetime import timedelta

from rich.progress import ProgressColumn, Task
from rich.text import Text


class CountColumn(ProgressColumn):
    """``1,234 of 5,000 records``, or ``1,234 records`` while the total is unknown."""

    def __init__(self, unit: str) -> None:
        super().__init__()
        self.unit = unit

    def render(self, task: Task) -> Text:
        done = f"{int(task.completed):,}"
        if task.total is not None:
            return Text(f"{done} of {int(task.total):,} {self.unit}")
        return Text(f"{done} {self.unit}")


class RateColumn(ProgressColumn):
    """``1,234/s``: whole numbers with separators; ``…/s`` until there is a rate."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if not speed:
            return Text("…/s", style="progress.data.speed")
        shown = f"{speed:,.0f}" if speed >= 10 else f"{speed:.1f}"
        return Text(f"{shown}/s", style="progress.data.speed")


class EtaColumn(ProgressColumn):
    """``eta 2m 5s`` once the total and a rate are known; nothing otherwise."""

    def render(self, task: Task) -> Text:
        remaining = task.time_remaining
        if task.total is None or remaining is None or task.finished:
            return Text("")
        return Text(f"eta {_short(timedelta(seconds=int(remaining)))}", style="progress.remaining")


def _short(delta: timedelta) -> str:
    from .context import ago

    return ago(delta)
