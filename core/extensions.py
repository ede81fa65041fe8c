"""The other objects plugins hand the core: emulators and enrichers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from .connector import Connector
from .model import AnyTicket, Device, Person

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Emulator(ABC):
    """A local stand-in for a vendor's REST API, served for tests, benchmarks and demos.

    It answers as the vendor does (paths, paging, errors, rate limits, signatures), so
    the vendor's own client library works against it unchanged. Build it on the toolkit
    in :mod:`itsmhub.emulation` (clock, faults, rate limits, auth gate, ``/_emulator``).
    """

    kind: ClassVar[str]
    """The connector kind it emulates, e.g. ``"servicenow"``."""
    title: ClassVar[str] = ""
    credentials: ClassVar[Mapping[str, str]] = {}
    """The credentials it accepts unless told otherwise, by name (``username``,
    ``api_token``…); ``itsmhub emulate --credential NAME=VALUE`` replaces one."""

    @abstractmethod
    def app(
        self, *, seed: int | None = None, credentials: Mapping[str, str] | None = None
    ) -> ASGIApp:
        """Build a fresh ASGI app with its own in-memory state (seeded if ``seed`` is set),
        accepting ``credentials`` (the defaults, updated by the given names)."""

    def connector_config(self, url: str, credentials: Mapping[str, str]) -> EmulatedConnector:
        """A ``[connectors.<kind>]`` table that reaches this emulator at ``url``, and the
        environment its secret references read. Plugins override it; the default names
        only the type."""
        return EmulatedConnector(settings={"type": self.kind})

    def merged_credentials(self, given: Mapping[str, str] | None) -> dict[str, str]:
        """The defaults updated by ``given``; an unknown name is a ``ValueError``."""
        unknown = sorted(set(given or {}) - set(self.credentials))
        if unknown:
            known = ", ".join(sorted(self.credentials)) or "none"
            raise ValueError(
                f"unknown credential {', '.join(unknown)} (this emulator has: {known})"
            )
        return {**self.credentials, **(given or {})}


class EmulatedConnector(BaseModel):
    """How to point a connector at a served emulator: its settings table and the
    environment variables its secret references (``env:NAME``) need."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    settings: dict[str, JsonValue]
    environment: dict[str, str] = Field(default_factory=dict)


class EnrichmentPatch(BaseModel):
    """What an enricher learned about one ticket: values for its hub-only
    :class:`~itsmhub.Enrichment` (by field name). The engine merges and audits them; they
    never reach a ticketing tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_id: str
    fields: dict[str, JsonValue]
    source: str = Field(description="the enricher and system that produced it")
    reason: str = ""


class LookupCache(Protocol):
    """A cache in the state store, shared by the hub's workers and kept across restarts:
    lookups (a person by e-mail, an account by id) expire after their ``ttl``."""

    async def get_many(self, namespace: str, keys: Sequence[str]) -> dict[str, JsonValue]:
        """The unexpired values among ``keys`` (missing and expired ones are left out)."""
        ...

    async def put_many(
        self, namespace: str, values: Mapping[str, JsonValue], ttl: timedelta
    ) -> None:
        """Store ``values`` for ``ttl``."""
        ...


class Directory(Protocol):
    """What the hub already knows of people and devices (from a directory's pulls)."""

    async def records_of(self, system: str, remote_ids: Sequence[str]) -> dict[str, str]:
        """Hub record ids of ``system``'s records, by remote id (unknown ones left out)."""
        ...


@dataclass(frozen=True)
class EnrichmentContext:
    """What the core hands an enricher besides its connector."""

    cache: LookupCache
    directory: Directory
    clock: Callable[[], datetime]


class Enricher(ABC):
    """Adds what identity and device tools know (department, manager, devices) to tickets.

    Built once per configured connector of ``connector_kind``, and given the tickets that
    changed, ``batch_size`` at a time. Each record comes with what the hub knows of its
    people: ``reporter``/``assignee`` as the ticket names them, and the e-mail the source
    tool's :meth:`~itsmhub.Connector.resolve_people` found when the ticket named an id
    only (``record.enrichment.reporter_email``). A lookup that fails raises
    :class:`~itsmhub.errors.TransientError`: that batch is tried again next cycle, and no
    merge waits for it.
    """

    name: ClassVar[str]
    connector_kind: ClassVar[str]
    batch_size: ClassVar[int] = 100

    def __init__(self, connector: Connector, context: EnrichmentContext) -> None:
        self.connector = connector
        self.context = context

    @abstractmethod
    async def enrich(self, records: Sequence[AnyTicket]) -> list[EnrichmentPatch]:
        """Patches for the records this enricher knows something about (others left out)."""

    async def forget(self, records: Sequence[Person | Device]) -> None:
        """The directory says these people or devices changed (a department move, a device
        handed over): drop or refresh what the enricher cached about them, because the
        open tickets about them are enriched again right after. Default: nothing cached."""
        return None
