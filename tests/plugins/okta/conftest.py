"""Fixtures for the Okta plugin's tests: an org on a ticking clock, the OpenAPI contract,
and a connector wired to the org in-process through the contract-checking transport."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from itsmhub import ConnectorContext, HttpSettings
from itsmhub.testing import RecordingSleep
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_okta.client import OktaClient
from itsmhub_okta.connector import OktaConnector
from itsmhub_okta.emulator import Org, build_app
from itsmhub_okta.settings import OktaSettings

ROOT = Path(__file__).resolve().parents[3]
SPEC = ROOT / "plugins/okta/emulator/openapi/okta-management.pruned.json"
ORG_URL = "https://acme.okta.com"
TOKEN = "00emulator-api-token"
HOOK_SECRET = "hook-shared-secret"


class TickingClock:
    """Moves one second per reading, so every change gets its own ``lastUpdated``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def contract() -> OpenAPIContract:
    return OpenAPIContract.load(SPEC)


def settings(**extra: Any) -> OktaSettings:
    data = {
        "type": "okta",
        "org_url": ORG_URL,
        "auth": {"method": "api_token", "token": "env:OKTA_TOKEN"},
        "event_hook_secret": "env:OKTA_HOOK",
        **extra,
    }
    return OktaSettings.model_validate(data, context={"config_dir": "."})


def secrets(ref: Any) -> SecretStr:
    return SecretStr({"OKTA_TOKEN": TOKEN, "OKTA_HOOK": HOOK_SECRET}.get(ref.target, "?"))


@asynccontextmanager
async def connected(
    org: Org,
    checked: OpenAPIContract | None = None,
    *,
    sleep: RecordingSleep | None = None,
    name: str = "okta",
    app_options: Mapping[str, Any] | None = None,
    **extra: Any,
) -> AsyncIterator[OktaConnector]:
    """A connector on ``org``, every answer checked by ``checked`` (if given)."""
    transport: httpx.AsyncBaseTransport = httpx.ASGITransport(
        app=build_app(org, **dict(app_options or {}))
    )
    if checked is not None:
        transport = checked.checking(transport)
    context = ConnectorContext(
        http=HttpSettings(), resolve_secret=secrets, transport=transport, clock=org.clock
    )
    sleep = sleep or RecordingSleep()
    config = settings(**extra)
    client = OktaClient(config, context, sleep=sleep)
    async with OktaConnector(name, config, context, client=client, sleep=sleep) as connector:
        yield connector


@pytest.fixture
def clock() -> TickingClock:
    return TickingClock()


@pytest.fixture
def org(clock: TickingClock) -> Org:
    return Org(clock=clock)


@pytest.fixture
def checked() -> Iterator[OpenAPIContract]:
    """The vendor's description; every answer a test gets through it must fit it."""
    found = contract()
    yield found
    found.raise_for_violations()


@pytest.fixture
def connect(org: Org, checked: OpenAPIContract) -> Callable[..., Any]:
    """``async with connect(**settings) as connector``: a connector on ``org``."""
    return lambda **extra: connected(org, checked, **extra)


@pytest.fixture
def connect_unchecked(org: Org) -> Callable[..., Any]:
    """Like ``connect``, for injected faults (a 503 is no answer Okta's description lists)."""
    return lambda **extra: connected(org, None, **extra)
