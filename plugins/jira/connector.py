"""The ``jira`` connector: Jira Cloud and Jira Service Management.

In this release it declares what it holds and how it is configured; the calls to Jira's
REST API v3 (check, pull, create, update, comment, link, webhooks) arrive with the Jira
connector issue. Until then every method refuses with ``NotImplementedYet``.
"""

from __future__ import annotations

from typing import ClassVar

from itsmhub import Connector, ConnectorSettings, RecordKind

from .settings import JiraSettings


class JiraConnector(Connector):
    """Incidents, problems and known errors kept as issues in Jira projects."""

    kind: ClassVar[str] = "jira"
    title: ClassVar[str] = "Jira Cloud / Jira Service Management"
    settings_model: ClassVar[type[ConnectorSettings]] = JiraSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR}
    )
