"""Fixtures for the Jira plugin's tests: a site on a clock that moves only when told to,
settings, and a connector reaching the site in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from itsmhub import ConnectorContext, HttpSettings
from itsmhub.emulation import Controls, EmulatorClock, Faults
from itsmhub.testing import RecordingSleep
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_jira.client import JiraClient
from itsmhub_jira.connector import JiraConnector
from itsmhub_jira.emulator import Site, build_app
from itsmhub_jira.settings import JiraSettings

SITE = "https://acme.atlassian.net"
TOKEN = "jira-emulator-token"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CUSTOM = {
    "root_cause": "customfield_10050",
    "workaround": "customfield_10051",
    "assignment_group": "customfield_10052",
    "category": "customfield_10053",
}


def jira_settings(**overrides: Any) -> JiraSettings:
    data: dict[str, Any] = {
        "site_url": SITE,
        "email": "itsmhub@example.com",
        "api_token": "env:JIRA_TOKEN",
        "projects": ["OPS"],
        "mapping": {"custom_fields": dict(CUSTOM)},
        **overrides,
    }
    return JiraSettings.model_validate(data, context={"config_dir": "."})


@pytest.fixture
def settings_for() -> Callable[..., JiraSettings]:
    """``jira_settings`` for tests that cannot import this conftest."""
    return jira_settings


@pytest.fixture
def clock() -> EmulatorClock:
    """Frozen at START; every reading moves it a millisecond on (distinct stamps)."""
    return EmulatorClock(START, tick=timedelta(milliseconds=1))


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def site(clock: EmulatorClock, sleep: RecordingSleep) -> Site:
    return Site(controls=Controls(clock=clock, faults=Faults(sleep=sleep)))


MakeConnector = Callable[..., JiraConnector]


@pytest.fixture
async def make_connector(
    site: Site, clock: EmulatorClock, sleep: RecordingSleep
) -> AsyncIterator[MakeConnector]:
    """Build connectors on ``site`` (settings overridable); closed after the test."""
    made: list[JiraConnector] = []

    def make(transport: httpx.AsyncBaseTransport | None = None, **overrides: Any) -> JiraConnector:
        settings = jira_settings(**overrides)
        context = ConnectorContext(
            http=HttpSettings(),
            resolve_secret=lambda ref: SecretStr(
                "webhook-secret" if ref.target == "JIRA_WEBHOOK" else TOKEN
            ),
            transport=transport or httpx.ASGITransport(app=build_app(site)),
            clock=clock,
        )
        client = JiraClient(settings, context, sleep=sleep)
        connector = JiraConnector("jira", settings, context, client=client)
        made.append(connector)
        return connector

    yield make
    for connector in made:
        await connector.aclose()


@pytest.fixture
def connector(make_connector: MakeConnector) -> JiraConnector:
    return make_connector()


SPEC = Path(__file__).parents[3] / "plugins/jira/emulator/openapi/jira-platform-v3.pruned.json"


@pytest.fixture(scope="session")
def contract() -> OpenAPIContract:
    """Atlassian's description of the operations used (the pruned copy), loaded once."""
    return OpenAPIContract.load(SPEC)


@pytest.fixture
def checked(contract: OpenAPIContract, site: Site) -> Iterator[httpx.AsyncBaseTransport]:
    """A transport to ``site`` that validates every answer; a test whose answers do not
    fit the description fails at teardown."""
    before = len(contract.violations)
    yield contract.checking(httpx.ASGITransport(app=build_app(site)))
    assert contract.violations[before:] == [], "the emulator answered off its description"


@pytest.fixture
async def api(checked: httpx.AsyncBaseTransport) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client of the site, signed in as the API user."""
    auth = httpx.BasicAuth("itsmhub@example.com", TOKEN)
    async with httpx.AsyncClient(transport=checked, base_url=SITE, auth=auth) as client:
        yield client
