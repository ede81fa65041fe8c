"""The connector contract: one instance per configured system, called by the engine.

A plugin subclasses :class:`Connector`, declares its ``kind``, its ``settings_model``, the
record kinds it holds (and, where they differ from one per kind, its streams), and hands
the class to the core through the ``register_connectors`` hook. The engine builds one
instance per ``[connectors.<name>]`` table and calls the typed methods below; a connector
never sees another connector, the store or the engine. The values exchanged are in
``exchange.py``.

Every optional method has a default body that refuses with
:class:`~itsmhub.errors.NotImplementedYet`. :meth:`Connector.capabilities` reports what a
class really implements; the engine never queues a write a connector cannot make (it
audits why instead), ``config check`` refuses a config that asks for one, and
``itsmhub plugins`` shows each connector's capabilities.
"""

from __future__ import annotations

import logging
from abc import ABC
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import AnyUrl, BaseModel, ConfigDict, Field, JsonValue, SecretStr

from .errors import NotImplementedYet, RemoteChanged
from .exchange import (
    CheckResult,
    FieldChanges,
    PullItem,
    PullRequest,
    RemoteChange,
    RemoteVersion,
    Stream,
    WebhookReply,
    WebhookRequest,
    Write,
    WriteOutcome,
)
from .model import (
    NOT_SYNCED,
    AnyRecord,
    Comment,
    ExternalRef,
    LinkKind,
    PersonRef,
    RecordKind,
    utcnow,
)
from .secrets import SecretRef

if TYPE_CHECKING:
    import httpx

    from .http import HttpSettings, RateBudget


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
    "unlink",
    "write_many",
    "job_outcomes",
    "resolve_people",
    "verify_webhook",
)

#: What each outbox operation needs a connector to implement (one of them suffices).
WRITE_CAPABILITIES: Mapping[str, tuple[str, ...]] = {
    "create": ("create", "write_many"),
    "update": ("update", "write_many"),
    "comment": ("add_comment",),
    "comment_edit": ("update_comment",),
    "link": ("link",),
    "unlink": ("unlink",),
}


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
    link_kinds: ClassVar[frozenset[LinkKind]] = frozenset()
    """The link kinds this system can hold; the engine sends it no others."""
    single_valued_links: ClassVar[frozenset[LinkKind]] = frozenset()
    """Link kinds a record holds at most one of here (ServiceNow's ``problem_id``,
    Zendesk's ``problem_id``): writing one replaces the one before."""
    links_elsewhere: ClassVar[bool] = False
    """True if it can show a link to a record that lives in another system only (Jira's
    remote links): ``link`` then gets the target's ref in that system."""
    marker_lag: ClassVar[timedelta] = timedelta(0)
    """How long after a create ``find_by_marker`` may still miss it (a search index's
    lag): a retried create whose marker is not found waits this long before creating."""
    max_batch: ClassVar[int] = 50
    """Writes per ``write_many`` call (the vendor's bulk limit)."""
    route_options: ClassVar[type[BaseModel] | None] = None
    """What a routing rule's ``target.<this connector>`` may say about where copies go
    (Jira: the project); None: nothing. ``create`` then gets them as ``options``."""

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

    @classmethod
    def check_route_options(
        cls, settings: ConnectorSettings, options: Mapping[str, JsonValue]
    ) -> BaseModel:
        """``options`` (a routing rule's ``target.<connector>``) as :attr:`route_options`;
        ValueError saying what is wrong. Override to check them against ``settings``."""
        if cls.route_options is None:
            raise ValueError(f"the {cls.kind} connector takes no target options")
        return cls.route_options.model_validate(dict(options))

    @classmethod
    def can(cls, operation: str) -> bool:
        """Whether it can carry out an outbox ``operation`` (see :data:`WRITE_CAPABILITIES`)."""
        needed = WRITE_CAPABILITIES.get(operation, (operation,))
        return any(name in cls.capabilities() for name in needed)

    def streams(self) -> list[Stream]:
        """The change feeds a pull reads, in order: by default one per record kind held."""
        order = list(RecordKind)
        return [Stream.of_kind(k) for k in sorted(self.record_kinds, key=order.index)]

    def rate_budgets(self) -> list[RateBudget]:
        """The vendor's published rate limits, paced before a 429 happens (none declared:
        the client still reacts to the vendor's headers and 429s)."""
        return []

    def _not_yet(self, method: str) -> NotImplementedYet:
        return NotImplementedYet(self.kind, method)

    # --- reading ---------------------------------------------------------------------

    async def check(self) -> CheckResult:
        """Check auth, reachability and permissions; say in plain words what is missing."""
        raise self._not_yet("check the connection")

    def pull(self, request: PullRequest) -> AsyncIterator[PullItem]:
        """Yield the changes of ``request.stream`` since its cursor (or in its range),
        with a checkpoint after each page."""
        raise self._not_yet("pull changes")

    async def fetch(self, kind: RecordKind, remote_id: str) -> RemoteChange | None:
        """Read one record now; ``None`` if it does not exist."""
        raise self._not_yet("fetch a record")

    async def find_by_marker(self, kind: RecordKind, marker: str) -> list[RemoteChange]:
        """Every record carrying our correlation marker (crash recovery), oldest first.

        Markers are not unique everywhere (Zendesk's ``external_id``), and a search index
        may not show a fresh record yet (see :attr:`marker_lag`).
        """
        raise self._not_yet("look up a correlation marker")

    async def resolve_people(self, accounts: Sequence[ExternalRef]) -> dict[str, PersonRef]:
        """Who this system's user accounts are (e-mail, name), by ``remote_id``, in as few
        calls as the vendor allows; accounts it cannot see are left out."""
        raise self._not_yet("look up people")

    # --- writing ---------------------------------------------------------------------

    async def create(
        self, record: AnyRecord, *, marker: str, options: BaseModel | None = None
    ) -> RemoteChange:
        """Create ``record`` remotely, carrying ``marker``; return what the remote holds
        (where the vendor answers with ids only, the record sent with its new ref).
        ``options`` (a :attr:`route_options`, only for connectors declaring them) say
        where the routing rule wants the copy."""
        raise self._not_yet("create records")

    async def update(self, ref: ExternalRef, changes: FieldChanges) -> RemoteVersion:
        """Write each change's ``new`` value to the remote record, only if the remote has
        not moved since the base: compare-and-set on ``changes.expected`` where the
        vendor has it, else :func:`check_unchanged` on a fresh read. Raise
        :class:`~itsmhub.errors.RemoteChanged` if it moved, so a concurrent edit is
        merged instead of overwritten."""
        raise self._not_yet("update records")

    async def add_comment(self, ref: ExternalRef, comment: Comment, *, marker: str) -> ExternalRef:
        """Append ``comment`` (with its author named and its visibility kept), footed so
        that it is read back as ours (:func:`~itsmhub.comment_footer`)."""
        raise self._not_yet("add comments")

    async def update_comment(self, ref: ExternalRef, comment: Comment) -> None:
        """Rewrite the copy of ``comment`` this system holds (its ref is in ``comment.refs``)."""
        raise self._not_yet("edit comments")

    async def link(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        """Record in the remote that ``ref`` relates to ``target``: a record of this
        system, or (with :attr:`links_elsewhere`) of another, named by its ref there."""
        raise self._not_yet("link records")

    async def unlink(self, ref: ExternalRef, target: ExternalRef, kind: LinkKind) -> None:
        """Remove that link; removing a link that is not there is not an error."""
        raise self._not_yet("remove links")

    async def write_many(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Create and update several records in as few calls as the vendor allows.

        Each write succeeds or fails on its own: the outcome at each position is what
        :meth:`create` or :meth:`update` would have returned for that write, the error it
        would have raised (``RemoteChanged`` included), or :class:`~itsmhub.Deferred`
        when an asynchronous job carries it out. An error that hits the whole call (bad
        credentials, a timeout before any answer) is raised instead. The engine sends at
        most :attr:`max_batch` writes per call.
        """
        raise self._not_yet("write records in bulk")

    async def job_outcomes(self, job_ids: Sequence[str]) -> dict[str, list[WriteOutcome] | None]:
        """The outcomes of asynchronous jobs ``write_many`` started, by job id: one per
        write in the job's order, or None while the job still runs. A job the vendor no
        longer knows is answered with a TransientError for each of its writes."""
        raise self._not_yet("follow bulk jobs")

    # --- push ------------------------------------------------------------------------

    def verify_webhook(self, request: WebhookRequest) -> WebhookReply:
        """Verify a delivery's signature in constant time (raise
        :class:`~itsmhub.errors.WebhookRejected` if it fails) and say what it announces,
        or what to answer a verification challenge."""
        raise self._not_yet("receive webhooks")

    async def aclose(self) -> None:  # noqa: B027  (optional: most connectors hold nothing)
        """Release network resources; the engine calls it once at shutdown."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.aclose()


def check_unchanged(
    held: AnyRecord,
    changes: FieldChanges,
    *,
    where: str,
    same: Callable[[str, JsonValue, JsonValue], bool] | None = None,
) -> None:
    """Raise :class:`~itsmhub.errors.RemoteChanged` unless the record as the remote holds
    it now (``held``, freshly read) still has each change's ``old`` value.

    The read-then-compare check of vendors without compare-and-set. ``where`` names the
    record in the message; ``same(field, held, old)`` may declare two different values
    equal (two statuses one vendor value stands for).
    """
    current = held.model_dump(mode="json", exclude=set(NOT_SYNCED))
    moved = [
        c.field
        for c in changes.changes
        if c.field in current
        and current[c.field] != c.old
        and not (same is not None and same(c.field, current[c.field], c.old))
    ]
    if moved:
        raise RemoteChanged(f"{where} changed since it was last synced ({', '.join(moved)})")
