"""The hooks through which itsmhub finds the ServiceNow plugin (entry point ``servicenow``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, Emulator, hookimpl

from .connector import ServiceNowConnector
from .emulator import ServiceNowEmulator


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(ServiceNowConnector)


@hookimpl
def register_emulators(register: Callable[[type[Emulator]], None]) -> None:
    register(ServiceNowEmulator)
