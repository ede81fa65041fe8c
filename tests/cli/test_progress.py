"""The progress bar of backfills and rule runs: a readable rate, the total when known, an ETA."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from itsmhub.cli.progress import Progress


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def drawn(total: int | None, steps: list[tuple[float, int]]) -> str:
    """The bar's last frame after advancing ``n`` records ``seconds`` apart, for each step."""
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    clock = Clock()
    progress = Progress(enabled=True, total=total, console=console, clock=clock)
    with progress as advance:
        for seconds, n in steps:
            clock.now += seconds
            advance(n)
        progress.bar.refresh()
        frame = out.getvalue().rsplit("\r", 1)[-1]
    return frame


def test_known_total_shows_count_of_total_rate_and_eta() -> None:
    frame = drawn(10_000, [(1.0, 1_000), (1.0, 1_000)])
    assert "2,000 of 10,000 records" in frame
    assert "1,000/s" in frame
    assert "eta 8s" in frame


def test_unknown_total_shows_a_count_never_a_question_mark() -> None:
    frame = drawn(None, [(0.5, 16_117), (0.5, 16_117)])
    assert "32,234 records" in frame
    assert "/?" not in frame and "eta" not in frame
    assert "32,234/s" in frame  # whole numbers, not 32234.123456


def test_no_rate_yet_is_an_ellipsis_not_none() -> None:
    frame = drawn(None, [])
    assert "0 records" in frame and "…/s" in frame
    assert "None" not in frame


def test_total_learned_later_is_shown() -> None:
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120, color_system=None)
    progress = Progress(enabled=True, console=console, clock=Clock())
    with progress as advance:
        advance(5)
        progress.set_total(50)
        progress.bar.refresh()
    assert "5 of 50 records" in out.getvalue()


def test_off_a_terminal_plain_lines(capsys: pytest.CaptureFixture[str]) -> None:
    with Progress(enabled=True, unit="tickets") as advance:
        advance(700)
        advance(700)  # crosses 1,000
    assert capsys.readouterr().err.splitlines() == ["1,400 tickets", "1,400 tickets read"]
