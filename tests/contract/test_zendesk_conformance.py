"""``itsmhub.testing`` against the Zendesk connector on its in-process emulator, every
answer checked against Zendesk's own API description."""

from __future__ import annotations

import copy
import math
from collections import Counter
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import JsonValue, SecretStr

from itsmhub import ConnectorContext, ExternalRef, HttpSettings, RecordKind
from itsmhub.emulation import EmulatorClock, Fault
from itsmhub.http import BudgetPacer
from itsmhub.testing import ConformanceTarget, ConnectorConformance, RecordingSleep
from itsmhub.testing.openapi import OpenAPIContract
from itsmhub_zendesk.client import ZendeskClient, rate_budgets
from itsmhub_zendesk.connector import ZendeskConnector
from itsmhub_zendesk.emulator import WORKAROUND_FIELD, Limits, Support, build_app
from itsmhub_zendesk.settings import ZendeskSettings

PAGE_SIZE = 3
PRUNED = (
    Path(__file__).resolve().parents[2]
    / "plugins/zendesk/emulator/openapi/zendesk-support.pruned.json"
)
# What a person edits, as ticket properties (the suite only edits titles and text).
PROPERTIES = {"title": "subject"}


class VirtualTime:
    """The pacer's clock: its waits move it on instead of sleeping."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


class ZendeskTarget(ConformanceTarget):
    """The connector on an emulated account; people act through the account's desk."""

    kinds = (RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR)

    def __init__(
        self, connector: ZendeskConnector, support: Support, sleep: RecordingSleep
    ) -> None:
        super().__init__(connector, page_size=PAGE_SIZE, sleep=sleep)
        self.support = support
        self.clock = support.clock
        assert isinstance(self.clock, EmulatorClock)
        self.person = support.account.add_user("Beth Anglin", "beth@example.com", role="agent")

    def new_values(self, kind: RecordKind) -> Mapping[str, JsonValue]:
        # A Zendesk description is the ticket's first comment, which cannot be edited:
        # the connector does not keep it in step (it is written once, on create).
        values = {k: v for k, v in super().new_values(kind).items() if k != "description"}
        values |= {"tags": ["suite"], "assignment_group": "Network"}
        if kind is not RecordKind.KNOWN_ERROR:
            values["priority"] = 2
        return values

    async def settle(self) -> None:
        # Past the exports' one-minute embargo; background jobs finish on the way.
        self.clock.advance(61)

    async def edit_remote(self, ref: ExternalRef, **fields: Any) -> None:
        # A person edits a moment later; a minute on, the exports show it.
        self.clock.advance(1)
        values = {PROPERTIES[name]: value for name, value in fields.items()}
        self.support.desk.update(int(ref.remote_id), values, self.person)
        self.clock.advance(61)

    async def comment_remote(self, ref: ExternalRef, body: str, *, public: bool) -> None:
        self.clock.advance(1)
        comment = {"comment": {"body": body, "public": public}}
        self.support.desk.update(int(ref.remote_id), comment, self.person)

    async def remote_comment_texts(self, ref: ExternalRef) -> list[str]:
        # Zendesk shows the first comment as the ticket's description.
        return [c.body for c in self.support.account.comments[int(ref.remote_id)][1:]]

    async def inject_rate_limit(self, retry_after: float) -> None:
        # Retry-After is whole seconds on Zendesk; the recording sleep makes it free.
        fault = Fault(status=429, retry_after=math.ceil(retry_after))
        self.support.controls.faults.inject(fault)

    async def lose_next_create_response(self) -> None:
        # The account creates the ticket, then the connection drops before the answer.
        fault = Fault(method="POST", path="/api/v2/tickets", lose_response=True)
        self.support.controls.faults.inject(fault)


@pytest.fixture(scope="module")
def description() -> OpenAPIContract:
    return OpenAPIContract.load(PRUNED)


class TestZendeskConformance(ConnectorConformance):
    @pytest.fixture
    async def conformance_target(
        self, description: OpenAPIContract
    ) -> AsyncIterator[ZendeskTarget]:
        clock = EmulatorClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
        support = Support(clock=clock, limits=Limits(None, None))
        network = support.account.add_group("Network")
        # This check's own record of what it validated, on the description loaded once.
        contract = copy.copy(description)
        contract.checked, contract.violations = Counter(), []
        settings = ZendeskSettings.model_validate(
            {
                "subdomain": "acme",
                "email": "admin@example.com",
                "api_token": "env:ZD_TOKEN",
                "page_size": PAGE_SIZE,
                "mapping": {
                    "custom_fields": {"workaround": WORKAROUND_FIELD},
                    "group_ids": {"Network": network.id},
                },
            },
            context={"config_dir": "."},
        )
        context = ConnectorContext(
            http=HttpSettings(),
            resolve_secret=lambda ref: SecretStr("zendesk-emulator-token"),
            transport=contract.checking(httpx.ASGITransport(app=build_app(support))),
            clock=clock,
        )
        sleep, time = RecordingSleep(), VirtualTime()
        pacer = BudgetPacer(rate_budgets(settings), clock=time, sleep=time.sleep)
        client = ZendeskClient(settings, context, sleep=sleep, budgets=pacer)
        async with ZendeskConnector("desk", settings, context, client=client) as connector:
            yield ZendeskTarget(connector, support, sleep)
        contract.raise_for_violations()
