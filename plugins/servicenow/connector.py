"""The ``servicenow`` connector: incidents, problems and known errors in a ServiceNow instance.

In this release it declares what it holds and how it is configured; the Table API calls
(check, pull, create, update, work notes, links) arrive with the ServiceNow connector
issue. Until then every method refuses with ``NotImplementedYet``.
"""

from __future__ import annotations

from typing import ClassVar

from itsmhub import Connector, ConnectorSettings, RecordKind

from .settings import ServiceNowSettings


class ServiceNowConnector(Connector):
    """Records kept in the incident and problem tables (and, optionally, Known Error articles)."""

    kind: ClassVar[str] = "servicenow"
    title: ClassVar[str] = "ServiceNow"
    settings_model: ClassVar[type[ConnectorSettings]] = ServiceNowSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR}
    )
