"""itsmhub's pytest plugin (entry point ``pytest11``): fixtures for connector tests.

Installed with itsmhub, so a plugin's own tests get them with no import:

- ``recording_sleep``: a :class:`~itsmhub.testing.RecordingSleep` to hand to HTTP retries;
- ``served_emulator``: a factory serving a registered emulator on a loopback port,
  ``url = served_emulator("jira", seed=1)``, stopped after the test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack

import pytest

from .target import RecordingSleep


@pytest.fixture
def recording_sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def served_emulator() -> Iterator[Callable[..., str]]:
    from itsmhub.emulation import serve
    from itsmhub.plugins import get_plugins

    with ExitStack() as stack:

        def start(
            kind: str, *, seed: int | None = None, credentials: Mapping[str, str] | None = None
        ) -> str:
            emulator = get_plugins().registry.emulators.get(kind)
            if emulator is None:
                raise LookupError(f"no emulator is registered for {kind!r}")
            app = emulator().app(seed=seed, credentials=credentials)
            return stack.enter_context(serve(app))

        yield start
