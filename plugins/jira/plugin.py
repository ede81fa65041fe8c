"""The hooks through which itsmhub finds the Jira plugin (entry point ``jira``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, Emulator, hookimpl

from .connector import JiraConnector
from .emulator import JiraEmulator


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(JiraConnector)


@hookimpl
def register_emulators(register: Callable[[type[Emulator]], None]) -> None:
    register(JiraEmulator)
