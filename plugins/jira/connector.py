"""The ``jira`` connector: Jira Cloud and Jira Service Management, REST API v3.

One stream reads every issue kind through JQL search (``reading.py``); writes are
single-issue calls with a workflow transition for the status (``writing.py``) and bulk
creates (``bulk.py``); comments are ADF (``adf.py``); links are issue links inside Jira
and remote links to other systems (``links.py``); admin webhooks are verified in constant
time (``webhooks.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import Any, ClassVar

import anyio
from pydantic import BaseModel, JsonValue

from itsmhub import (
    CheckResult,
    Connector,
    ConnectorContext,
    ConnectorSettings,
    ExternalRef,
    FatalError,
    LinkKind,
    PersonRef,
    RecordKind,
    Stream,
    WebhookReply,
    WebhookRequest,
)

from . import webhooks
from .bulk import BULK_CREATE, BulkWrites
from .checks import check
from .client import JiraClient
from .custom import FieldType
from .links import JIRA_LINK_KINDS
from .mapping import person
from .payload import initial_status
from .reading import JiraReads
from .settings import JiraRouteOptions, JiraSettings
from .target import CUSTOM_MAPPABLE, Target
from .workflow import WorkflowMoves
from .writing import JiraWrites

STREAM = "issues"
#: Every neutral field Jira can hold; an instance narrows it by its custom field map.
SYNCED = frozenset(
    {
        "title",
        "description",
        "status",
        "priority",
        "tags",
        "service",
        "reporter",
        "assignee",
        "resolution_code",
        *CUSTOM_MAPPABLE,
        "custom",
    }
)
_ALWAYS = SYNCED - CUSTOM_MAPPABLE - {"custom"} | {"service"}


class JiraConnector(BulkWrites, JiraWrites, WorkflowMoves, JiraReads, Connector):
    """Incidents, problems and known errors kept as issues in Jira projects."""

    kind: ClassVar[str] = "jira"
    title: ClassVar[str] = "Jira Cloud / Jira Service Management"
    settings_model: ClassVar[type[ConnectorSettings]] = JiraSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset(
        {RecordKind.INCIDENT, RecordKind.PROBLEM, RecordKind.KNOWN_ERROR}
    )
    synced_fields: ClassVar[frozenset[str] | None] = SYNCED
    link_kinds: ClassVar[frozenset[LinkKind]] = JIRA_LINK_KINDS
    links_elsewhere: ClassVar[bool] = True
    marker_lag: ClassVar[timedelta] = timedelta(minutes=5)
    max_batch: ClassVar[int] = BULK_CREATE
    route_options: ClassVar[type[BaseModel] | None] = JiraRouteOptions

    @classmethod
    def check_route_options(
        cls, settings: ConnectorSettings, options: Mapping[str, JsonValue]
    ) -> BaseModel:
        """A route's project must be one this connector syncs: copies made elsewhere would
        never be read back."""
        chosen = JiraRouteOptions.model_validate(dict(options))
        projects = getattr(settings, "projects", [])
        if chosen.project not in projects:
            raise ValueError(
                f"project {chosen.project!r} is not one of this connector's projects "
                f"({', '.join(projects)}); add it to projects or route elsewhere"
            )
        return chosen

    def __init__(
        self,
        name: str,
        settings: ConnectorSettings,
        context: ConnectorContext,
        *,
        client: JiraClient | None = None,
    ) -> None:
        super().__init__(name, settings, context)
        if not isinstance(settings, JiraSettings):
            raise FatalError(f"{name}: expected JiraSettings, got {type(settings).__name__}")
        self.jira_settings = settings
        self.target = Target(system=name, settings=settings)
        self._client = client
        self._accounts: dict[str, str | None] = {}
        self._types_loaded = False
        self._types_lock = anyio.Lock()
        # The fields this site really holds: a neutral field mapped to no custom field
        # is neither sent nor read as cleared (the class lists every one Jira can hold).
        mapped = set(settings.mapping.custom_fields)
        extra = {"custom"} if mapped - CUSTOM_MAPPABLE else set()
        self.synced_fields = frozenset(_ALWAYS | (mapped & CUSTOM_MAPPABLE) | extra)  # type: ignore[misc]
        # Search lags behind writes by up to search_lag; a lost create is looked for again
        # after it.
        self.marker_lag = settings.search_lag  # type: ignore[misc]

    @property
    def client(self) -> JiraClient:
        # Built on first use: the token is resolved only when the connector calls out.
        if self._client is None:
            self._client = JiraClient(self.jira_settings, self.context)
        return self._client

    @property
    def overlap(self) -> timedelta:
        return self.jira_settings.search_lag

    @property
    def default_kind(self) -> RecordKind:
        return RecordKind.INCIDENT

    def initial_status(self, kind: RecordKind) -> str:
        """The status a new issue of ``kind`` starts in: its issue type's workflow's first
        (a known error kept as a problem starts where problems start)."""
        types = self.jira_settings.mapping.issue_types
        if kind is RecordKind.KNOWN_ERROR and types.known_error == types.problem:
            return initial_status(self.target, RecordKind.PROBLEM)
        return initial_status(self.target, kind)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()

    def streams(self) -> list[Stream]:
        """One search reads every kind at once, re-reading ``search_lag`` behind."""
        return [
            Stream(
                name=STREAM,
                kinds=self.record_kinds,
                overlap=self.jira_settings.search_lag,
            )
        ]

    async def check(self) -> CheckResult:
        return await check(self)

    async def _load_field_types(self) -> None:
        """The custom fields' types (``GET /field``, once), so writes take their shape."""
        if self._types_loaded or not self.jira_settings.mapping.custom_fields:
            return
        async with self._types_lock:
            if self._types_loaded:
                return
            wanted = set(self.jira_settings.mapping.custom_fields.values())
            types = {
                str(f["id"]): FieldType.of(f.get("schema"))
                for f in await self.client.fields()
                if f.get("id") in wanted
            }
            self.target = Target(system=self.name, settings=self.jira_settings, field_types=types)
            self._types_loaded = True

    async def resolve_people(self, accounts: Sequence[ExternalRef]) -> dict[str, PersonRef]:
        """Names and e-mails (where the account's privacy settings show them) of this
        site's accounts, ``GET /user/bulk`` a hundred at a time."""
        ids = sorted({a.remote_id for a in accounts if a.system == self.name})
        found: dict[str, PersonRef] = {}
        for user in await self.client.users(ids) if ids else []:
            ref = person(self.target, user)
            if ref is not None and ref.external is not None:
                found[ref.external.remote_id] = ref
        return found

    def verify_webhook(self, request: WebhookRequest) -> WebhookReply:
        secret_ref = self.jira_settings.webhook_secret
        secret = self.context.resolve_secret(secret_ref).get_secret_value() if secret_ref else None
        kind_of: Callable[[Any, Any], RecordKind | None] = self.target.kind_of
        return webhooks.verify(request, secret, kind_of)
