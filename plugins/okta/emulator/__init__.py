"""A local Okta org (Users, Groups, Devices, System Log, Event Hooks and the org
authorization server's token endpoint) for tests, benchmarks and demos."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from itsmhub import ASGIApp, EmulatedConnector, Emulator

from .app import build_app, install_buckets
from .hooks import deliver_events
from .seed import NewHire, add_new_hire, seed_org
from .state import Org

__all__ = [
    "NewHire",
    "OktaEmulator",
    "Org",
    "add_new_hire",
    "build_app",
    "deliver_events",
    "install_buckets",
    "seed_org",
]


class OktaEmulator(Emulator):
    """Answers as an Okta org does: ``SSWS`` API tokens, OAuth service-app tokens (client
    secret here; ``private_key_jwt`` for keys registered on ``Org.service_app_keys``),
    ``Link`` paging, ``X-Rate-Limit-*`` headers and ``E0000047``, the System Log and
    event hooks. Faults and rate limits are driven through ``/_emulator/...``."""

    kind: ClassVar[str] = "okta"
    title: ClassVar[str] = "Okta Management API"
    credentials: ClassVar[Mapping[str, str]] = {
        "api_token": "00emulator-api-token",
        "client_id": "0oaitsmhubemulator01",
        "client_secret": "itsmhub-okta-secret",
        "event_hook_secret": "itsmhub-okta-hook-secret",
    }

    def __init__(self, *, people: int = 40) -> None:
        self.people = people
        """How many people a seed creates."""

    def app(
        self, *, seed: int | None = None, credentials: Mapping[str, str] | None = None
    ) -> ASGIApp:
        given = self.merged_credentials(credentials)
        org = Org(
            api_tokens={given["api_token"]},
            oauth_clients={given["client_id"]: given["client_secret"]},
        )
        if seed is not None:
            seed_org(org, seed, people=self.people)
        return build_app(org)

    def connector_config(self, url: str, credentials: Mapping[str, str]) -> EmulatedConnector:
        given = self.merged_credentials(credentials)
        return EmulatedConnector(
            settings={
                "type": self.kind,
                "org_url": url,
                "custom_domain": True,
                "auth": {"method": "api_token", "token": "env:OKTA_API_TOKEN"},
                "event_hook_secret": "env:OKTA_EVENT_HOOK_SECRET",
            },
            environment={
                "OKTA_API_TOKEN": given["api_token"],
                "OKTA_EVENT_HOOK_SECRET": given["event_hook_secret"],
            },
        )
