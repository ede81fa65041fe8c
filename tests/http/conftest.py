"""Fixtures for the HTTP foundation tests."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

import itsmhub.http.redact as redact_module
from itsmhub.http import HttpSettings


class FakeTime:
    """A wall clock that moves only when something sleeps on it; tests never really wait."""

    def __init__(self, now: float = 1_780_000_000.0) -> None:
        self.now = now
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(float(seconds))
        self.now += float(seconds)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake_time() -> FakeTime:
    """A clock for Retry-After/reset maths whose ``sleep`` records the waits and never waits."""
    return FakeTime()


@pytest.fixture
def settings() -> HttpSettings:
    return HttpSettings()


@pytest.fixture
def isolated_redaction(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Let a test call install_redaction without redacting the rest of the session's logs."""
    factory = logging.getLogRecordFactory()
    monkeypatch.setattr(redact_module, "_hierarchies", set())
    try:
        yield
    finally:
        logging.setLogRecordFactory(factory)
        logging.getLogger("itsmhub").removeFilter(redact_module._FILTER)
