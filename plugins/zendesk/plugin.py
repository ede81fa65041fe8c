"""The hooks through which itsmhub finds the Zendesk plugin (entry point ``zendesk``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, Emulator, hookimpl

from .connector import ZendeskConnector
from .emulator import ZendeskEmulator


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(ZendeskConnector)


@hookimpl
def register_emulators(register: Callable[[type[Emulator]], None]) -> None:
    register(ZendeskEmulator)
