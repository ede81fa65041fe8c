"""A local ServiceNow instance (Table, Batch, Stats and OAuth APIs) for tests and demos."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from itsmhub import ASGIApp, EmulatedConnector, Emulator

from .app import build_app
from .seed import seed_instance
from .state import Instance

__all__ = ["Instance", "ServiceNowEmulator", "build_app", "seed_instance"]


class ServiceNowEmulator(Emulator):
    """Serves incidents, problems, known-error articles and journals as an instance does.

    Basic auth ``admin``/``admin``; OAuth client ``itsmhub``/``itsmhub-secret``. Faults
    and rate limits are driven through ``/_emulator/...`` or ``instance.controls``.
    """

    kind: ClassVar[str] = "servicenow"
    title: ClassVar[str] = "ServiceNow Table API"
    credentials: ClassVar[Mapping[str, str]] = {
        "username": "admin",
        "password": "admin",
        "client_id": "itsmhub",
        "client_secret": "itsmhub-secret",
    }

    def __init__(self, *, incidents: int = 50) -> None:
        self.incidents = incidents
        """How many incidents a seed creates (problems: one per ten incidents)."""

    def app(
        self, *, seed: int | None = None, credentials: Mapping[str, str] | None = None
    ) -> ASGIApp:
        """A fresh instance accepting ``credentials``; reach its state through the app's
        ``/_emulator`` routes."""
        given = self.merged_credentials(credentials)
        instance = Instance(
            users={given["username"]: given["password"]},
            oauth_clients={given["client_id"]: given["client_secret"]},
        )
        if seed is not None:
            seed_instance(instance, seed, incidents=self.incidents)
        return build_app(instance)

    def connector_config(self, url: str, credentials: Mapping[str, str]) -> EmulatedConnector:
        given = self.merged_credentials(credentials)
        return EmulatedConnector(
            settings={
                "type": self.kind,
                "instance_url": url,
                "custom_domain": True,
                "auth": {
                    "method": "basic",
                    "username": given["username"],
                    "password": "env:SERVICENOW_PASSWORD",
                },
            },
            environment={"SERVICENOW_PASSWORD": given["password"]},
        )
