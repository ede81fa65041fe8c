"""The hooks through which itsmhub finds the Okta plugin (entry point ``okta``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, Emulator, Enricher, hookimpl

from .connector import OktaConnector
from .emulator import OktaEmulator
from .enricher import OktaEnricher


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(OktaConnector)


@hookimpl
def register_emulators(register: Callable[[type[Emulator]], None]) -> None:
    register(OktaEmulator)


@hookimpl
def register_enrichers(register: Callable[[type[Enricher]], None]) -> None:
    register(OktaEnricher)
