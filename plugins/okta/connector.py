"""The ``okta`` connector: the people and devices tickets are about, read from Okta.

In this release it declares what it holds and how it is configured; the Management API
calls (check, users, groups, devices, System Log) and the enricher that uses them arrive
with the Okta connector issue. Until then every method refuses with ``NotImplementedYet``.
"""

from __future__ import annotations

from typing import ClassVar

from itsmhub import Connector, ConnectorSettings, RecordKind

from .settings import OktaSettings


class OktaConnector(Connector):
    """People (Okta users) and devices (Okta Identity Engine devices); read only."""

    kind: ClassVar[str] = "okta"
    title: ClassVar[str] = "Okta"
    settings_model: ClassVar[type[ConnectorSettings]] = OktaSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.PERSON, RecordKind.DEVICE}
    )
