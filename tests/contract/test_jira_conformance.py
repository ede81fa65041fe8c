"""``itsmhub.testing`` against the Jira connector on its in-process emulator, every
answer checked against Atlassian's OpenAPI description of the operations used."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import JsonValue, SecretStr

from itsmhub import (
    AnyRecord,
    ConnectorContext,
    ExternalRef,
    HttpSettings,
    PersonRef,
    Priority,
    RecordKind,
)
from itsmhub.emulation import Controls, EmulatorClock, Fault, Faults
from itsmhub.testing import ConformanceTarget, ConnectorConformance, RecordingSleep
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_jira.adf import to_adf, to_text
from itsmhub_jira.client import JiraClient
from itsmhub_jira.connector import JiraConnector
from itsmhub_jira.emulator import Site, build_app
from itsmhub_jira.settings import JiraSettings

SPEC = Path(__file__).parents[2] / "plugins/jira/emulator/openapi/jira-platform-v3.pruned.json"
PAGE_SIZE = 3
LAG = 60.0
CONTRACT = OpenAPIContract.load(SPEC)


class JiraTarget(ConformanceTarget):
    """The connector on an emulated site whose search lags a minute behind writes."""

    kinds = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)

    def __init__(
        self, connector: JiraConnector, site: Site, clock: EmulatorClock, sleep: RecordingSleep
    ) -> None:
        super().__init__(connector, page_size=PAGE_SIZE, sleep=sleep)
        self.site = site
        self.clock = clock
        self.agent = site.add_user("Beth Anglin", "beth.anglin@example.com")

    def make_record(self, kind: RecordKind, title: str) -> AnyRecord:
        record = super().make_record(kind, title)
        values: dict[str, Any] = {"service": "VPN", "assignment_group": "Network"}
        if kind is not RecordKind.KNOWN_ERROR:
            values["priority"] = Priority.P2
        return record.model_copy(update=values)

    def new_values(self, kind: RecordKind) -> Mapping[str, JsonValue]:
        values = dict(super().new_values(kind))
        reporter = PersonRef(
            display_name=self.agent.display_name,
            email=self.agent.email,
            external=ExternalRef(
                system="jira", remote_id=self.agent.account_id, remote_type="user"
            ),
        )
        values |= {
            "service": "Email",
            "assignment_group": "Database",
            "tags": ["friday", "vpn"],
            "reporter": reporter.model_dump(mode="json"),
        }
        if kind is not RecordKind.KNOWN_ERROR:
            values["priority"] = 4
        return values

    async def settle(self) -> None:
        self.clock.advance(LAG + 1)

    async def edit_remote(self, ref: ExternalRef, **fields: Any) -> None:
        issue = self.site.issue(ref.remote_id)
        assert issue is not None
        names = {"title": "summary", "description": "description"}
        changes = {names[k]: to_adf(v) if k == "description" else v for k, v in fields.items()}
        self.site.edit(issue, changes, actor=self.agent.account_id)

    async def comment_remote(self, ref: ExternalRef, body: str, *, public: bool) -> None:
        issue = self.site.issue(ref.remote_id)
        assert issue is not None
        self.site.add_comment(
            issue, to_adf(body), author=self.agent.account_id, internal=not public
        )

    async def remote_comment_texts(self, ref: ExternalRef) -> list[str]:
        issue = self.site.issue(ref.remote_id)
        assert issue is not None
        return [to_text(c.body) for c in issue.comments]

    async def inject_rate_limit(self, retry_after: float) -> None:
        self.site.controls.faults.inject(Fault(status=429, retry_after=retry_after))

    async def lose_next_create_response(self) -> None:
        # Jira makes the issue, then the connection drops before the answer.
        fault = Fault(method="POST", path="/rest/api/3/issue", lose_response=True)
        self.site.controls.faults.inject(fault)


class TestJiraConformance(ConnectorConformance):
    @pytest.fixture
    async def conformance_target(self) -> AsyncIterator[JiraTarget]:
        clock = EmulatorClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=timedelta(seconds=1))
        sleep = RecordingSleep()
        site = Site(controls=Controls(clock=clock, faults=Faults(sleep=sleep)))
        site.controls.lag.seconds = LAG
        before = len(CONTRACT.violations)
        transport = CONTRACT.checking(httpx.ASGITransport(app=build_app(site)))
        settings = JiraSettings.model_validate(
            {
                "site_url": "https://acme.atlassian.net",
                "email": "itsmhub@example.com",
                "api_token": "env:JIRA_TOKEN",
                "projects": ["OPS"],
                "page_size": PAGE_SIZE,
                "search_lag": "1m",
                "mapping": {
                    "custom_fields": {
                        "assignment_group": "customfield_10052",
                        "root_cause": "customfield_10050",
                        "workaround": "customfield_10051",
                    }
                },
            },
            context={"config_dir": "."},
        )
        context = ConnectorContext(
            http=HttpSettings(),
            resolve_secret=lambda ref: SecretStr("jira-emulator-token"),
            transport=transport,
            clock=clock,
        )
        client = JiraClient(settings, context, sleep=sleep)
        async with JiraConnector("jira", settings, context, client=client) as connector:
            yield JiraTarget(connector, site, clock, sleep)
        assert CONTRACT.violations[before:] == [], "the emulator answered off its description"
