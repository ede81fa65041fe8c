"""A local Zendesk Support account (Tickets, Incremental Exports, Job Statuses, Users,
Webhooks and OAuth APIs) for tests, benchmarks and demos."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from itsmhub import ASGIApp, EmulatedConnector, Emulator

from .app import Front, build_app
from .seed import WORKAROUND_FIELD, SeededComment, Seeder, seed_account
from .support import DEFAULT_CREDENTIALS, Limits, Support

__all__ = [
    "WORKAROUND_FIELD",
    "Front",
    "Limits",
    "SeededComment",
    "Seeder",
    "Support",
    "ZendeskEmulator",
    "build_app",
    "seed_account",
]


class ZendeskEmulator(Emulator):
    """Serves tickets, their comments and audits, the exports and bulk jobs as Zendesk does.

    An admin agent ``admin@example.com`` signs in with the API token
    ``zendesk-emulator-token`` (``admin@example.com/token`` basic auth) or the bearer token
    ``zendesk-emulator-oauth-token``; OAuth client ``itsmhub``/``itsmhub-secret`` gets
    more from ``/oauth/tokens``. Webhooks are signed with ``webhook_secret``. Faults, rate
    limits, the clock and the exports' embargo are driven through ``/_emulator/...``.
    """

    kind: ClassVar[str] = "zendesk"
    title: ClassVar[str] = "Zendesk Support API"
    credentials: ClassVar[Mapping[str, str]] = DEFAULT_CREDENTIALS

    def __init__(self, *, tickets: int = 50) -> None:
        self.tickets = tickets
        """How many tickets a seed creates (one in ten a problem)."""

    def app(
        self, *, seed: int | None = None, credentials: Mapping[str, str] | None = None
    ) -> ASGIApp:
        """A fresh account accepting ``credentials``; reach it through ``/_emulator``."""
        support = Support(credentials=self.merged_credentials(credentials))
        if seed is not None:
            seed_account(support, seed, tickets=self.tickets)
        return build_app(support)

    def connector_config(self, url: str, credentials: Mapping[str, str]) -> EmulatedConnector:
        given = self.merged_credentials(credentials)
        return EmulatedConnector(
            settings={
                "type": self.kind,
                "url": url,
                "custom_domain": True,
                "email": given["email"],
                "api_token": "env:ZENDESK_API_TOKEN",
                "webhook_secret": "env:ZENDESK_WEBHOOK_SECRET",
                "mapping": {"custom_fields": {"workaround": WORKAROUND_FIELD}},
            },
            environment={
                "ZENDESK_API_TOKEN": given["api_token"],
                "ZENDESK_WEBHOOK_SECRET": given["webhook_secret"],
            },
        )
