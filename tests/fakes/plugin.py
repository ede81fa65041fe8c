"""Registers the fake connector; load it with ``ITSMHUB_PLUGIN_MODULES=fakes.plugin``."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, hookimpl

from .connector import FakeConnector


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(FakeConnector)
