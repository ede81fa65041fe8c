"""A local Jira Cloud site (REST API v3 and admin webhooks) for tests and demos."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from itsmhub import ASGIApp, EmulatedConnector, Emulator

from .app import SiteApp, build_app
from .seed import add_comment, add_issue, link_issues, seed_site
from .state import Site, SiteError

__all__ = [
    "JiraEmulator",
    "Site",
    "SiteApp",
    "SiteError",
    "add_comment",
    "add_issue",
    "build_app",
    "link_issues",
    "seed_site",
]


def reseed(site: Site, data: Mapping[str, Any]) -> None:
    """``/_emulator/reset`` with ``{"seed": n, "incidents": count}``."""
    seed_site(site, int(data["seed"]), incidents=int(data.get("incidents", 50)))


class JiraEmulator(Emulator):
    """Serves a Jira Service Management project (OPS) as Jira Cloud does.

    Basic auth with the account's e-mail and API token; admin webhooks are signed with
    the secret they are registered with. Faults, rate limits, the search index lag and
    the clock are driven through ``/_emulator/...`` or ``site.controls``.
    """

    kind: ClassVar[str] = "jira"
    title: ClassVar[str] = "Jira Cloud REST API v3"
    credentials: ClassVar[Mapping[str, str]] = {
        "email": "itsmhub@example.com",
        "api_token": "jira-emulator-token",
        "webhook_secret": "jira-emulator-webhook-secret",
    }

    def __init__(self, *, incidents: int = 50) -> None:
        self.incidents = incidents
        """How many incidents a seed creates (problems: one per ten incidents)."""

    def app(
        self, *, seed: int | None = None, credentials: Mapping[str, str] | None = None
    ) -> ASGIApp:
        given = self.merged_credentials(credentials)
        site = Site(api_email=given["email"], api_token=given["api_token"])
        if seed is not None:
            seed_site(site, seed, incidents=self.incidents)
        return build_app(site, reseed=reseed)

    def connector_config(self, url: str, credentials: Mapping[str, str]) -> EmulatedConnector:
        given = self.merged_credentials(credentials)
        return EmulatedConnector(
            settings={
                "type": self.kind,
                "site_url": url,
                "custom_domain": True,
                "email": given["email"],
                "api_token": "env:JIRA_API_TOKEN",
                "webhook_secret": "env:JIRA_WEBHOOK_SECRET",
                "projects": ["OPS"],
                "mapping": {
                    "custom_fields": {
                        "root_cause": "customfield_10050",
                        "workaround": "customfield_10051",
                        "assignment_group": "customfield_10052",
                        "category": "customfield_10053",
                    }
                },
            },
            environment={
                "JIRA_API_TOKEN": given["api_token"],
                "JIRA_WEBHOOK_SECRET": given["webhook_secret"],
            },
        )
