"""Progress of long reads (backfill, rules over history): a bar on a terminal, a line
now and then otherwise."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click


class Progress:
    """Counts records. On a terminal it draws a bar: the count (of the total, when the
    source knows it), a formatted rate, the time elapsed and, with a total, an ETA.

    ``with Progress(enabled=...) as advance: advance(n)``; ``advance.set_total(total)``
    whenever the total becomes known (the engine does, from a connector's checkpoints).
    ``console`` and ``clock`` are for tests.
    """

    def __init__(
        self,
        *,
        enabled: bool,
        unit: str = "records",
        total: int | None = None,
        console: Any = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.enabled = enabled
        self.unit = unit
        self.total = total
        self.count = 0
        self.console = console
        self.clock = clock
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Progress:
        if self.enabled and (self.console is not None or sys.stderr.isatty()):
            from rich.console import Console
            from rich.progress import BarColumn, TimeElapsedColumn
            from rich.progress import Progress as Bar

            from .progress_columns import CountColumn, EtaColumn, RateColumn

            options: dict[str, Any] = {"get_time": self.clock} if self.clock else {}
            self.bar = Bar(
                BarColumn(),
                CountColumn(self.unit),
                RateColumn(),
                TimeElapsedColumn(),
                EtaColumn(),
                console=self.console or Console(stderr=True),
                transient=False,
                **options,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.unit, total=self.total)
        return self

    def __call__(self, n: int) -> None:
        self.advance(n)

    def set_total(self, total: int | None) -> None:
        self.total = total
        if self.bar is not None:
            self.bar.update(self.task, total=total)

    def advance(self, n: int) -> None:
        self.count += n
        if self.bar is not None:
            self.bar.update(self.task, advance=n)
        elif self.enabled and self.count // 1000 != (self.count - n) // 1000:
            click.echo(f"{self.count:,} {self.unit}", err=True)

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()
        elif self.enabled:
            click.echo(f"{self.count:,} {self.unit} read", err=True)
