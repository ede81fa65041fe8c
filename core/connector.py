"""The connector contract: one instance per configured system, called by the engine.

A plugin subclasses :class:`Connector`, declares its ``kind``, its ``settings_model`` and
the record kinds it holds, and hands the class to the core through the
``register_connectors`` hook. The engine builds one instance per ``[connectors.<name>]``
table and calls the typed methods below; a connector never sees another connector, the
store or the engine.

Every method has a default body that refuses with
:class:`~itsmhub.errors.NotImplementedYet`, so a connector can grow method by method;
:meth:`Connector.capabilities` reports what a class really implements, and
``itsmhub plugins`` shows it.
"""

from __future__ import annotations

import logging
from abc import ABC
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import (
    AnyUrl,
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    SecretStr,
    computed_field,
)

from .errors import ItsmhubError, NotImplementedYet
from .model import AnyRecord, Comment, ExternalRef, LinkKind, RecordKind, UtcDateTime, utcnow
from .secrets import SecretRef

if TYPE_CHECKING:
    import httpx

    from .http import HttpSettings


# --- settings ---------------------------------------------------------------------


class VendorHosts:
    """Field metadata: the host patterns a URL setting may point at (``*.`` = any subdomain).

    ``itsmhub config check`` refuses other hosts unless the connector sets
    ``custom_domain = true``, refuses plain ``http`` and private addresses unless
    ``[http] allow_private_networks = true`` (for emulators on loopback).
    """

    def __init__(self, *patterns: str) -> None:
        self.patterns = patterns

    def __repr__(self) -> str:
        return f"VendorHosts{self.patterns!r}"


class ConnectorSettings(BaseModel):
    """Settings every ``[connectors.<name>]`` table has; plugins subclass it."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(description="the connector kind, e.g. 'jira'")
    enabled: bool = Field(True, description="false keeps the config but skips the connector")
    custom_domain: bool = Field(
        False, description="allow an instance URL outside the vendor's usual domains"
    )

    def instance_hosts(self) -> list[str]:
        """The host names people open this system's tickets at, so that rules know a URL
        of it in ticket text. By default, the hosts of every URL setting; a plugin whose
        settings build the URL (a subdomain) overrides this."""
        hosts = []
        for name in type(self).model_fields:
            value = getattr(self, name, None)
            if isinstance(value, AnyUrl) and value.host:
                hosts.append(value.host)
        return hosts


# --- values exchanged with the engine ----------------------------------------------


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Cursor(_Value):
    """How far a pull got: a vendor watermark and/or token, plus the boundary already seen.

    ``seen`` holds ``(remote_id, version)`` pairs at the watermark, so an overlapping
    re-read of the boundary is de-duplicated instead of applied twice.
    """

    watermark: UtcDateTime | None = None
    token: str | None = None
    seen: frozenset[tuple[str, str]] = frozenset()


class PullRequest(_Value):
    """What the engine asks a connector to read."""

    kind: RecordKind
    cursor: Cursor | None = None
    since: UtcDateTime | None = Field(None, description="backfill lower bound (inclusive)")
    until: UtcDateTime | None = Field(None, description="backfill upper bound (exclusive)")


class RemoteChange(_Value):
    """One record as the remote holds it now, already mapped to the neutral model."""

    kind: RecordKind
    remote_id: str
    version: str = Field(description="the vendor's version: sys_mod_count, updated stamp")
    changed_at: UtcDateTime
    record: AnyRecord | None = Field(None, description="None when the remote deleted it")
    deleted: bool = False
    marker: str | None = Field(None, description="our correlation marker, if it carries one")


class RejectedRecord(_Value):
    """A remote record that could not be read or mapped; it is dead-lettered, not dropped."""

    kind: RecordKind
    remote_id: str | None
    version: str | None = None
    reason: str
    error_class: str = "RecordError"
    excerpt: dict[str, JsonValue] | None = Field(
        None, description="a redacted excerpt of the payload, for the dead-letter list"
    )


class Checkpoint(_Value):
    """Everything yielded before this is complete up to ``cursor``: safe to persist."""

    cursor: Cursor


PullItem = RemoteChange | RejectedRecord | Checkpoint


class FieldChange(_Value):
    field: str
    old: JsonValue = None
    new: JsonValue = None


class FieldChanges(_Value):
    """The neutral fields one system must receive, with the values it had before."""

    kind: RecordKind
    changes: tuple[FieldChange, ...]

    def names(self) -> list[str]:
        return [change.field for change in self.changes]


class RemoteVersion(_Value):
    """What a write produced, so the base can record it and the echo is recognised."""

    version: str | None = None
    updated_at: UtcDateTime | None = None


class CheckItem(_Value):
    name: str
    ok: bool
    detail: str = ""
    fix: str | None = None


class CheckResult(_Value):
    """The answer to ``itsmhub connectors check`` for one connector."""

    connector: str
    items: tuple[CheckItem, ...]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def ok(self) -> bool:
        return all(item.ok for item in self.items)


class WebhookEvent(_Value):
    """A verified nudge: record ``remote_id`` may have changed; re-read it through the API."""

    kind: RecordKind | None = None
    remote_id: str
    event_type: str
    delivery_id: str | None = Field(None, description="the vendor's id, for de-duplication")
    occurred_at: UtcDateTime | None = None


class WriteCreate(_Value):
    """One create in a :meth:`Connector.write_many` call: what :meth:`Connector.create` takes."""

    record: AnyRecord
    marker: str = Field(min_length=1)


class WriteUpdate(_Value):
    """One update in a :meth:`Connector.write_many` call: what :meth:`Connector.update` takes."""

    ref: ExternalRef
    changes: FieldChanges


Write = WriteCreate | WriteUpdate
WriteOutcome = RemoteChange | RemoteVersion | ItsmhubError
"""Per write: what ``create`` (a RemoteChange) or ``update`` (a RemoteVersion) would have
returned, or the error it would have raised."""


# --- the connector -------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectorContext:
    """What the core hands a connector besides its settings."""

    http: HttpSettings
    resolve_secret: Callable[[SecretRef], SecretStr]
    transport: httpx.AsyncBaseTransport | None = None
    clock: Callable[[], datetime] = utcnow
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("itsmhub.connector"))


_OPTIONAL_METHODS = (
    "check",
    "pull",
    "fetch",
    "find_by_marker",
    "create",
    "update",
    "add_comment",
    "update_comment",
    "link",
    "verify_webhook",
    "write_many",
)


class Connector(ABC):
    """Base class of every connector; see the module docstring for the contract."""

    kind: ClassVar[str]
    """Short name used as ``type`` in config.toml, e.g. ``"jira"``."""
    title: ClassVar[str] = ""
    """Human name, e.g. ``"Jira Cloud"``."""
    settings_model: ClassVar[type[ConnectorSettings]] = ConnectorSettings
    record_kinds: ClassVar[frozenset[RecordKind]] = frozenset()
    synced_fields: ClassVar[frozenset[str] | None] = None
    """The neutral fields this system can hold, or None for all. The engine neither sends
    the others nor reads their absence as an edit."""

    def __init__(self, name: str, settings: ConnectorSettings, context: ConnectorContext) -> None:
        self.name = name
        self.settings = settings
        self.context = context

    @classmethod
    def capabilities(cls) -> list[str]:
        """The methods this class really implements (the others refuse, NotImplementedYet)."""
        return [
            name for name in _OPTIONAL_METHODS if getattr(cls, name) is not getattr(Connector, name)
        ]

    def _not_yet(self, method: str) -> NotImplementedYet:
        return NotImplementedYet(self.kind, method)

    async def check(self) -> CheckResult:
        """Check auth, reachability and permissions; say in plain words what is missing."""
        raise self._not_yet("check the connection")

    def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        """Yield changes of ``request.kind`` since the cursor, with a checkpoint per page."""
        raise self._not_yet("pull changes")

    async def fetch(self, kind: RecordKind, remote_id: str) -> RemoteChange | None:
        """Read one record now; ``None`` if it does not exist."""
        raise self._not_yet("fetch a record")

    async def find_by_marker(self, kind: RecordKind, marker: str) -> RemoteChange | None:
        """Find a record we created earlier by its correlation marker (crash recovery)."""
        raise self._not_yet("look up a correlation marker")

    async def create(self, record: AnyRecord, *, marker: str) -> RemoteChange:
        """Create ``record`` remotely, carrying ``marker``; return what the remote holds."""
        raise self._not_yet("create records")

    async def update(self, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        """Write each change's ``new`` value to the remote record.

        Where the vendor allows it, write only if the remote still holds each change's
        ``old`` value, and raise :class:`~itsmhub.errors.RemoteChanged` if not, so a
        concurrent edit is merged instead of overwritten.
        """
        raise self._not_yet("update records")

    async def add_comment(self, ref: ExternalRef, comment: Comment, *, marker: str) -> ExternalRef:
        """Append ``comment`` (with its author named and its visibility kept)."""
        raise self._not_yet("add comments")

    async def update_comment(self, ref: ExternalRef, comment: Comment) -> None:
        """Rewrite the copy of ``comment`` this system holds (its ref is in ``comment.refs``)."""
        raise self._not_yet("edit comments")

    async def link(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        """Record in the remote that ``ref`` relates to ``target`` (same system or not)."""
        raise self._not_yet("link records")

    async def write_many(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Create and update several records in as few calls as the vendor allows.

        Each write succeeds or fails on its own: the outcome at each position is what
        :meth:`create` or :meth:`update` would have returned for that write, or the error
        it would have raised (``RemoteChanged`` included). An error that hits the whole
        call (bad credentials, a timeout before any answer) is raised instead. Optional:
        the engine calls it only when :meth:`capabilities` lists it.
        """
        raise self._not_yet("write records in bulk")

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> Sequence[WebhookEvent]:
        """Verify a delivery's signature in constant time and return what it announces."""
        raise self._not_yet("receive webhooks")

    async def aclose(self) -> None:  # noqa: B027  (optional: most connectors hold nothing)
        """Release network resources; the engine calls it once at shutdown."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()
