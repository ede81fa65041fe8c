"""The ``okta`` connector: the people and devices tickets are about, read from Okta.

Read-only: it checks, pulls (``users``, ``groups``, ``devices``, ``system_log``; see
``streams.py``), fetches one person or device, and verifies event hook deliveries. It
writes nothing, so it has no correlation markers either.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from functools import partial
from typing import ClassVar

import anyio

from itsmhub import (
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    FatalError,
    Probe,
    PullItem,
    PullRequest,
    RateBudget,
    RecordError,
    RecordKind,
    RemoteChange,
    Stream,
    WebhookReply,
    WebhookRequest,
    check_reads,
)

from . import webhooks
from .client import OktaClient, rate_budgets
from .mapping import Target, device_change, format_time, person_change
from .settings import OktaSettings
from .streams import DEVICES, GROUPS, SYSTEM_LOG, USERS, Streams

Sleep = Callable[[float], Awaitable[None]]

#: What each check reads, the scope it needs, and what it is for.
CHECKS = (
    ("users", "/api/v1/users", "okta.users.read", "people"),
    ("groups", "/api/v1/groups", "okta.groups.read", "people's groups"),
    ("devices", "/api/v1/devices", "okta.devices.read", "devices (sync_devices)"),
    ("system log", "/api/v1/logs", "okta.logs.read", "the System Log (system_log)"),
)


class OktaConnector(Connector):
    """People (Okta users) and devices (Okta Identity Engine devices); read only."""

    kind: ClassVar[str] = "okta"
    title: ClassVar[str] = "Okta"
    settings_model: ClassVar[type[ConnectorSettings]] = OktaSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.PERSON, RecordKind.DEVICE}
    )

    def __init__(
        self,
        name: str,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        client: OktaClient | None = None,
        sleep: Sleep = anyio.sleep,
    ) -> None:
        super().__init__(name, settings, context)
        if not isinstance(settings, OktaSettings):
            raise FatalError(f"{name}: expected OktaSettings, got {type(settings).__name__}")
        self.okta = settings
        self.target = Target(
            system=name,
            org_url=str(settings.org_url).rstrip("/"),
            department_attribute=settings.department_attribute,
        )
        self._client = client
        self._sleep = sleep
        self._hook_secret: str | None = None

    @property
    def client(self) -> OktaClient:
        # Built on first use: secrets are resolved only when the connector really calls out.
        if self._client is None:
            self._client = OktaClient(self.okta, self.context, sleep=self._sleep)
        return self._client

    def _streams(self) -> Streams:
        return Streams(self.client, self.target, self.okta.page_size, self.context.clock)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def rate_budgets(self) -> list[RateBudget]:
        return rate_budgets(self.okta)

    # --- check ---------------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Read one item of each list the connector needs; name the scope a refusal lacks."""
        since = format_time(self.context.clock())
        probes = []
        for name, path, scope, purpose in CHECKS:
            if (name == "devices" and not self.okta.sync_devices) or (
                name == "system log" and not self.okta.system_log
            ):
                continue
            params = {"limit": 1, **({"since": since} if name == "system log" else {})}
            probes.append(
                Probe(
                    name=f"read {name}",
                    read=partial(self.client.get, path, params),
                    denied_fix=f"grant {scope} to the service app (and the Read-Only "
                    f"Administrator role), or give the token's admin that right: needed "
                    f"for {purpose}",
                )
            )
        return await check_reads(
            self.name,
            probes,
            address=self.target.org_url,
            network_fix="check org_url, the network path and any proxy; try again later",
        )

    # --- reading -------------------------------------------------------------------------

    def streams(self) -> list[Stream]:
        streams = [USERS, GROUPS]
        if self.okta.sync_devices:
            streams.append(DEVICES)
        if self.okta.system_log:
            streams.append(SYSTEM_LOG)
        return streams

    async def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        readers = {
            USERS.name: self._streams().users,
            GROUPS.name: self._streams().groups,
            DEVICES.name: self._streams().devices,
            SYSTEM_LOG.name: self._streams().system_log,
        }
        reader = readers.get(request.stream.name)
        if reader is None:
            raise FatalError(f"the okta connector has no stream {request.stream.name!r}")
        async for item in reader(request):
            yield item

    async def fetch(self, kind: RecordKind, remote_id: str) -> RemoteChange | None:
        """One user (with their groups) or one device (with its users), read now."""
        if kind is RecordKind.PERSON:
            user = await self.client.resource(f"/api/v1/users/{remote_id}")
            if user is None:
                return None
            groups = await self.client.page(f"/api/v1/users/{user['id']}/groups")
            names = sorted(
                str(g["profile"]["name"])
                for g in groups.items
                if isinstance(g.get("profile"), dict)
            )
            return person_change(self.target, user, names)
        if kind is RecordKind.DEVICE:
            device = await self.client.resource(f"/api/v1/devices/{remote_id}")
            if device is None:
                return None
            users = await self.client.page(f"/api/v1/devices/{remote_id}/users")
            ids = sorted(
                str(u["user"]["id"]) for u in users.items if isinstance(u.get("user"), dict)
            )
            return device_change(self.target, device, ids)
        raise RecordError(f"Okta holds people and devices, not {kind.value} records")

    # --- push ----------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest) -> WebhookReply:
        """Okta's verification GET and event deliveries, authenticated by the shared
        ``Authorization`` value (see ``webhooks.py``)."""
        if self._hook_secret is None and self.okta.event_hook_secret is not None:
            secret = self.context.resolve_secret(self.okta.event_hook_secret)
            self._hook_secret = secret.get_secret_value()
        return webhooks.verify(request, self._hook_secret)
