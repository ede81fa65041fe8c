"""Fixtures for the ServiceNow emulator tests: an instance on a fake clock and a client."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from itsmhub import ConnectorContext, HttpSettings
from itsmhub.emulation import Controls, Faults
from itsmhub_servicenow.connector import ServiceNowConnector
from itsmhub_servicenow.emulator import Instance, build_app
from itsmhub_servicenow.settings import ServiceNowSettings

BASE_URL = "https://acme.service-now.com"
JSON = {"Accept": "application/json", "Content-Type": "application/json"}


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class FakeSleep:
    """Records requested delays instead of sleeping."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sleep() -> FakeSleep:
    return FakeSleep()


@pytest.fixture
def instance(clock: FakeClock, sleep: FakeSleep) -> Instance:
    controls = Controls(clock=clock, faults=Faults(sleep=sleep))
    return Instance(clock=clock, users={"admin": "admin", "sync": "s3cret"}, controls=controls)


def make_client(instance: Instance, auth: httpx.Auth | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=build_app(instance))
    return httpx.AsyncClient(transport=transport, base_url=BASE_URL, auth=auth, headers=JSON)


MakeClient = Callable[..., httpx.AsyncClient]


@pytest.fixture
def client_for(instance: Instance) -> MakeClient:
    """Build a client for ``instance`` with the given ``httpx.Auth`` (or none)."""
    return lambda auth=None: make_client(instance, auth)


@pytest.fixture
async def client(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(instance, httpx.BasicAuth("admin", "admin")) as c:
        yield c


@pytest.fixture
async def anonymous(instance: Instance) -> AsyncIterator[httpx.AsyncClient]:
    async with make_client(instance) as c:
        yield c


def snow_connector(instance: Instance | None = None, **settings: Any) -> ServiceNowConnector:
    """A connector named ``snow`` with basic auth (admin/admin), on ``instance`` when given
    (the emulator in-process) or with no transport (for respx); ``settings`` add to the
    table (``page_size``, ``use_known_error_articles``…)."""
    data = {
        "instance_url": BASE_URL,
        "auth": {"method": "basic", "username": "admin", "password": "env:PW"},
        **settings,
    }
    validated = ServiceNowSettings.model_validate(data, context={"config_dir": "."})
    transport = httpx.ASGITransport(app=build_app(instance)) if instance else None
    context = ConnectorContext(
        http=HttpSettings(), resolve_secret=lambda ref: SecretStr("admin"), transport=transport
    )
    return ServiceNowConnector("snow", validated, context)


@pytest.fixture
def make_connector() -> Callable[..., ServiceNowConnector]:
    """:func:`snow_connector`, for test modules (conftest is not importable by name)."""
    return snow_connector
