"""``itsmhub.testing`` against the Okta connector on its in-process emulator: the checks a
read-only source takes (check, streams, paging while records change, rate limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from itsmhub import ConnectorContext, ExternalRef, HttpSettings, RecordKind
from itsmhub.emulation import Fault
from itsmhub.testing import ConformanceTarget, ConnectorConformance, RecordingSleep
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_okta.client import OktaClient
from itsmhub_okta.connector import OktaConnector
from itsmhub_okta.emulator import Org, build_app
from itsmhub_okta.settings import OktaSettings

SPEC = Path(__file__).resolve().parents[2] / "plugins/okta/emulator/openapi"
PAGE_SIZE = 3
# Neutral fields a person edits, as Okta profile attributes.
PROFILE = {"title": "title", "department": "department", "display_name": "displayName"}


class TickingClock:
    """One second per reading: every change gets its own ``lastUpdated``."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


class OktaTarget(ConformanceTarget):
    """A read-only source: people and devices are made and edited in the org, as an
    admin would; the writing helpers do not apply."""

    kinds = (RecordKind.PERSON, RecordKind.DEVICE)
    link_case = None

    def __init__(self, connector: OktaConnector, org: Org, sleep: RecordingSleep) -> None:
        super().__init__(connector, page_size=PAGE_SIZE, sleep=sleep)
        self.org = org

    async def create_remote(self, kind: RecordKind, title: str) -> ExternalRef:
        if kind is RecordKind.PERSON:
            user = self.org.add_user("Suite", title.replace(" ", "-"), title=title)
            return ExternalRef(system=self.connector.name, remote_id=user["id"])
        owner = self.org.add_user("Owner", title.replace(" ", "-"))
        device = self.org.add_device(title, serial_number=title, users=[owner["id"]])
        return ExternalRef(system=self.connector.name, remote_id=device["id"])

    async def edit_remote(self, ref: ExternalRef, **fields: Any) -> None:
        if ref.remote_id in self.org.users:
            self.org.update_user(ref.remote_id, **{PROFILE[k]: v for k, v in fields.items()})
        else:
            self.org.update_device(ref.remote_id, displayName=fields.get("title"))

    async def comment_remote(self, ref: ExternalRef, body: str, *, public: bool) -> None:
        raise NotImplementedError("Okta records have no comments")

    async def remote_comment_texts(self, ref: ExternalRef) -> list[str]:
        raise NotImplementedError("Okta records have no comments")

    async def inject_rate_limit(self, retry_after: float) -> None:
        assert self.org.controls is not None
        self.org.controls.faults.inject(Fault(status=429, retry_after=retry_after))

    async def lose_next_create_response(self) -> None:
        raise NotImplementedError("the connector creates nothing in Okta")


class TestOktaConformance(ConnectorConformance):
    @pytest.fixture
    async def conformance_target(self) -> AsyncIterator[OktaTarget]:
        clock = TickingClock()
        org = Org(clock=clock)
        contract = OpenAPIContract.load(SPEC / "okta-management.pruned.json")
        settings = OktaSettings.model_validate(
            {
                "type": "okta",
                "org_url": "https://acme.okta.com",
                "auth": {"method": "api_token", "token": "env:OKTA_TOKEN"},
                "page_size": PAGE_SIZE,
            },
            context={"config_dir": "."},
        )
        context = ConnectorContext(
            http=HttpSettings(),
            resolve_secret=lambda ref: SecretStr("00emulator-api-token"),
            transport=contract.checking(httpx.ASGITransport(app=build_app(org))),
            clock=clock,
        )
        sleep = RecordingSleep()
        client = OktaClient(settings, context, sleep=sleep)
        async with OktaConnector("okta", settings, context, client=client) as connector:
            yield OktaTarget(connector, org, sleep)
        contract.raise_for_violations()
