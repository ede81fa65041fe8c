"""The hooks through which itsmhub finds the ServiceNow plugin (entry point ``servicenow``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, hookimpl

from .connector import ServiceNowConnector


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(ServiceNowConnector)
