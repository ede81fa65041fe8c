"""Delays between a write and when searches see it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass
class Lag:
    """How many (emulator) seconds a write takes to show in search.

    Jira's issue search is eventually consistent; Zendesk's incremental export never
    returns the last minute. An emulator asks :meth:`visible` before a search returns a
    record written at ``written_at``.
    """

    seconds: float = 0.0

    def visible(self, written_at: datetime, now: datetime) -> bool:
        return written_at + timedelta(seconds=self.seconds) <= now
