"""The hooks through which itsmhub finds the Zendesk plugin (entry point ``zendesk``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, hookimpl

from .connector import ZendeskConnector


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(ZendeskConnector)
