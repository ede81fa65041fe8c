"""The ``zendesk`` connector: incident and problem tickets in Zendesk Support.

In this release it declares what it holds and how it is configured; the calls to the
Support API (check, incremental export, create, update, comments, problem links,
webhooks) arrive with the Zendesk connector issue. Until then every method refuses with
``NotImplementedYet``.
"""

from __future__ import annotations

from typing import ClassVar

from itsmhub import Connector, ConnectorSettings, RecordKind

from .settings import ZendeskSettings


class ZendeskConnector(Connector):
    """Incidents and problems as tickets of those types; known errors as tagged problems."""

    kind: ClassVar[str] = "zendesk"
    title: ClassVar[str] = "Zendesk Support"
    settings_model: ClassVar[type[ConnectorSettings]] = ZendeskSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR}
    )
