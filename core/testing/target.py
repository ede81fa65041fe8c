"""What the conformance suite needs from a plugin's tests: a connector built against its
emulator, and the few things a person does in the remote tool."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import JsonValue

from itsmhub import (
    RECORD_TYPES,
    AnyRecord,
    Connector,
    ExternalRef,
    LinkKind,
    RecordKind,
    new_id,
)


class RecordingSleep:
    """An async ``sleep`` that records the requested seconds and returns at once."""

    def __init__(self) -> None:
        self.calls: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


class ConformanceTarget(ABC):
    """A connector on an emulator, and a person acting in the remote tool.

    Subclass it in your tests and implement the abstract methods over your emulator.
    Checks the connector cannot take (by :meth:`~itsmhub.Connector.capabilities`) are
    skipped, so a read-only source implements only what reading needs: override
    :meth:`create_remote` to make records as a person would, and the write-side helpers
    may raise ``NotImplementedError``.
    """

    kinds: Sequence[RecordKind] = (RecordKind.INCIDENT,)
    """Record kinds every check runs for."""
    link_case: tuple[RecordKind, RecordKind, LinkKind] | None = (
        RecordKind.INCIDENT,
        RecordKind.PROBLEM,
        LinkKind.CAUSED_BY,
    )
    """A (source kind, target kind, link kind) the connector can store, if it links."""
    retries_rate_limits: bool = True
    """True: a 429 is waited out inside the call (through ``sleep``). False: the connector
    raises ``RateLimited`` carrying the vendor's wait, and the engine reschedules."""

    def __init__(
        self, connector: Connector, *, page_size: int, sleep: RecordingSleep | None = None
    ) -> None:
        self.connector = connector
        self.page_size = page_size
        """Records per pull page, as the connector was configured."""
        self.sleep = sleep or RecordingSleep()
        """The sleep wired into the connector's HTTP retries, so no test really waits."""

    def can(self, method: str) -> bool:
        return method in self.connector.capabilities()

    def make_record(self, kind: RecordKind, title: str) -> AnyRecord:
        """A new record of ``kind`` valid for this connector (override to add fields)."""
        return RECORD_TYPES[kind](title=title)

    def new_values(self, kind: RecordKind) -> Mapping[str, JsonValue]:
        """Per field, a value different from :meth:`make_record`'s, written one at a time."""
        # Known errors: "retired" needs nothing else ("published" needs a workaround).
        status = {RecordKind.INCIDENT: "in_progress", RecordKind.PROBLEM: "assess"}.get(
            kind, "retired"
        )
        return {"title": "renamed by the suite", "status": status, "description": "new text"}

    async def create_remote(self, kind: RecordKind, title: str) -> ExternalRef:
        """A record made in the tool (by default through the connector's ``create``)."""
        created = await self.connector.create(self.make_record(kind, title), marker=new_id())
        refs = created.record.refs if created.record is not None else []
        mine = [r for r in refs if r.system == self.connector.name]
        return (
            mine[0]
            if mine
            else ExternalRef(system=self.connector.name, remote_id=created.remote_id)
        )

    async def settle(self) -> None:  # noqa: B027  (optional: most emulators have no lag)
        """Let what was just written become visible to searches and bulk jobs finish (an
        emulator modelling index lag or asynchronous jobs moves its clock on here)."""

    @abstractmethod
    async def edit_remote(self, ref: ExternalRef, **fields: Any) -> None:
        """Change neutral ``fields`` of the record as a person would in the tool."""

    @abstractmethod
    async def comment_remote(self, ref: ExternalRef, body: str, *, public: bool) -> None:
        """Add a comment (public) or an internal note as a person would."""

    @abstractmethod
    async def remote_comment_texts(self, ref: ExternalRef) -> list[str]:
        """The comment texts a person sees on the record, oldest first."""

    @abstractmethod
    async def inject_rate_limit(self, retry_after: float) -> None:
        """Make the next request answer 429 with ``Retry-After: retry_after``."""

    @abstractmethod
    async def lose_next_create_response(self) -> None:
        """Let the next create reach the remote but fail the caller (a lost response)."""
