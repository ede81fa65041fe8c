"""The hooks through which itsmhub finds the Jira plugin (entry point ``jira``)."""

from __future__ import annotations

from collections.abc import Callable

from itsmhub import Connector, hookimpl

from .connector import JiraConnector


@hookimpl
def register_connectors(register: Callable[[type[Connector]], None]) -> None:
    register(JiraConnector)
