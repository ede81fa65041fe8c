"""The other objects plugins hand the core: emulators and enrichers."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from .connector import Connector
from .model import AnyRecord

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Emulator(ABC):
    """A local stand-in for a vendor's REST API, served for tests, benchmarks and demos.

    It answers as the vendor does (paths, paging, errors, rate limits, signatures), so
    the vendor's own client library works against it unchanged.
    """

    kind: ClassVar[str]
    """The connector kind it emulates, e.g. ``"servicenow"``."""
    title: ClassVar[str] = ""

    @abstractmethod
    def app(self, *, seed: int | None = None) -> ASGIApp:
        """Build a fresh ASGI app with its own in-memory state (seeded if ``seed`` is set)."""


class EnrichmentPatch(BaseModel):
    """Field values an enricher proposes for one record; the engine merges and audits them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    record_id: str
    fields: dict[str, JsonValue]
    source: str = Field(description="the enricher and system that produced it")
    reason: str = ""


class Enricher(ABC):
    """Adds what identity and device tools know (department, manager, device) to records.

    Built once per configured connector of ``connector_kind``. A failing lookup returns
    fewer patches or raises a :class:`~itsmhub.errors.TransientError`; it never aborts
    a merge.
    """

    name: ClassVar[str]
    connector_kind: ClassVar[str]
    batch_size: ClassVar[int] = 100

    def __init__(self, connector: Connector) -> None:
        self.connector = connector

    @abstractmethod
    async def enrich(self, records: Sequence[AnyRecord]) -> list[EnrichmentPatch]:
        """Return patches for the records this enricher knows something about."""
