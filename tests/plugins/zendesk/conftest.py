"""Fixtures for the Zendesk tests: an emulated account on a controlled clock, the
connector on it through the OpenAPI-checking transport, and time that never really passes.

Every answer the emulator gives a test through ``transport`` is validated against the
pruned copy of Zendesk's own description; a test ends by raising what did not validate.
"""

from __future__ import annotations

import copy
import re
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from itsmhub import ConnectorContext, HttpSettings
from itsmhub.emulation import EmulatorClock, Faults
from itsmhub.http import BudgetPacer
from itsmhub.testing import RecordingSleep
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_zendesk.client import ZendeskClient, rate_budgets
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import WORKAROUND_FIELD, Limits, Support, build_app
from itsmhub_zendesk.settings import ZendeskSettings

ROOT = Path(__file__).resolve().parents[3]
PRUNED = ROOT / "plugins/zendesk/emulator/openapi/zendesk-support.pruned.json"
BASE = "https://acme.zendesk.com"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TOKEN = "zendesk-emulator-token"
SECRETS = {
    "ZD_TOKEN": TOKEN,
    "ZD_HOOK": "zendesk-emulator-signing-secret",
    # Zendesk's published test secret, which the connector must refuse.
    "ZD_TEST_HOOK": "dGhpc19zZWNyZXRfaXNfZm9yX3Rlc3Rpbmdfb25seQ==",
}
SETTINGS: dict[str, Any] = {
    "subdomain": "acme",
    "email": "admin@example.com",
    "api_token": "env:ZD_TOKEN",
    "webhook_secret": "env:ZD_HOOK",
    "page_size": 3,
    "mapping": {"custom_fields": {"workaround": WORKAROUND_FIELD, "service": 360_000_100_002}},
}


class VirtualTime:
    """A monotonic clock and a sleep that moves it: rate budgets pace without waiting."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


class Posts:
    """Webhook deliveries the emulator made, instead of sending them."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, bytes, dict[str, str]]] = []

    async def __call__(self, url: str, body: bytes, headers: Any) -> int:
        self.sent.append((url, body, dict(headers)))
        return 200


@pytest.fixture(scope="session")
def base_contract() -> OpenAPIContract:
    return OpenAPIContract.load(PRUNED)


@pytest.fixture
def contract(base_contract: OpenAPIContract) -> Iterator[OpenAPIContract]:
    """The description with this test's own record of what it checked (loaded once)."""
    mine = copy.copy(base_contract)
    mine.checked, mine.violations = Counter(), []
    yield mine
    mine.raise_for_violations()


def _operations(contract: OpenAPIContract) -> set[str]:
    """The described operations (``METHOD /template``) that answers were checked for."""
    templates = [
        (re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$"), path)
        for path in contract.spec["paths"]
    ]
    found = set()
    for call in contract.checked:
        method, _, path = call.partition(" ")
        # A literal segment (show_many) wins over a parameter ({ticket_id}), as in routing.
        matches = sorted((t for pattern, t in templates if pattern.match(path)), key=len)
        matches.sort(key=lambda t: t.count("{"))
        if matches:
            found.add(f"{method} {matches[0]}")
    return found


@pytest.fixture
def operations() -> Callable[[OpenAPIContract], set[str]]:
    """``operations(contract)``: the described operations (``METHOD /template``) that
    answers were checked for."""
    return _operations


@pytest.fixture
def clock() -> EmulatorClock:
    """The account's clock: frozen at START, moved by the tests."""
    return EmulatorClock(START)


@pytest.fixture
def posts() -> Posts:
    return Posts()


@pytest.fixture
def sleep() -> RecordingSleep:
    return RecordingSleep()


@pytest.fixture
def support(clock: EmulatorClock, posts: Posts, sleep: RecordingSleep) -> Support:
    return Support(clock=clock, limits=Limits(None, None), post=posts, faults=Faults(sleep=sleep))


@pytest.fixture
def app(support: Support) -> Any:
    return build_app(support)


@pytest.fixture
def transport(app: Any, contract: OpenAPIContract) -> httpx.AsyncBaseTransport:
    return contract.checking(httpx.ASGITransport(app=app))


@pytest.fixture
async def api(transport: httpx.AsyncBaseTransport) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client of the emulator, signed in as its admin (for emulator tests)."""
    auth = httpx.BasicAuth("admin@example.com/token", TOKEN)
    async with httpx.AsyncClient(transport=transport, base_url=BASE, auth=auth) as client:
        yield client


def make_settings(**changes: Any) -> ZendeskSettings:
    data = {**SETTINGS, **changes}
    return ZendeskSettings.model_validate(data, context={"config_dir": "."})


def make_context(
    transport: httpx.AsyncBaseTransport | None, clock: Callable[[], datetime]
) -> ConnectorContext:
    return ConnectorContext(
        http=HttpSettings(),
        resolve_secret=lambda ref: SecretStr(SECRETS[ref.target]),
        transport=transport,
        clock=clock,
    )


@pytest.fixture
def virtual_time() -> VirtualTime:
    return VirtualTime()


ConnectorFor = Callable[..., ZendeskConnector]


@pytest.fixture
def connector_for(
    clock: EmulatorClock, sleep: RecordingSleep, virtual_time: VirtualTime
) -> ConnectorFor:
    """``connector_for(transport, **settings)``: the connector on ``transport`` (None: the
    network, for respx), pacing by its budgets on virtual time."""

    def make(transport: httpx.AsyncBaseTransport | None, **changes: Any) -> ZendeskConnector:
        settings = make_settings(**changes)
        context = make_context(transport, clock)
        pacer = BudgetPacer(rate_budgets(settings), clock=virtual_time, sleep=virtual_time.sleep)
        client = ZendeskClient(settings, context, sleep=sleep, budgets=pacer)
        return ZendeskConnector("desk", settings, context, client=client)

    return make


@pytest.fixture
async def connector(
    transport: httpx.AsyncBaseTransport, connector_for: ConnectorFor
) -> AsyncIterator[ZendeskConnector]:
    async with connector_for(transport) as made:
        yield made


@pytest.fixture
def later(clock: EmulatorClock) -> Callable[..., None]:
    """``later(seconds=61)``: let time pass, past the exports' embargo by default."""
    return lambda seconds=61: clock.advance(seconds)
